#!/usr/bin/env bash
# Soak test of sharing an incident (not part of `cargo test`): 4 clones of one store synced
# through a git remote over a real sshd on loopback, recording and syncing concurrently for
# SOAK_SECONDS (default 180) with random SIGKILLs during sync, and a JSON webhook receiver on
# loopback. At the end every clone syncs until it succeeds, then the script asserts:
#   - no acknowledged event lost or duplicated; identical timeline files and `show --json`;
#   - every verdict on the hypothesis its responder saw (by event id, whatever the numbers did);
#   - no conflict markers, `timeline --verify` clean; every clone's final sync succeeded;
#   - each notification posted exactly once to the receiver, including the events of the clones
#     that do not have the webhook's URL (r3 and r4: r1 and r2 post theirs after sync).
# and prints events, syncs, failed and killed syncs, sync p50/p95.
#
# Usage: scripts/soak-sync.sh [BINARY]   (default target/debug/incident; needs openssh-server,
# openssh-client, git, python3). Exit 0 when every assertion holds.
set -euo pipefail

BIN=$(realpath "${1:-target/debug/incident}")
SECONDS_TO_RUN=${SOAK_SECONDS:-180}
CLONES=4
KILL_PERCENT=${SOAK_KILL_PERCENT:-12}
T=$(mktemp -d /tmp/incident-soak.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "${SOAK_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "SOAK FAILED: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- sshd on loopback, as tests/cli/remote.rs starts it -----------------------------------
mkdir -p "$T/ssh" /run/sshd 2>/dev/null || mkdir -p "$T/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/client_key"
SSH_PORT=$(free_port)
USER_NAME=$(id -un)
cat > "$T/ssh/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $SSH_PORT
HostKey $T/ssh/host_key
AuthorizedKeysFile $T/ssh/client_key.pub
PidFile $T/ssh/sshd.pid
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
MaxStartups 100:30:200
LogLevel ERROR
EOF
/usr/sbin/sshd -D -e -f "$T/ssh/sshd_config" 2>"$T/sshd.log" &
PIDS+=($!)
export GIT_SSH_COMMAND="ssh -i $T/ssh/client_key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=15"
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$SSH_PORT) 2>/dev/null && break; sleep 0.1; done

git init -q --bare "$T/remote.git"
REMOTE="ssh://$USER_NAME@127.0.0.1:$SSH_PORT$T/remote.git"

# --- the webhook receiver: logs one line per POST (the event id, kind, Idempotency-Key) -----
HOOK_PORT=$(free_port)
cat > "$T/receiver.py" <<'EOF'
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
log = open(sys.argv[2], "a", buffering=1)
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with lock:
            log.write("%s %s %s %s\n" % (body["event"]["id"], body["event"]["kind"], self.headers.get("Idempotency-Key"), body["event"].get("from", "-")))
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
python3 "$T/receiver.py" "$HOOK_PORT" "$T/posts.log" &
PIDS+=($!)
export HOOK_URL="http://127.0.0.1:$HOOK_PORT/hook"
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$HOOK_PORT) 2>/dev/null && break; sleep 0.1; done

# --- the clones ------------------------------------------------------------------------------
export GIT_CONFIG_NOSYSTEM=1 GIT_COMMITTER_NAME=soak GIT_COMMITTER_EMAIL=soak@example.invalid
for i in $(seq $CLONES); do
    mkdir -p "$T/c$i"
    printf 'store = "store"\n[sync]\ntimeout = "30s"\n\n[[notify]]\nname = "hook"\nkind = "json"\nurl_env = "HOOK_URL"\n' > "$T/c$i/incident.toml"
done
# `exec`: a `kill -9` of the background sync's pid must hit incident itself. Only r1 and r2
# have the webhook's URL; r3's and r4's events are posted by whichever of them claims first.
inc() {
    local i=$1; shift
    (cd "$T/c$i" && { [ "$i" -le 2 ] || unset HOOK_URL; } && HOME="$T/c$i" INCIDENT_AUTHOR="r$i" exec "$BIN" "$@")
}
ID=$(inc 1 open "Soak: checkout 502s" -s sev2 --no-walk)
inc 1 sync --init "$REMOTE" >/dev/null 2>&1
for i in $(seq 2 $CLONES); do inc "$i" sync --init "$REMOTE" >/dev/null 2>&1; inc "$i" use "$ID" >/dev/null; done

now_ms() { date +%s%3N; }

worker() {
    local i=$1 n=0 end=$(( $(date +%s) + SECONDS_TO_RUN ))
    while [ "$(date +%s)" -lt "$end" ]; do
        n=$((n + 1))
        local roll=$((RANDOM % 100))
        if [ $roll -lt 55 ]; then
            inc "$i" observe "obs-r$i-$n" >/dev/null 2>&1 && echo "obs-r$i-$n" >> "$T/acked.r$i"
        elif [ $roll -lt 67 ]; then
            inc "$i" hypothesis add "hyp-r$i-$n" >/dev/null 2>&1 && echo "hyp-r$i-$n" >> "$T/acked.r$i"
        elif [ $roll -lt 80 ]; then
            # A verdict by number, as a responder types it; what it meant is the event id this
            # clone showed under that number at that moment.
            local list count pick target verb
            list=$(inc "$i" hypothesis list --json 2>/dev/null) || continue
            count=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$list")
            [ "$count" -gt 0 ] || continue
            pick=$(( RANDOM % count + 1 ))
            target=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[int(sys.argv[2])-1]["event"])' "$list" "$pick")
            verb=$([ $((RANDOM % 2)) -eq 0 ] && echo confirm || echo refute)
            if inc "$i" hypothesis "$verb" "H$pick" --evidence "ver-r$i-$n" >/dev/null 2>&1; then
                echo "ver-r$i-$n $target" >> "$T/verdicts.r$i"
                echo "ver-r$i-$n" >> "$T/acked.r$i"
            fi
        elif [ $roll -lt 84 ]; then
            local to
            to=$(shuf -n1 -e investigating identified mitigated monitoring)
            inc "$i" status "$to" --note "st-r$i-$n" >/dev/null 2>&1 || true
        else
            local started rc
            started=$(now_ms)
            inc "$i" sync >/dev/null 2>>"$T/sync-errors.r$i" &
            local pid=$!
            if [ $((RANDOM % 100)) -lt "$KILL_PERCENT" ]; then
                sleep "0.$((RANDOM % 400))"
                kill -9 "$pid" 2>/dev/null && echo killed >> "$T/syncs.r$i"
                wait "$pid" 2>/dev/null || true
                continue
            fi
            rc=0; wait "$pid" || rc=$?
            echo "$rc $(( $(now_ms) - started ))" >> "$T/syncs.r$i"
        fi
    done
}

echo "soak: $CLONES clones over $REMOTE for ${SECONDS_TO_RUN}s (store $ID)" >&2
WORKERS=()
for i in $(seq $CLONES); do worker "$i" & WORKERS+=($!); done
for pid in "${WORKERS[@]}"; do wait "$pid" 2>/dev/null || true; done

# --- converge: every clone syncs until it succeeds (no manual repair), twice round -----------
for round in 1 2; do
    for i in $(seq $CLONES); do
        ok=""
        for attempt in $(seq 20); do
            if inc "$i" sync >/dev/null 2>>"$T/sync-errors.r$i"; then ok=1; break; fi
            sleep 1
        done
        [ -n "$ok" ] || fail "r$i: sync did not succeed after 20 attempts: $(tail -3 "$T/sync-errors.r$i")"
    done
done
for i in $(seq $CLONES); do inc "$i" notify flush >/dev/null 2>&1 || true; done
sleep 1

# --- assertions ------------------------------------------------------------------------------
TL="store/$ID/timeline.jsonl"
for i in $(seq 2 $CLONES); do
    cmp -s "$T/c1/$TL" "$T/c$i/$TL" || fail "r$i's timeline differs from r1's"
    [ "$(inc 1 show --json)" = "$(inc "$i" show --json)" ] || fail "r$i's show --json differs from r1's"
done
! grep -rlE '^(<<<<<<<|>>>>>>>|=======)' "$T"/c*/store --include='*.jsonl' || fail "conflict markers in a timeline"
for i in $(seq $CLONES); do inc "$i" timeline --verify >/dev/null || fail "r$i: timeline --verify"; done
python3 - "$T" "$T/c1/$TL" "$CLONES" <<'EOF' || fail "see above"
import collections, glob, json, sys
t, timeline, clones = sys.argv[1], sys.argv[2], int(sys.argv[3])
events = [json.loads(l) for l in open(timeline)]
texts = collections.Counter(e.get("text") or e.get("evidence") for e in events)
ok = True
acked = [l.strip() for f in glob.glob(t + "/acked.r*") for l in open(f)]
lost = [a for a in acked if texts[a] == 0]
dup = [a for a in acked if texts[a] > 1]
ids = collections.Counter(e["id"] for e in events)
if lost or dup or any(n > 1 for n in ids.values()):
    print("lost:", lost[:5], "duplicated:", dup[:5]); ok = False
by_evidence = {e.get("evidence"): e for e in events if e["kind"] in ("hypothesis.confirmed", "hypothesis.refuted")}
wrong = []
verdicts = [l.split() for f in glob.glob(t + "/verdicts.r*") for l in open(f)]
for token, target in verdicts:
    if by_evidence[token].get("about") != target:
        wrong.append(token)
if wrong:
    print("verdicts on another hypothesis than the responder saw:", len(wrong), "of", len(verdicts)); ok = False
notified = {e["id"] for e in events if e["kind"] in ("incident.opened", "status.changed", "severity.changed", "hypothesis.confirmed", "incident.resolved")}
posts = collections.Counter(l.split()[0] for l in open(t + "/posts.log")) if glob.glob(t + "/posts.log") else collections.Counter()
twice = [e for e, n in posts.items() if n > 1]
missing = notified - set(posts)
if twice or missing:
    print("posted more than once:", len(twice), "never posted:", len(missing)); ok = False
syncs = [l.split() for f in glob.glob(t + "/syncs.r*") for l in open(f)]
done = sorted(int(s[1]) for s in syncs if len(s) == 2)
failed = sum(1 for s in syncs if len(s) == 2 and s[0] != "0")
killed = sum(1 for s in syncs if s == ["killed"])
pct = lambda p: done[min(len(done) - 1, int(len(done) * p))] if done else 0
print(f"events {len(events)} (acknowledged records {len(acked)}), verdicts {len(verdicts)} all on the hypothesis seen: {not wrong}")
print(f"syncs {len(syncs)}: completed {len(done)}, failed {failed}, killed {killed}; p50 {pct(0.5)} ms, p95 {pct(0.95)} ms")
by_hookless = {e["id"] for e in events if e["id"] in notified and e["author"] in ("r3", "r4")}
# What each status change moved from in the merged timeline (the fold's order: time, then line).
said_from = {l.split()[0]: l.split()[3] for l in open(t + "/posts.log")} if glob.glob(t + "/posts.log") else {}
order = sorted(range(len(events)), key=lambda i: (events[i]["ts"], i))
status, merged_from = "investigating", {}
for i in order:
    e = events[i]
    if e["kind"] == "status.changed":
        merged_from[e["id"]] = status
        status = e["to"]
changes = [i for i in merged_from if i in said_from]
disagree = [i for i in changes if said_from[i] != merged_from[i]]
print(f"status messages whose 'from' differs from the merged timeline: {len(disagree)} of {len(changes)}")
print(f"notifications: {len(notified)} events to notify ({len(by_hookless)} by clones without the URL), {sum(posts.values())} posts, each once: {not twice and not missing}")
sys.exit(0 if ok else 1)
EOF
echo "SOAK OK" >&2
