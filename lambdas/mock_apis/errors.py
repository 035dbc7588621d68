"""Failures only the mock APIs name; each handler maps them to an HTTP status once."""

from __future__ import annotations


class MockApiError(Exception):
    """Base of every error a mock API raises on purpose."""


class MissingCredentials(MockApiError):
    """A call that needs credentials (a bearer token) came without them."""
