"""Entry points of the mock API functions."""
