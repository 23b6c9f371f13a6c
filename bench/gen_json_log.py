#!/usr/bin/env python3
"""Writes a time-ordered JSON-lines log (Go slog's JSON handler layout) of about SIZE bytes
spanning 24 hours of 2026-11-22 to stdout. The time key comes after level and message on some
lines and first on others, so detection by key is measured, not by position. About 1% of lines are
level ERROR. Deterministic (seeded).

    python3 bench/gen_json_log.py 1073741824 > big.jsonl
"""

import random
import sys

size = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 30
rng = random.Random(42)
upstreams = ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"]
paths = ["/api/v1/orders", "/api/v1/cart", "/healthz", "/api/v1/items/42", "/login"]
day_ms = 24 * 3600 * 1000
out = sys.stdout.buffer
buf, written, i = [], 0, 0
while written < size:
    ms = min(written * day_ms // size, day_ms - 1)
    s, msec = divmod(ms, 1000)
    stamp = "2026-11-22T%02d:%02d:%02d.%03d000000Z" % (s // 3600, s // 60 % 60, s % 60, msec)
    error = rng.random() < 0.01
    level, status = ("ERROR", 502) if error else ("INFO", 200)
    msg = "upstream timed out" if error else "request served"
    path, upstream, took = paths[i % 5], upstreams[rng.randrange(3)], rng.randrange(1, 900)
    if i % 2:
        line = f'{{"time":"{stamp}","level":"{level}","msg":"{msg}","path":"{path}","status":{status},"upstream":"{upstream}","took_ms":{took}}}\n'
    else:
        line = f'{{"level":"{level}","msg":"{msg}","path":"{path}","status":{status},"upstream":"{upstream}","took_ms":{took},"time":"{stamp}"}}\n'
    data = line.encode()
    buf.append(data)
    written += len(data)
    i += 1
    if len(buf) >= 4096:
        out.write(b"".join(buf))
        buf = []
out.write(b"".join(buf))
