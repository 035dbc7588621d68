"""Runbook tools: each module is a script with --help (see docs/runbooks/)."""
