#!/usr/bin/env python3
"""Writes a time-ordered application log of about SIZE bytes spanning 24 hours to stdout.

About 1% of lines are ERROR, 0.01% carry the rare text "OutOfMemoryError", a few carry a
four-digit latency ("took 1234ms"); a Java-style stack trace follows some errors. Deterministic
(seeded), so every run measures the same file.

    python3 bench/gen_log.py 1073741824 > big.log
"""

import random
import sys

size = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 30
rng = random.Random(42)
components = ["checkout", "payments", "inventory", "auth", "search", "cart", "shipping", "gateway"]
paths = ["/api/v1/orders", "/api/v1/cart", "/healthz", "/api/v1/items/42", "/login", "/api/v2/search?q=shoes"]
day_ms = 24 * 3600 * 1000
out = sys.stdout.buffer
buf = []
written = 0
i = 0
while written < size:
    # Time runs with the bytes written, so the file spans the day whatever the line lengths.
    ms = min(written * day_ms // size, day_ms - 1)
    s, msec = divmod(ms, 1000)
    stamp = "2026-11-22 %02d:%02d:%02d,%03d" % (s // 3600, s // 60 % 60, s % 60, msec)
    r = rng.random()
    comp = components[i % 8]
    thread = i % 32
    if r < 0.0001:
        line = "%s ERROR [worker-%d] %s: java.lang.OutOfMemoryError: Java heap space while handling request %d\n" % (stamp, thread, comp, i)
    elif r < 0.01:
        line = "%s ERROR [worker-%d] %s: request %d to %s failed: upstream connect timeout after %dms\n" % (stamp, thread, comp, i, paths[i % 6], 100 + i % 900)
        if i % 10 == 0:
            line += "java.net.SocketTimeoutException: connect timed out\n\tat com.example.http.Client.send(Client.java:%d)\n\tat com.example.%s.Service.call(Service.java:88)\n" % (i % 500, comp)
    elif r < 0.06:
        line = "%s WARN  [worker-%d] %s: slow response for %s took %dms (user %d)\n" % (stamp, thread, comp, paths[i % 6], 1000 + i % 9000 if r < 0.015 else 200 + i % 700, i % 100000)
    else:
        line = "%s INFO  [worker-%d] %s: handled %s status=200 took %dms bytes=%d\n" % (stamp, thread, comp, paths[i % 6], i % 400, 200 + i % 5000)
    buf.append(line)
    written += len(line)
    i += 1
    if len(buf) >= 20000:
        out.write("".join(buf).encode())
        buf = []
out.write("".join(buf).encode())
