#!/usr/bin/env bash
# PNG decoding on two threads with a 1 GiB heap: images/s, collections and GC time
# (docs/performance.md, "A PNG decoder that keeps its buffers").
#   bench/decode-gc.sh [label]      uses target/classes; JAVA_OPTS adds JVM flags (e.g. -Xlog:gc)
#   JAVA_OPTS=-Dpng.builtin=false   every PNG through ImageIO, as before imagestream.decode.png.builtin
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
[ -f target/imagestream.jar ] || mvn -q -B -DskipTests package
CP="target/classes:$(ls target/lib/*.jar | tr '\n' ':')"
mkdir -p target/decode-gc
javac -nowarn -d target/decode-gc -cp "$CP" bench/decode-gc/DecodeGc.java
exec java -Xmx1g ${JAVA_OPTS:-} -cp "target/decode-gc:$CP" io.imagestream.bench.DecodeGc "$@" 2>&1 | grep '^decode-gc'
