"""The tools: build, preflight, ops, load, bench, demo; run as `python -m workflow_tools.<tool>`.

Tools may import the local cloud (`local_cloud`) and the product (`jira_workflow`); nothing
imports the tools back.
"""

from pathlib import Path

# The checkout the tools work on: terraform/, build/ and .local/ are found from here.
REPO_ROOT = Path(__file__).resolve().parents[2]
