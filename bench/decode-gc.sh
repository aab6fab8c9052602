#!/usr/bin/env bash
# PNG decoding on two threads with a 1 GiB heap: images/s, collections and GC time
# (docs/performance.md, "A PNG decoder that keeps its buffers").
#   bench/decode-gc.sh [label]      uses target/classes; JAVA_OPTS adds JVM flags (e.g. -Xlog:gc)
#   JAVA_OPTS=-Dpng.builtin=false   every PNG through ImageIO, as before imagestream.decode.png.builtin
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
LOG_NAME=decode-gc
. "$ROOT/scripts/lib.sh"
CP="$(bench_tool_classpath decode-gc)"
exec java -Xmx1g ${JAVA_OPTS:-} -cp "$CP" io.imagestream.bench.DecodeGc "$@" 2>&1 | grep '^decode-gc'
