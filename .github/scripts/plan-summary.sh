#!/usr/bin/env bash
# Markdown for $GITHUB_STEP_SUMMARY: the saved plan's changes by action and address, then the
# preflight table, both from what `make preflight ENV=<ws> PREFLIGHT_AWS=1` left in .local/terraform/.
# Usage: plan-summary.sh <workspace>
set -euo pipefail
env_name=${1:?usage: plan-summary.sh <workspace>}
plan_json=.local/terraform/${env_name}.plan.json
preflight=.local/terraform/preflight.txt

echo "## ${env_name}: terraform plan"
if [[ -f $plan_json ]]; then
  jq -r '
    [.resource_changes[]? | select(.change.actions != ["no-op"] and .change.actions != ["read"])] as $changes
    | "\($changes | length) resource change(s)\n",
      "| action | resource |", "|---|---|",
      ($changes[] | "| \(.change.actions | join(" then ")) | `\(.address)` |")
  ' "$plan_json"
else
  echo "No plan JSON: the plan did not complete (see the step log)."
fi

echo
echo "## ${env_name}: preflight"
if [[ -f $preflight ]]; then
  echo '```'
  cat "$preflight"
  echo '```'
else
  echo "No preflight table: preflight did not run (see the step log)."
fi
