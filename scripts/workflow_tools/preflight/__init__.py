"""Preflight: the deployment checklist's automatable items, checked against a Terraform plan.

`make preflight ENV=<ws>` plans the workspace, reads `terraform show -json` and runs every
rule in `preflight.rules.REGISTRY`; each rule is tied to one checklist item by its text.
"""
