"""Use cases: compose the pure domain rules with the adapters. Handlers call these."""
