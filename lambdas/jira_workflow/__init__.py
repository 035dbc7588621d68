"""Jira-driven request workflow: Lambda handlers, domain rules and AWS/Jira adapters."""
