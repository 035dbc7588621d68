"""The local cloud: moto's server made to behave like the AWS this deployment needs.

`emulator.Emulator` starts it; `stack.LocalStack` adds the fake Jira and applies the real
Terraform into it; `python -m local_cloud` keeps a stack up (make local), and the tools'
demo, load and bench drive one through `driver.LocalStackSession`. The local cloud may
import the product (`jira_workflow`), never the tools.
"""

from pathlib import Path

# The checkout whose terraform/, statemachine/ and build/ the local cloud runs.
REPO_ROOT = Path(__file__).resolve().parents[2]
