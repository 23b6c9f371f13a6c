#!/usr/bin/env bash
# Benchmark of `incident receive` (numbers for the notes, not a test: prints, asserts nothing).
#
#   bench/receive.sh [path/to/incident]      (default: target/release/incident)
#
#  1. Latency: 20 firing InstanceDown notifications, each its own group, POSTed as Alertmanager
#     posts them (webhook v4, bearer token) to a receiver on loopback. For each: from the POST to
#     the first `check.result` recorded (its `ts`), beside the checks' own time (the longest
#     `duration_ms` of that run: the results are recorded when the run ends). Median of 20.
#     Target (issue 12): under 1 s beyond the checks' own time.
#  2. Memory: the receiver's RSS (VmRSS, VmHWM) after 1,000 notifications: 100 groups x 10
#     notifications each (the group's firing set grows by one alert each time, so each one is
#     recorded), with no runbook to run (the cost of receiving and recording alone).
# Needs python3 and curl. The checked service is python's http.server on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/release/incident}")
[ -x "$BIN" ] || { echo "build it first: cargo build --release" >&2; exit 1; }
WORK=$(mktemp -d)
SERVICE_PID=""; RECEIVER_PID=""
trap 'kill $SERVICE_PID $RECEIVER_PID 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SERVICE_PORT=$(free_port)
mkdir -p "$WORK/www" && echo ok > "$WORK/www/healthz"
python3 -m http.server "$SERVICE_PORT" --bind 127.0.0.1 --directory "$WORK/www" >/dev/null 2>&1 & SERVICE_PID=$!

start_receiver() {
  RECEIVER_PORT=$(free_port)
  export INCIDENT_STORE="$WORK/$1" INCIDENT_AUTHOR=bench INCIDENT_RECEIVE_TOKEN=bench-token
  (cd "$WORK" && exec "$BIN" receive --listen "127.0.0.1:$RECEIVER_PORT" >/dev/null 2>"$WORK/$1.log") & RECEIVER_PID=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$RECEIVER_PORT/healthz" >/dev/null 2>&1 && return; sleep 0.05; done
  echo "the receiver did not start: $(cat "$WORK/$1.log")" >&2; exit 1
}
post() { curl -fs -o /dev/null -H "Authorization: Bearer bench-token" -H 'Content-Type: application/json' \
  --data-binary "@$1" "http://127.0.0.1:$RECEIVER_PORT/alertmanager"; }

# payload.py NAME GROUP FIRING_COUNT INSTANCE > file: one Alertmanager v4 notification.
cat > "$WORK/payload.py" <<'PY'
import json, sys
def payload(name, group, count, instance):
    alerts = [{"status": "firing", "labels": {"alertname": name, "instance": instance, "job": group, "n": str(i)},
               "annotations": {"summary": f"{instance} is down"}, "startsAt": "2026-11-24T10:00:00Z",
               "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph",
               "fingerprint": f"{group}-{i:04d}"} for i in range(count)]
    return json.dumps({"version": "4", "groupKey": f"{{}}:{{alertname=\"{name}\", job=\"{group}\"}}",
      "truncatedAlerts": 0, "status": "firing", "receiver": "incident", "groupLabels": {"alertname": name, "job": group},
      "commonLabels": {"alertname": name, "instance": instance, "job": group, "severity": "critical"},
      "commonAnnotations": {}, "externalURL": "http://alertmanager", "alerts": alerts})
if __name__ == "__main__":
    print(payload(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
PY

if [ -z "${SKIP_LATENCY:-}" ]; then
echo "== 1. POST to the first recorded check result (http-5xx: port, health, error_ratio) =="
start_receiver latency
for i in $(seq 20); do
  python3 "$WORK/payload.py" InstanceDown "bench-$i" 1 "127.0.0.1:$SERVICE_PORT" > "$WORK/a.json"
  before=$(ls "$INCIDENT_STORE" 2>/dev/null | wc -l)
  start=$(date +%s.%N)
  post "$WORK/a.json"
  echo "$start" > "$WORK/start-$i"
  # One notification at a time: the next is posted once this one's checks are recorded.
  for _ in $(seq 600); do
    grep -qs '"check.result"' "$INCIDENT_STORE"/*/timeline.jsonl && [ "$(grep -ls '"check.result"' "$INCIDENT_STORE"/*/timeline.jsonl | wc -l)" -ge "$i" ] && break
    sleep 0.01
  done
done
python3 - "$INCIDENT_STORE" "$WORK" <<'PY'
import json, sys, glob, statistics, datetime
store, work = sys.argv[1], sys.argv[2]
rows = []
for path in glob.glob(f"{store}/*/timeline.jsonl"):
    events = [json.loads(l) for l in open(path)]
    group = next(e["labels"]["job"] for e in events if e["kind"] == "alert.received")
    i = int(group.split("-")[1])
    start = float(open(f"{work}/start-{i}").read())
    checks = [e for e in events if e["kind"] == "check.result"]
    first = min(datetime.datetime.fromisoformat(e["ts"].replace("Z", "+00:00")).timestamp() for e in checks)
    own = max(e["duration_ms"] for e in checks) / 1000
    rows.append((first - start, own))
lat = [r[0] for r in rows]; own = [r[1] for r in rows]; over = [a - b for a, b in rows]
print(f"alerts: {len(rows)}")
print(f"POST -> first check.result: median {statistics.median(lat)*1000:.0f} ms (min {min(lat)*1000:.0f}, max {max(lat)*1000:.0f})")
print(f"the checks' own time:        median {statistics.median(own)*1000:.0f} ms")
print(f"beyond the checks' own time: median {statistics.median(over)*1000:.0f} ms (max {max(over)*1000:.0f})")
PY
kill "$RECEIVER_PID"; wait "$RECEIVER_PID" 2>/dev/null || true
fi

echo "== 2. The receiver's memory after 1,000 notifications (100 groups x 10, no runbook) =="
start_receiver memory
rss() { grep -E '^(VmRSS|VmHWM)' "/proc/$RECEIVER_PID/status" | tr -s ' \t' ' ' | tr '\n' ' '; }
echo "at start: $(rss)"
# Written beforehand: python's start-up (slow on a busy machine) is not the receiver's cost.
mkdir -p "$WORK/m"
python3 - "$WORK" "${ROUNDS:-10}" "${ALERT_GROUPS:-100}" <<'PY'
import sys
work, rounds, groups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, work)
from payload import payload
for n in range(1, rounds + 1):
    for g in range(1, groups + 1):
        text = payload("BenchUnmatched", f"mem-{g}", n, f"10.0.0.{g}:9100")
        open(f"{work}/m/{n:03d}-{g:03d}.json", "w").write(text)
PY
began=$(date +%s.%N)
for f in "$WORK"/m/*.json; do post "$f"; done
posted=$(date +%s.%N)
for _ in $(seq 3000); do [ -z "$(ls -A "$INCIDENT_STORE/inbox" 2>/dev/null)" ] && break; sleep 0.1; done
drained=$(date +%s.%N)
recorded=$(cat "$INCIDENT_STORE"/*/timeline.jsonl | grep -c '"alert.received"')
echo "after $(( ${ROUNDS:-10} * ${ALERT_GROUPS:-100} )): $(rss)"
echo "alert.received recorded: $recorded in $(ls -d "$INCIDENT_STORE"/*/ | grep -vc inbox) incidents"
python3 -c "import sys; b,p,d=map(float,sys.argv[1:]); print(f'posting took {p-b:.1f} s, all recorded {d-b:.1f} s after the first POST')" "$began" "$posted" "$drained"
