"""A fake Jira Cloud: the REST v3 calls the workflow makes, plus signed webhooks. It is
the oracle the product's Jira client is tested against, so it shares none of its code.

    fake.py      FakeJira: the pieces below wired together, and the knobs tests turn
    model.py     projects, users, issues, comments, the workflow; IssueStore
    api.py       REST routes, auth, OpenAPI checks, injected faults and latency
    rest.py      the JSON shapes of REST v3 resources
    jql.py       the JQL subset the workflow's searches use
    webhooks.py  signed deliveries with Jira's retries, drops and duplicates
    adf.py       Atlassian Document Format: text in and out, and Jira's checks
    server.py    the HTTP front (127.0.0.1, TCP_NODELAY)
    __main__.py  `python -m local_cloud.fake_jira`: run one standalone
"""
