#!/usr/bin/env bash
# Validates the deployment files without a Docker engine: docker-compose.yml (Debian's docker-compose parses and
# resolves it offline), prometheus/prometheus.yml (promtool) and the Grafana provisioning and dashboard files.
# Installs Debian's docker-compose (without docker.io) and prometheus (for promtool) when missing. Takes seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v promtool >/dev/null || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "docker-compose.yml:"
docker-compose -f docker-compose.yml config -q
services="$(docker-compose -f docker-compose.yml config --services | sort | tr '\n' ' ')"
echo "  services: $services"
for service in kafka topics classifier trainer publisher prometheus grafana; do
  case " $services " in
    *" $service "*) ;;
    *) echo "  missing service: $service" >&2; exit 1 ;;
  esac
done
# Settings the rest of the project relies on (metrics reachable from Prometheus, two classifier replicas).
docker-compose -f docker-compose.yml config | python3 -c '
import sys, yaml
services = yaml.safe_load(sys.stdin)["services"]
problems = []
if services["classifier"].get("deploy", {}).get("replicas") != 2:
    problems.append("classifier: deploy.replicas is not 2")
for name, port in (("classifier", "9400"), ("trainer", "9401")):
    env = services[name].get("environment", {})
    if env.get("IMAGESTREAM_METRICS_HOST") != "0.0.0.0":
        problems.append(name + ": IMAGESTREAM_METRICS_HOST is not 0.0.0.0 (Prometheus could not scrape it)")
    if str(env.get("IMAGESTREAM_METRICS_PORT")) != port:
        problems.append(name + ": IMAGESTREAM_METRICS_PORT is not " + port)
for problem in problems:
    print("  " + problem, file=sys.stderr)
sys.exit(1 if problems else 0)
'
echo "  ok"

echo "prometheus/prometheus.yml:"
promtool check config prometheus/prometheus.yml | sed 's/^/  /'

echo "grafana/:"
python3 - <<'EOF'
import json, sys, yaml
for path in ("grafana/provisioning/datasources/prometheus.yml", "grafana/provisioning/dashboards/imagestream.yml"):
    with open(path, encoding="utf-8") as f:
        yaml.safe_load(f)
sources = yaml.safe_load(open("grafana/provisioning/datasources/prometheus.yml"))["datasources"]
uids = {s["uid"] for s in sources}
with open("grafana/dashboards/imagestream.json", encoding="utf-8") as f:
    dashboard = json.load(f)
used = set()
def walk(panels):
    for p in panels:
        for obj in [p] + p.get("targets", []):
            if isinstance(obj.get("datasource"), dict):
                used.add(obj["datasource"].get("uid"))
        walk(p.get("panels", []))
walk(dashboard["panels"])
unknown = used - uids
if unknown:
    sys.exit(f"  the dashboard uses data sources not provisioned: {sorted(unknown)}")
print(f"  ok ({len(sources)} data source, dashboard '{dashboard['title']}' schemaVersion {dashboard['schemaVersion']})")
EOF
