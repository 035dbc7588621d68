"""`make jira-doctor ENV=<ws>`: check a Jira site against what the deployed workflow needs.

`site` reads the site through the REST API v3 with the bot's credentials (its calls are
`SITE_OPERATIONS`, all in the committed OpenAPI document); `requirements` turns what it read
and the deployed settings into rows of requirement, OK/MISSING and the fix; `__main__` is
the command.
"""
