#!/usr/bin/env bash
# The libjpeg-turbo A/B of docs/performance.md, in one JVM: decode + resize alternating the decoders,
# then the saturated pipeline (about 5 minutes; `bench/decoder-ab.sh decode` for the first part only, seconds).
# Needs libjpeg-turbo (apt-get install libturbojpeg0) for the "true" side, and the built jar's classes.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
[ -f target/imagestream.jar ] || mvn -q -B -DskipTests package
CP="target/classes:$(ls target/lib/*.jar | tr '\n' ':')"
mkdir -p target/decoder-ab
javac -nowarn -d target/decoder-ab -cp "$CP" bench/decoder-ab/DecoderAB.java
exec java -cp "target/decoder-ab:$CP" io.imagestream.bench.DecoderAB "$@" 2>&1 | grep -E '^(decode|pipeline)'
