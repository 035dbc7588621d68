"""The mock APIs' behaviour: fault plans and canned answers."""
