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
nice -n 10 cargo build --release --quiet
INCIDENT="$ROOT/target/release/incident"
RG=$(command -v rg || true)
[ -n "$RG" ] || { echo "ripgrep not found: cargo install ripgrep --locked" >&2; exit 2; }
echo "incident: $INCIDENT"
echo "ripgrep:  $($RG --version | head -1)"

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

export TZ=UTC NO_COLOR=1

# best SECONDS of RUNS runs of a command (stdout discarded)
best() {
    local best=999999 t0 t1 t
    for _ in $(seq "$RUNS"); do
        t0=$(date +%s.%N)
        "$@" > /dev/null 2>&1 || true
        t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc -l)
        if (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
    done
    printf '%.3f' "$best"
}

ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }


echo
echo "== whole-file count, 1 GiB, incident grep -c vs rg -c (target <= 1.2)"
printf '%-22s %10s %10s %8s\n' pattern incident rg ratio
for spec in "literal|ERROR" "-i|--ignore-case|error" "alternation|OutOfMemory|SocketTimeout|status=500" "no literal|[0-9]{4}ms"; do
    name=${spec%%|*}
    rest=${spec#*|}
    if [ "$name" = "-i" ]; then
        flag=${rest%%|*}; pat=${rest#*|}
        ti=$(best "$INCIDENT" grep -q -c "$flag" "$pat" "$BIG")
        tr=$(best "$RG" -c -i "$pat" "$BIG")
        a=$("$INCIDENT" grep -q -c "$flag" "$pat" "$BIG"); b=$("$RG" -c -i "$pat" "$BIG")
    else
        pat=$rest
        ti=$(best "$INCIDENT" grep -q -c "$pat" "$BIG")
        tr=$(best "$RG" -c "$pat" "$BIG")
        a=$("$INCIDENT" grep -q -c "$pat" "$BIG"); b=$("$RG" -c "$pat" "$BIG")
    fi
    printf '%-22s %9ss %9ss %8s   counts %s / %s\n' "$name: $pat" "$ti" "$tr" "$(ratio "$ti" "$tr")" "$a" "$b"
done

echo
echo "== 15-minute window vs incident's own whole-file scan, 1 GiB (target >= 20x)"
tw=$(best "$INCIDENT" grep -q -c ERROR "$BIG" --since 2026-11-22T12:00:00Z --until 2026-11-22T12:15:00Z)
tf=$(best "$INCIDENT" grep -q -c ERROR "$BIG")
echo "window ${tw}s, whole file ${tf}s: $(ratio "$tf" "$tw")x faster"
echo "  window count: $("$INCIDENT" grep -q -c ERROR "$BIG" --since 2026-11-22T12:00:00Z --until 2026-11-22T12:15:00Z)"

echo
echo "== gzip, whole-file count of ERROR: rg -z -c vs incident (target >= 2.5x)"
tgi=$(best "$INCIDENT" grep -q -c ERROR "$GZ")
tgr=$(best "$RG" -z -c ERROR "$GZ")
echo "incident ${tgi}s, rg -z ${tgr}s: $(ratio "$tgr" "$tgi")x faster   counts $("$INCIDENT" grep -q -c ERROR "$GZ") / $("$RG" -z -c ERROR "$GZ")"
tgw=$(best "$INCIDENT" grep -q -c ERROR "$GZ" --since 2026-11-22T02:00:00Z --until 2026-11-22T02:15:00Z)
echo "gzip, a 15-minute window at 02:00: ${tgw}s (stops decompressing after it)"

echo
echo "== peak RSS, whole-file count (target: within 10 MB)"
rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
r_small=$(rss "$INCIDENT" grep -q -c ERROR "$SMALL")
r_big=$(rss "$INCIDENT" grep -q -c ERROR "$BIG")
r_win=$(rss "$INCIDENT" grep -q -c ERROR "$BIG" --since 2026-11-22T12:00:00Z --until 2026-11-22T12:15:00Z)
r_gz=$(rss "$INCIDENT" grep -q -c ERROR "$GZ")
echo "100 MiB: ${r_small} KB, 1 GiB: ${r_big} KB, difference $(( (r_big - r_small) / 1024 )) MB (window: ${r_win} KB, gzip: ${r_gz} KB)"
