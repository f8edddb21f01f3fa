#!/usr/bin/env bash
# Checks the shipped monitoring files with Prometheus' own tool (ctest: promtool_monitoring):
#   packaging/prometheus/o365fwd-alerts.yml       promtool check rules + promtool test rules
#   packaging/grafana/o365fwd-dashboard.json      valid JSON; every query parses as PromQL
#                                                 (wrapped into a scratch rules file for promtool)
# That every metric both files name is one the daemon exports is a unit test
# (PackagedMonitoring.*). promtool comes from Debian's `prometheus` package
# (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v promtool >/dev/null; then
  echo "promtool not found: scripts/install-deps.sh installs Debian's prometheus package" >&2
  exit 1
fi
promtool check rules packaging/prometheus/o365fwd-alerts.yml
(cd packaging/prometheus && promtool test rules o365fwd-alerts.test.yml)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
python3 - packaging/grafana/o365fwd-dashboard.json "$scratch/dashboard-rules.yml" <<'PY'
import json, sys
dashboard = json.load(open(sys.argv[1]))
exprs = []
def walk(panels):
    for p in panels:
        for t in p.get("targets", []):
            exprs.append((p["title"], t["expr"]))
        walk(p.get("panels", []))
walk(dashboard["panels"])
if not exprs:
    sys.exit("the dashboard has no queries")
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (title, expr) in enumerate(exprs):
        # Grafana's variables become what they stand for at query time.
        expr = expr.replace("$instance", ".*")
        out.write("      - record: dashboard:query_%d\n        expr: %s\n" % (i, json.dumps(expr)))
print("dashboard: %d panels, %d queries" % (len(dashboard["panels"]), len(exprs)))
PY
promtool check rules "$scratch/dashboard-rules.yml"
echo "monitoring files: OK"
