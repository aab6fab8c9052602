# What the scripts in scripts/ and bench/ share: log lines, free ports, waiting for an HTTP endpoint, building the
# jar, and stopping every process they started. Source it after setting ROOT (the project folder) and LOG_NAME:
#   . "$ROOT/scripts/lib.sh"
# Processes started in the background and registered with `track PID` are stopped on exit (SIGTERM, then SIGKILL
# after STOP_SECONDS, default 30: closing Kafka Streams and a broker cleanly takes a few seconds); `on_exit FN` also
# runs FN with the exit status (e.g. to remove a work folder). Ctrl-C and SIGTERM go through the same path.

TRACKED_PIDS=()

log() { printf '[%s %s] %s\n' "${LOG_NAME:-imagestream}" "$(date +%H:%M:%S)" "$*"; }

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until URL answers 200: fails after SECONDS, or as soon as process PID has died.
wait_http() {
  local url=$1 seconds=$2 pid=$3
  for _ in $(seq 1 "$seconds"); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$url" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      return 1
    fi
    sleep 1
  done
  return 1
}

# target/imagestream.jar, built when missing.
ensure_jar() {
  if [ ! -f "$ROOT/target/imagestream.jar" ]; then
    log "building target/imagestream.jar"
    (cd "$ROOT" && mvn -B -ntp -q -DskipTests package)
  fi
}

# Compiles a bench tool's sources (bench/NAME/*.java) against the built classes into target/NAME and prints the
# class path that runs it.
bench_tool_classpath() {
  local name=$1
  ensure_jar >&2
  local cp="$ROOT/target/classes:$(ls "$ROOT"/target/lib/*.jar | tr '\n' ':')"
  mkdir -p "$ROOT/target/$name"
  javac -nowarn -d "$ROOT/target/$name" -cp "$cp" "$ROOT"/bench/"$name"/*.java
  printf '%s' "$ROOT/target/$name:$cp"
}

# Registers a background process to stop on exit.
track() { TRACKED_PIDS+=("$1"); }

# SIGTERM to every tracked process, then waits up to STOP_SECONDS for each before SIGKILL.
stop_tracked() {
  local pid
  for pid in "${TRACKED_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${TRACKED_PIDS[@]}"; do
    for _ in $(seq 1 $((2 * ${STOP_SECONDS:-30}))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  TRACKED_PIDS=()
}

# On exit (normal, error, Ctrl-C, SIGTERM): stop the tracked processes, then run FN with the exit status.
on_exit() {
  ON_EXIT_FN=${1:-}
  trap _lib_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

_lib_exit() {
  local status=$?
  trap - EXIT INT TERM
  stop_tracked
  if [ -n "${ON_EXIT_FN:-}" ]; then
    "$ON_EXIT_FN" "$status" || true
  fi
  exit "$status"
}
