#!/usr/bin/env bash
# The libjpeg-turbo A/B of docs/performance.md, in one JVM: decode + resize alternating the decoders,
# then the saturated pipeline (about 5 minutes; `bench/decoder-ab.sh decode` for the first part only, seconds).
# Needs libjpeg-turbo (apt-get install libturbojpeg0) for the "true" side, and the built jar's classes.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
LOG_NAME=decoder-ab
. "$ROOT/scripts/lib.sh"
CP="$(bench_tool_classpath decoder-ab)"
exec java ${JAVA_OPTS:-} -cp "$CP" io.imagestream.bench.DecoderAB "$@" 2>&1 | grep -E '^(decode|pipeline)'
