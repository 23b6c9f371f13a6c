#!/usr/bin/env bash
# Seeds each fuzz target's corpus from what the repository ships: runbooks, the fixture
# timeline, the Loghub sample logs, the templates. Generated, never committed (corpus/ is ignored).
set -euo pipefail
cd "$(dirname "$0")"
root=..
corpus=corpus
mkdir -p "$corpus"/{runbook_load,timeline_fold,timeline_merge,timestamp_detect,time_parse,runbook_template,postmortem_template,postmortem_lint,masker}

for f in "$root"/runbooks/*.yaml; do cp "$f" "$corpus/runbook_load/"; done

timeline="$root/tests/fixtures/postmortem/2026-11-22-checkout-returns-502s/timeline.jsonl"
cp "$timeline" "$corpus/timeline_fold/fixture.jsonl"
head -n 20 "$timeline" > "$corpus/timeline_fold/head.jsonl"
# Two versions of one timeline, separated by the 0xFF byte the merge target splits at.
{ head -n 15 "$timeline"; printf '\377'; head -n 5 "$timeline"; tail -n 5 "$timeline"; } > "$corpus/timeline_merge/two-sides"

for f in "$root"/tests/fixtures/loghub/*.log; do
    name=$(basename "$f" .log)
    head -c 4096 "$f" > "$corpus/timestamp_detect/$name"
    head -n 30 "$f" > "$corpus/masker/$name"
done

i=0
for t in 250ms 5s 2m 1h 14d 1h30m 0s 18446744073709551615s 9999999999d -5m "2026-11-22T10:00:00Z" \
         "2026-11-22 10:00" "10:00" "-15m" "yesterday" "0000-01-01T00:00:00Z" "+1h"; do
    printf '%s' "$t" > "$corpus/time_parse/$i"; i=$((i + 1))
done

i=0
while IFS= read -r line; do
    case "$line" in *'{{'*|*'when:'*|*'assert:'*) printf '%s' "$line" > "$corpus/runbook_template/$i"; i=$((i + 1)) ;; esac
done < <(cat "$root"/runbooks/*.yaml)
printf '%s' '{{ "%-5s|%.1s" | format("é", "ü") }}' > "$corpus/runbook_template/format"
printf '%s' '{% for a in range(9) %}{% for b in range(9) %}{{ a * b }}{% endfor %}{% endfor %}' > "$corpus/runbook_template/loops"

for f in "$root"/templates/*.j2; do cp "$f" "$corpus/postmortem_template/"; done

for f in "$root"/tests/fixtures/postmortem/*.md "$root"/README.md "$root"/runbooks/README.md; do
    [ -f "$f" ] && cp "$f" "$corpus/postmortem_lint/"
done
printf '## Contributing factors\nalice forgot to renew the certificate.\n' > "$corpus/postmortem_lint/blame"
echo "seeded $(find "$corpus" -type f | wc -l) files under fuzz/$corpus"
