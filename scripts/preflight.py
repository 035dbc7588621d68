#!/usr/bin/env python3
"""Entry point for `make preflight ENV=<ws>`; see scripts/preflight/ and DEPLOYMENT_CHECKLIST.md."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's directory is on sys.path and the package of the same name
# wins over this module, so `preflight.cli` is the package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from preflight.cli import main

if __name__ == "__main__":
    sys.exit(main())
