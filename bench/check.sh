#!/usr/bin/env bash
# Benchmarks of the probe engine (numbers for the notes, not a test):
#  1. 200 HTTP checks against a loopback server that answers after 500 ms, concurrency 50:
#     wall time / ideal (200 / 50 x 500 ms = 2 s); the target is <= 1.15.
#  2. The overhead of `incident check` with one trivial check, process start to exit, beside
#     `curl` on the same URL.
# Usage: bench/check.sh [path/to/incident]   (default: target/release/incident)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/incident}
[ -x "$BIN" ] || { echo "build it first: cargo build --release" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'kill $SLOW_PID $FAST_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

# A threaded server: /slow answers after 500 ms, /fast at once.
cat > "$WORK/server.py" <<'PY'
import sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(0.5)
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
ThreadingHTTPServer.request_queue_size = 512
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PORT=$((20000 + RANDOM % 20000))
python3 "$WORK/server.py" "$PORT" & SLOW_PID=$!
FAST_PID=$SLOW_PID
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/fast" >/dev/null 2>&1 && break; sleep 0.1; done

mkdir -p "$WORK/runbooks"
{
  echo "title: bench"
  echo "defaults: {timeout: 10s, concurrency: 50}"
  echo "observe:"
  for i in $(seq 200); do
    echo "  - {id: c$i, http: {url: \"http://127.0.0.1:$PORT/slow?$i\"}}"
  done
} > "$WORK/runbooks/bench.yaml"
cat > "$WORK/runbooks/one.yaml" <<YAML
title: one trivial check
observe:
  - {id: one, http: {url: "http://127.0.0.1:$PORT/fast"}}
YAML

export INCIDENT_STORE="$WORK/store" NO_COLOR=1
now() { date +%s.%N; }

echo "== 200 checks x 500 ms, concurrency 50 (ideal 2.000 s)"
for run in 1 2 3; do
  start=$(now)
  "$BIN" check bench --runbooks "$WORK/runbooks" --no-record --concurrency 50 >/dev/null 2>&1 || { echo "check failed" >&2; exit 1; }
  end=$(now)
  awk -v s="$start" -v e="$end" -v r="$run" 'BEGIN { w = e - s; printf "run %d: wall %.3f s, wall/ideal %.3f\n", r, w, w / 2.0 }'
done

N=50
echo "== overhead, mean of $N runs: one trivial check vs curl on the same URL"
start=$(now)
for _ in $(seq $N); do "$BIN" check one --runbooks "$WORK/runbooks" --no-record >/dev/null 2>&1; done
end=$(now)
awk -v s="$start" -v e="$end" -v n=$N 'BEGIN { printf "incident check: %.1f ms\n", (e - s) * 1000 / n }'
start=$(now)
for _ in $(seq $N); do curl -fs "http://127.0.0.1:$PORT/fast" >/dev/null; done
end=$(now)
awk -v s="$start" -v e="$end" -v n=$N 'BEGIN { printf "curl:           %.1f ms\n", (e - s) * 1000 / n }'
