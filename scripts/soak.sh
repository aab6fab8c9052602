#!/usr/bin/env bash
# Soak test: runs `imagestream demo` (embedded broker, classifier, optionally the trainer) under a steady load for
# SOAK_MINUTES and samples its /metrics and /proc every 10 s: heap after GC (jvm_gc_live_data_size_bytes), ND4J
# off-heap (imagestream_nd4j_offheap_used/allocated_bytes), the process RSS (VmRSS) and the consumer lag
# (kafka_consumer_fetch_manager_records_lag_max). Fails when, over the second half of the run (after warm-up), a
# least-squares slope is above its limit: memory that grows without bound, or a lag that grows at a load the
# classifier kept up with at the start. Everything listens on 127.0.0.1; every process started here is stopped on exit.
#
# Environment (defaults in brackets):
#   SOAK_MINUTES [20]              how long to sample under load (CI: 8, after 2 of warm-up)
#   SOAK_WARMUP_MINUTES [1]        load before sampling starts (JIT, caches, the first batches), not judged
#   SOAK_JAVA_OPTS [-Xms768m -Xmx768m -XX:+AlwaysPreTouch]  a fixed, pre-touched heap: heap growth up to -Xmx would
#                                  otherwise look like an RSS leak in a short run
#   SOAK_RATE [100]                images per second
#   SOAK_LABELLED_RATE [0]         labelled images per second for the in-process trainer (0: no trainer)
#   SOAK_MAX_HEAP_MB_PER_MIN [2]   limits on the second-half slopes
#   SOAK_MAX_RSS_MB_PER_MIN [8]   RSS, and imagestream_nd4j_offheap_used (the same thing seen by JavaCPP)
#   SOAK_MAX_LAG_PER_MIN [600]     records per minute
#   SOAK_KEEP [0]                  1: keep the work directory (demo log, samples.csv)
# Needs: Java 17 (its jcmd forces a full GC before each sample), python3, Maven (only when target/imagestream.jar is missing).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

MINUTES="${SOAK_MINUTES:-20}"
RATE="${SOAK_RATE:-100}"
LABELLED_RATE="${SOAK_LABELLED_RATE:-0}"
WARMUP="${SOAK_WARMUP_MINUTES:-1}"
read -r -a JAVA_OPTS <<< "${SOAK_JAVA_OPTS:--Xms768m -Xmx768m -XX:+AlwaysPreTouch}"
JAR="$ROOT/target/imagestream.jar"
LOG_NAME=soak
. "$ROOT/scripts/lib.sh"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")"
remove_work() {
  if [ "${SOAK_KEEP:-0}" = 1 ] || [ "$1" != 0 ]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
on_exit remove_work

ensure_jar

BROKER_PORT=$(free_port)
METRICS_PORT=$(free_port)
mkdir -p "$WORK/app" "$WORK/tmp"
[ -d "$ROOT/models" ] && ln -s "$ROOT/models" "$WORK/app/models"
log "demo for $MINUTES min at $RATE images/s (labelled $LABELLED_RATE/s), metrics on 127.0.0.1:$METRICS_PORT"
# --duration: a safety net should this script be killed without running its trap.
(cd "$WORK/app" && IMAGESTREAM_METRICS_HOST=127.0.0.1 exec java "${JAVA_OPTS[@]}" "-Djava.io.tmpdir=$WORK/tmp" -jar "$JAR" demo \
  --port "$BROKER_PORT" --metrics-port "$METRICS_PORT" --rate "$RATE" --labelled-rate "$LABELLED_RATE" \
  --duration "$((MINUTES + WARMUP + 5))m") > "$WORK/demo.log" 2>&1 &
DEMO_PID=$!
track "$DEMO_PID"

python3 - "$DEMO_PID" "$METRICS_PORT" "$MINUTES" "$WORK/samples.csv" "$WARMUP" <<'EOF'
import os, re, shutil, subprocess, sys, time, urllib.request

pid, port, minutes, out, warmup = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
env = os.environ
limits = {  # per minute, in the unit of the column
    "heap_after_gc_mb": float(env.get("SOAK_MAX_HEAP_MB_PER_MIN", "2")),
    # JavaCPP's physicalBytes is the whole process's physical memory (RSS as ND4J sees it): judged like RSS.
    "offheap_used_mb": float(env.get("SOAK_MAX_RSS_MB_PER_MIN", "8")),
    # Sampled, not judged: it estimates native memory as RSS minus the heap in use, so it swings with every young
    # collection; RSS (above and below) is the judged measure of native memory.
    "offheap_allocated_mb": None,
    "rss_mb": float(env.get("SOAK_MAX_RSS_MB_PER_MIN", "8")),
    "lag": float(env.get("SOAK_MAX_LAG_PER_MIN", "600")),
}
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')

def log(msg):
    print("[soak %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)

def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False

def scrape():
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    values = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m and not line.startswith("#"):
            try:
                values.setdefault(m.group(1), []).append(float(m.group(3)))
            except ValueError:
                pass
    return values

def rss_mb():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")

deadline = time.time() + 300  # start-up: the broker, topics, the model
while time.time() < deadline:
    if not alive():
        log("the demo exited during start-up"); sys.exit(1)
    try:
        scrape(); break
    except Exception:
        time.sleep(1)
else:
    log("no /metrics after 300 s"); sys.exit(1)

log("metrics up; warming up for %g min under load" % warmup)
warm_end = time.time() + warmup * 60
while time.time() < warm_end:
    if not alive():
        log("the demo died during warm-up"); sys.exit(1)
    time.sleep(5)

MB = 1024.0 * 1024.0
JCMD = os.path.join(os.path.dirname(os.path.realpath(shutil.which("java") or "java")), "jcmd")
columns = ["minute", "heap_after_gc_mb", "offheap_used_mb", "offheap_allocated_mb", "rss_mb", "lag"]
rows = []
start = time.time()
with open(out, "w") as f:
    f.write(",".join(columns) + "\n")
    while time.time() - start < minutes * 60:
        time.sleep(10)  # the sampling period, not a synchronisation
        if not alive():
            log("the demo died after %.1f min" % ((time.time() - start) / 60)); sys.exit(1)
        # A full collection first, so that "heap after GC" is the live data, not an old generation that G1 has not
        # got round to cleaning yet (it grows for minutes between mixed collections without any leak).
        subprocess.run([JCMD, str(pid), "GC.run"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        v = scrape()
        lag = [x for x in v.get("kafka_consumer_fetch_manager_records_lag_max", []) if x == x and x >= 0]
        row = [(time.time() - start) / 60,
               max(v.get("jvm_gc_live_data_size_bytes", [0])) / MB,
               sum(v.get("imagestream_nd4j_offheap_used_bytes", [0])) / MB,
               sum(v.get("imagestream_nd4j_offheap_allocated_bytes", [0])) / MB,
               rss_mb(),
               max(lag) if lag else 0.0]
        rows.append(row)
        f.write(",".join("%.3f" % x for x in row) + "\n")
        f.flush()
        log("t=%.1f min heap-after-gc %.0f MB, off-heap used %.0f MB / allocated %.0f MB, RSS %.0f MB, lag %.0f" % tuple(row))

def slope(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return 0.0 if sxx == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx

half = rows[len(rows) // 2:]
if len(half) < 3:
    log("too few samples (%d) for a trend; run longer" % len(rows)); sys.exit(1)
failed = []
for i, name in enumerate(columns[1:], start=1):
    ys = [r[i] for r in half]
    if name == "heap_after_gc_mb" and max(ys) == 0:
        log("heap after GC: no old-generation collection yet, not measured")
        continue
    if limits[name] is None:
        continue
    s = slope([r[0] for r in half], ys)
    verdict = "OK" if s <= limits[name] else "FAIL"
    log("%-22s second-half slope %+9.2f/min (limit %g/min) %s" % (name, s, limits[name], verdict))
    if verdict == "FAIL":
        failed.append(name)
if failed:
    log("FAILED: %s grow without bound (samples in %s)" % (", ".join(failed), out)); sys.exit(1)
log("passed: no unbounded growth over %d samples" % len(rows))
EOF
