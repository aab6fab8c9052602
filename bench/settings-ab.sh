#!/usr/bin/env bash
# A/B of two sets of classifier settings in one warmed JVM, alternating (docs/performance.md cites its runs):
#   bench/settings-ab.sh "commit.interval.ms=100" "commit.interval.ms=30"     saturated pipeline, 3 pairs
#   -Dhalfload=1400 (in JAVA_OPTS) adds half-load latency pairs at that rate (-Dsaturated=false: only those);
#   -Dpairs=N, -Dimages=N, -Dkind=JPEG_PHOTO
#   -Dswap=true publishes a new model version in every half-load run and prints the swap's worst batch
#   -Dprofile=/tmp/a.html profiles side A's runs, saturated and half load (async-profiler's jar in AP_JAR);
#   -Dprofile.event=alloc profiles allocations instead of CPU time (alloc-live: only those still alive at its end)
#   -Dbroker.jvm=true runs the broker in a JVM of its own (`imagestream broker`), not in the bench's JVM
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
LOG_NAME=settings-ab
. "$ROOT/scripts/lib.sh"
CP="$(bench_tool_classpath settings-ab)${AP_JAR:+:$AP_JAR}"
exec java ${JAVA_OPTS:-} -cp "$CP" io.imagestream.bench.SettingsAB "$@" 2>&1 | grep -E '^(pipeline|halfload)'
