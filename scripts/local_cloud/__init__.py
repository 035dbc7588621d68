"""The local cloud: moto's server made to behave like the AWS this deployment needs.

`emulator.Emulator` starts it; `stack.LocalStack` adds the fake Jira and applies the real
Terraform into it; `scripts/local.py` and `scripts/demo.py` are the commands built on both.
"""
