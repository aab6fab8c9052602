#!/usr/bin/env bash
# The figures of docs/cluster.md: ClusterFaultsIT on a three-node cluster of child JVMs (the product's own `broker`),
# each fault under a steady stream, printing one CLUSTER-FIGURE line per fault; then the rolling restart again with
# static members and with a standby replica. Takes 20-40 minutes on 2 cores.
#   bench/cluster-figures.sh            everything
#   bench/cluster-figures.sh rolling    only the three rolling restarts
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
ROLLING="ClusterFaultsIT#bothClassifierInstancesAreRestartedOneAfterTheOther"

run() {
  local test="$1"
  shift
  mvn -o -q -B verify -Dit.test="$test" -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false "$@" 2>&1 \
    | grep -E '^CLUSTER-FIGURE|Tests run:.*Fail' || true
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model \
$(lscpu | sed -n 's/^Model: *//p'), $(nproc) cores, $(grep -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
if [ "${1:-}" != rolling ]; then
  run ClusterFaultsIT
else
  run "$ROLLING"
fi
run "$ROLLING" -Dcluster.instance.ids=true -Dcluster.settings=consumer.session.timeout.ms=30000
run "$ROLLING" -Dcluster.standby.replicas=1
