"""Load and fault runs against the local stack over HTTP on 127.0.0.1 (`make load`).

`target` starts (or attaches to) the stack, `deliveries` plays Jira's webhooks with
duplicates and retries, `decisions` races approvals, `faults` fails the external APIs,
`report` turns what happened into counts, percentiles and a verdict.
"""
