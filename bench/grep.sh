#!/usr/bin/env bash
# Benchmark of `incident grep` against ripgrep (not a test: it prints ratios, asserts nothing).
#
#   bench/grep.sh [WORKDIR]        (default WORKDIR: /tmp/incident-grep-bench)
#
# Needs: a release build (made here), ripgrep 15 (`cargo install ripgrep --locked`), python3,
# gzip, GNU time (/usr/bin/time) for peak RSS. Generates a 1 GiB and a 100 MiB 24-hour
# time-ordered log (once; kept in WORKDIR), warms the page cache, and measures each command as
# the best of RUNS runs (default 5). Targets (from issue 3):
#   whole-file count         incident / rg -c      <= 1.2  (literal, -i, alternation, no literal)
#   15-minute window         whole scan / window   >= 20
#   gzip                     rg -z -c / incident   >= 2.5
#   peak RSS                 1 GiB - 100 MiB       <= 10 MB
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-/tmp/incident-grep-bench}
RUNS=${RUNS:-5}
mkdir -p "$WORK"
cd "$ROOT"
. "$ROOT/bench/binaries.sh"

BIG="$WORK/big.log"
SMALL="$WORK/small.log"
GZ="$WORK/big.log.1.gz"
if [ ! -s "$BIG" ]; then
    echo "generating $BIG (1 GiB) ..."
    python3 "$ROOT/bench/gen_log.py" $((1 << 30)) > "$BIG"
fi
if [ ! -s "$SMALL" ]; then
    python3 "$ROOT/bench/gen_log.py" $((100 << 20)) > "$SMALL"
fi
if [ ! -s "$GZ" ]; then
    echo "compressing $GZ ..."
    gzip -c "$BIG" > "$GZ"
fi
# Warm the page cache: every measurement reads from memory, as the targets say.
cat "$BIG" "$SMALL" "$GZ" > /dev/null

export TZ=UTC NO_COLOR=1 INCIDENT="$INCIDENT" RG="$RG" BIG="$BIG" SMALL="$SMALL" GZ="$GZ" RUNS

# The two commands of each comparison run alternately, RUNS times, and the best time of each
# counts: on a shared machine, load that comes and goes then hits both alike.
python3 - <<'PY'
import os, subprocess, time

I, RG, BIG, SMALL, GZ = (os.environ[k] for k in ("INCIDENT", "RG", "BIG", "SMALL", "GZ"))
RUNS = int(os.environ["RUNS"])
WINDOW = ["--since", "2026-11-22T12:00:00Z", "--until", "2026-11-22T12:15:00Z"]


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


def rss(cmd):
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    return int(r.stderr.strip().splitlines()[-1])


print("\n== whole-file count, 1 GiB: incident grep -c / rg -c (target <= 1.2)")
print(f"{'pattern':<48} {'incident':>9} {'rg':>9} {'ratio':>6}  counts")
for name, inc_args, rg_args in [
    ("literal ERROR", ["ERROR"], ["ERROR"]),
    ("-i error", ["--ignore-case", "error"], ["-i", "error"]),
    ("alternation OutOfMemory|SocketTimeout|status=500", ["OutOfMemory|SocketTimeout|status=500"], ["OutOfMemory|SocketTimeout|status=500"]),
    ("no literal [0-9]{4}ms", ["[0-9]{4}ms"], ["[0-9]{4}ms"]),
]:
    inc = [I, "grep", "-q", "-c", *inc_args, BIG]
    rg = [RG, "-c", *rg_args, BIG]
    ti, tr = race(inc, rg)
    print(f"{name:<48} {ti:>8.3f}s {tr:>8.3f}s {ti / tr:>6.2f}  {out(inc)} / {out(rg)}")

print("\n== 15-minute window vs incident's own whole-file scan, 1 GiB (target >= 20x)")
window = [I, "grep", "-q", "-c", "ERROR", BIG, *WINDOW]
whole = [I, "grep", "-q", "-c", "ERROR", BIG]
tw, tf = race(window, whole)
print(f"window {tw:.3f}s ({out(window)} matches), whole file {tf:.3f}s: {tf / tw:.1f}x faster")

print("\n== gzip, whole-file count of ERROR: rg -z -c / incident (target >= 2.5x)")
gz_inc = [I, "grep", "-q", "-c", "ERROR", GZ]
gz_rg = [RG, "-z", "-c", "ERROR", GZ]
ti, tr = race(gz_inc, gz_rg)
print(f"incident {ti:.3f}s, rg -z {tr:.3f}s: {tr / ti:.2f}x faster  counts {out(gz_inc)} / {out(gz_rg)}")
early = [I, "grep", "-q", "-c", "ERROR", GZ, "--since", "2026-11-22T02:00:00Z", "--until", "2026-11-22T02:15:00Z"]
(te,) = race(early)
print(f"a 15-minute window at 02:00 in the gzip file: {te:.3f}s (decompression stops after the window)")

print("\n== peak RSS, whole-file count of ERROR (target: within 10 MB)")
small, big = rss([I, "grep", "-q", "-c", "ERROR", SMALL]), rss([I, "grep", "-q", "-c", "ERROR", BIG])
print(f"100 MiB: {small} KB, 1 GiB: {big} KB, difference {(big - small) / 1024:.1f} MB"
      f" (15-minute window: {rss(window)} KB, gzip: {rss(gz_inc)} KB, rg -c on 1 GiB: {rss([RG, '-c', 'ERROR', BIG])} KB)")
PY
