#!/usr/bin/env bash
# Benchmark of `incident grep` on a JSON-lines log beside ripgrep (not a test: prints, asserts
# nothing).
#
#   bench/grep-json.sh [WORKDIR]     (default WORKDIR: /tmp/incident-grep-bench; SIZE bytes, 1 GiB)
#
# Needs a release build (made here), ripgrep, python3. Targets (issue 13):
#   whole-file count on 1 GiB of JSON lines     incident / rg -c               <= 1.3
#   15-minute window on it                      window / process start-up      <= 3
# Start-up is `incident grep -c x` on an empty file: the process, argument parsing, one open.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-/tmp/incident-grep-bench}
RUNS=${RUNS:-5}
SIZE=${SIZE:-$((1 << 30))}
mkdir -p "$WORK"
cd "$ROOT"
. "$ROOT/bench/binaries.sh"

JSONL="$WORK/big-$SIZE.jsonl"
EMPTY="$WORK/empty.log"
[ -s "$JSONL" ] || { echo "generating $JSONL ..."; python3 "$ROOT/bench/gen_json_log.py" "$SIZE" > "$JSONL"; }
: > "$EMPTY"
cat "$JSONL" > /dev/null

export TZ=UTC NO_COLOR=1 INCIDENT RG JSONL EMPTY RUNS
python3 - <<'PY'
import os, subprocess, time

I, RG, JSONL, EMPTY = (os.environ[k] for k in ("INCIDENT", "RG", "JSONL", "EMPTY"))
RUNS = int(os.environ["RUNS"])


def out(cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()


def race(*cmds):
    best = [float("inf")] * len(cmds)
    for _ in range(RUNS):
        for i, cmd in enumerate(cmds):
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            best[i] = min(best[i], time.perf_counter() - t)
    return best


size = os.path.getsize(JSONL) / (1 << 20)
print(f"\n== whole-file count, {size:.0f} MiB of JSON lines: incident grep -c / rg -c (target <= 1.3)")
for name, pattern in [("literal ERROR", "ERROR"), ("alternation timed out|status\":5", 'timed out|status":5')]:
    inc = [I, "grep", "-q", "-c", pattern, JSONL]
    rg = [RG, "-c", pattern, JSONL]
    ti, tr = race(inc, rg)
    print(f"{name:<40} incident {ti:.3f}s  rg {tr:.3f}s  ratio {ti / tr:.2f}  counts {out(inc)} / {out(rg)}")

print("\n== 15-minute window vs process start-up (target <= 3x)")
window = [I, "grep", "-q", "-c", "ERROR", JSONL, "--since", "2026-11-22T12:00:00Z", "--until", "2026-11-22T12:15:00Z"]
startup = [I, "grep", "-q", "-c", "x", EMPTY]
tw, ts = race(window, startup)
print(f"window {tw * 1000:.1f} ms ({out(window)} matches), start-up {ts * 1000:.1f} ms: {tw / ts:.2f}x")
PY
