"""`python -m workflow_tools.preflight` (make preflight ENV=<ws>); see DEPLOYMENT_CHECKLIST.md."""

from __future__ import annotations

import sys

from workflow_tools.preflight.cli import main

if __name__ == "__main__":
    sys.exit(main())
