#!/usr/bin/env bash
# Benchmark of `incident grep --journal` beside `journalctl --since --until | rg -c` on the same
# journal (not a test: prints, asserts nothing).
#
#   bench/grep-journal.sh [WORKDIR]   (default WORKDIR: /tmp/incident-journal-bench)
#
# Writes a journal of ENTRIES entries (default 1,000,000), one every 86 ms over a day, with
# Debian's systemd-journal-remote from the export format (no journald needed; kept in WORKDIR),
# then times a whole-journal count and a 15-minute window both ways, best of RUNS (default 5).
# INCIDENT and RG as in bench/grep.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-/tmp/incident-journal-bench}
RUNS=${RUNS:-5}
ENTRIES=${ENTRIES:-1000000}
mkdir -p "$WORK"
cd "$ROOT"
. "$ROOT/bench/binaries.sh"
REMOTE=/lib/systemd/systemd-journal-remote
[ -x "$REMOTE" ] || { echo "needs $REMOTE: apt-get install systemd-journal-remote" >&2; exit 2; }
echo "journalctl: $(journalctl --version | head -1)"

JOURNAL="$WORK/journal-$ENTRIES"
if [ ! -s "$JOURNAL/remote.journal" ]; then
  echo "writing $ENTRIES entries to $JOURNAL ..."
  mkdir -p "$JOURNAL"
  python3 - "$ENTRIES" <<'PY' | "$REMOTE" --output="$JOURNAL/remote.journal" - >/dev/null
import sys
n = int(sys.argv[1])
start = 1795392000_000000  # 2026-11-23T00:00:00Z
step = 86_400_000_000 // n
out = sys.stdout
for i in range(n):
    t = start + i * step
    unit = ("api", "db", "web")[i % 3]
    msg = "ERROR upstream timed out" if i % 97 == 0 else f"GET /item/{i} 200"
    out.write(f"__REALTIME_TIMESTAMP={t}\n__MONOTONIC_TIMESTAMP={i + 1}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
              f"_SYSTEMD_UNIT={unit}.service\n_HOSTNAME=bench\nPRIORITY=6\nMESSAGE={msg}\n\n")
PY
fi

export TZ=UTC NO_COLOR=1 INCIDENT RG JOURNAL RUNS
python3 - <<'PY'
import os, subprocess, time

I, RG, J = (os.environ[k] for k in ("INCIDENT", "RG", "JOURNAL"))
RUNS = int(os.environ["RUNS"])


def timed(shell):
    best, out = float("inf"), ""
    for _ in range(RUNS):
        t = time.perf_counter()
        out = subprocess.run(shell, shell=True, capture_output=True, text=True).stdout.strip()
        best = min(best, time.perf_counter() - t)
    return best, out


for name, window in [("whole journal", ""), ("15-minute window", "--since '2026-11-23 12:00:00' --until '2026-11-23 12:15:00'")]:
    iw = window.replace("'2026-11-23 12:00:00'", "2026-11-23T12:00:00Z").replace("'2026-11-23 12:15:00'", "2026-11-23T12:15:00Z")
    inc = f"{I} grep -q -c ERROR --journal --journal-directory {J} {iw}"
    ref = f"journalctl --directory {J} --no-pager -q {window} | {RG} -c ERROR"
    ti, ci = timed(inc)
    tr, cr = timed(ref)
    print(f"{name:<18} incident {ti:.3f}s ({ci})  journalctl | rg {tr:.3f}s ({cr})  ratio {ti / tr:.2f}")
PY
