#!/usr/bin/env bash
# Checks the Grafana dashboard against a live application: every panel's queries must be valid PromQL and return
# data. Runs `imagestream demo` (embedded broker, classifier, sample images and some bad records) under load, lets a
# local Prometheus scrape it every 2 s, then evaluates every panel query (scripts/check_dashboard.py).
# Everything listens on 127.0.0.1 only; every process started here is stopped on exit. Takes about 2-3 minutes.
#
# Environment:
#   DASHBOARD_CHECK_ALLOW_MISSING  regex of panel titles allowed to have no data (reported, not failed), e.g.
#                                  '^Trainer' while the trainer does not exist yet. Invalid queries always fail.
#   DASHBOARD_CHECK_SCRAPE_SECONDS how long Prometheus scrapes the loaded application (default 75)
#   DASHBOARD_CHECK_RATE           images per second the demo publishes (default 100)
#   DASHBOARD_CHECK_TRAIN          auto (default): also run and scrape `train` when that command has --metrics-port;
#                                  0: never
#   DASHBOARD_CHECK_KEEP           1: keep the work directory (logs, Prometheus data) for inspection
# Needs: Java 17, python3, Maven (only when target/imagestream.jar is missing), apt-get (only when Prometheus is
# missing: installs Debian's prometheus package, which starts no service).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

SCRAPE_SECONDS="${DASHBOARD_CHECK_SCRAPE_SECONDS:-75}"
RATE="${DASHBOARD_CHECK_RATE:-100}"
ALLOW_MISSING="${DASHBOARD_CHECK_ALLOW_MISSING:-}"
TRAIN="${DASHBOARD_CHECK_TRAIN:-auto}"
DASHBOARD="$ROOT/grafana/dashboards/imagestream.json"
JAR="$ROOT/target/imagestream.jar"

LOG_NAME=check-dashboard
. "$ROOT/scripts/lib.sh"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/check-dashboard.XXXXXX")"
remove_work() {
  if [ "${DASHBOARD_CHECK_KEEP:-0}" = 1 ]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
STOP_SECONDS=20
on_exit remove_work

# --- Prometheus -------------------------------------------------------------------------------------------------
if ! command -v prometheus >/dev/null; then
  log "installing Debian's prometheus package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq prometheus >/dev/null
fi

# --- the application ----------------------------------------------------------------------------------------------
ensure_jar

# The demo serves ./models/default.zip, else the model bundled in the jar. When neither exists yet, a throwaway model
# is trained in a few seconds from the bundled sample images (its accuracy does not matter here).
mkdir -p "$WORK/app" "$WORK/tmp"
# The application's temporary files (broker data, Kafka Streams state) go to $WORK/tmp and are removed with it.
JAVA=(java "-Djava.io.tmpdir=$WORK/tmp")
if [ -f "$ROOT/models/default.zip" ]; then
  ln -s "$ROOT/models" "$WORK/app/models"
elif ! python3 -c 'import sys, zipfile; sys.exit(0 if "models/default.zip" in zipfile.ZipFile(sys.argv[1]).namelist() else 1)' "$JAR"; then
  log "no default model yet: training a throwaway one from the bundled samples"
  samples="$ROOT/src/main/resources/samples/fashion-mnist"
  while IFS=$'\t' read -r file label; do
    mkdir -p "$WORK/samples/$label"
    cp "$samples/$file" "$WORK/samples/$label/"
  done < "$samples/index.txt"
  "${JAVA[@]}" -jar "$JAR" fit "$WORK/samples" --out "$WORK/app/models/default.zip" --epochs 1 --image-size 28x28 \
    --channels 1 > "$WORK/fit.log" 2>&1 || { log "fit failed:"; tail -20 "$WORK/fit.log"; exit 1; }
fi

BROKER_PORT=$(free_port)
METRICS_PORT=$(free_port)
TRAIN_METRICS_PORT=$(free_port)
PROM_PORT=$(free_port)

log "starting the demo (broker 127.0.0.1:$BROKER_PORT, metrics 127.0.0.1:$METRICS_PORT, $RATE images/s)"
# --duration: a safety net should this script be killed without running its trap.
(cd "$WORK/app" && IMAGESTREAM_METRICS_HOST=127.0.0.1 exec "${JAVA[@]}" -jar "$JAR" demo --port "$BROKER_PORT" \
  --metrics-port "$METRICS_PORT" --rate "$RATE" --duration 600s) > "$WORK/demo.log" 2>&1 &
DEMO_PID=$!
track "$DEMO_PID"
if ! wait_http "http://127.0.0.1:$METRICS_PORT/metrics" 180 "$DEMO_PID"; then
  log "the demo did not serve metrics:"; tail -30 "$WORK/demo.log"; exit 1
fi

TARGETS="'127.0.0.1:$METRICS_PORT'"
TRAIN_HELP="$("${JAVA[@]}" -jar "$JAR" train --help 2>/dev/null || true)"
if [ "$TRAIN" != 0 ] && [[ "$TRAIN_HELP" == *--metrics-port* ]]; then
  log "starting the trainer (metrics 127.0.0.1:$TRAIN_METRICS_PORT)"
  (cd "$WORK/app" && IMAGESTREAM_METRICS_HOST=127.0.0.1 exec "${JAVA[@]}" -jar "$JAR" train \
    --bootstrap-servers "127.0.0.1:$BROKER_PORT" --metrics-port "$TRAIN_METRICS_PORT") > "$WORK/train.log" 2>&1 &
  track $!
  TARGETS="$TARGETS, '127.0.0.1:$TRAIN_METRICS_PORT'"
else
  log "no separate trainer to scrape ('train' has no --metrics-port yet, or DASHBOARD_CHECK_TRAIN=0)"
fi

cat > "$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 2s
  scrape_timeout: 2s
  evaluation_interval: 2s
scrape_configs:
  - job_name: imagestream
    static_configs:
      - targets: [$TARGETS]
EOF
log "starting Prometheus on 127.0.0.1:$PROM_PORT"
prometheus --config.file="$WORK/prometheus.yml" --web.listen-address="127.0.0.1:$PROM_PORT" \
  --storage.tsdb.path="$WORK/prometheus-data" --log.level=warn > "$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
track "$PROM_PID"
if ! wait_http "http://127.0.0.1:$PROM_PORT/-/ready" 60 "$PROM_PID"; then
  log "Prometheus did not start:"; tail -20 "$WORK/prometheus.log"; exit 1
fi

log "scraping for ${SCRAPE_SECONDS}s"
sleep "$SCRAPE_SECONDS"
grep -E '^\[ *[0-9]+s\]' "$WORK/demo.log" | tail -1 || true
for pid in "${TRACKED_PIDS[@]}"; do
  kill -0 "$pid" 2>/dev/null || { log "a process died early; demo log:"; tail -30 "$WORK/demo.log"; exit 1; }
done

log "evaluating every panel query of $DASHBOARD"
python3 "$ROOT/scripts/check_dashboard.py" --prometheus "http://127.0.0.1:$PROM_PORT" --interval 30s --range 2m \
  --allow-missing "$ALLOW_MISSING" "$DASHBOARD"
