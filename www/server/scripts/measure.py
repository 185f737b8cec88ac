#!/usr/bin/env python3
"""Measures how ksa-server stands up to login brute force and slow clients.

    python3 www/server/scripts/measure.py target/release/ksa-server

Starts the given server binary on a free 127.0.0.1 port (no test endpoints,
production Argon2 cost), sends only loopback traffic in bounded loops, prints
one JSON object and stops the server. Linux only (/proc for the RSS).

- memory: peak RSS (VmHWM) before and after 64 concurrent bad logins, each
  from its own loopback address (127.0.0.2...) for its own unknown email, so
  that no per-client or per-account throttle stops them: only the bound on
  concurrent hashes is left.
- brute force: 40 wrong passwords for one account, one after the other, then
  the right one; how many were answered 401 (the password was checked) and
  how many 429 (throttled), and the checked ones per second.
- slow clients: how long the server keeps a connection open that sent a
  partial header, one that trickles its header a byte every 5 s, one that
  sends a header and a partial body, and one that sends nothing (each capped
  at 75 s: "75.0+" means still open), and of 1500 silent connections, how many
  the server still held 35 s later.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

CAP_S = 75.0
ACCOUNT = "demo@example.com"
HEADERS = {"Content-Type": "application/json", "X-Requested-With": "XMLHttpRequest"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary):
    port = free_port()
    env = dict(os.environ, KSA_SECRET="measure-secret-measure-secret-measure")
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [binary, "--addr", f"127.0.0.1:{port}", "--www-dir", "/nonexistent", "--pkg-dir", "/nonexistent"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    for line in proc.stdout:
        if "listening on" in line:
            break
    else:
        raise SystemExit("the server did not start")
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, port


def status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024  # MiB
    return None


def login(port, email, password, source="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
    try:
        c.request("POST", "/api/auth/login", json.dumps({"email": email, "password": password}), HEADERS)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def brute_force(port):
    started = time.monotonic()
    statuses = [login(port, ACCOUNT, f"wrong-{i}") for i in range(40)]
    elapsed = time.monotonic() - started
    checked = statuses.count(401)
    return {
        "attempts": 40,
        "answered401": checked,
        "answered429": statuses.count(429),
        "seconds": round(elapsed, 2),
        "checkedPerSecond": round(checked / elapsed, 1),
        "rightPasswordAfterwards": login(port, ACCOUNT, "demo-password"),
    }


def memory(pid, port):
    before = status(pid, "VmHWM")
    results = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(login(port, f"nobody{i}@example.com", "x", f"127.0.0.{i + 2}")))
        for i in range(64)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "peakRssBeforeMiB": before,
        "peakRssAfter64ConcurrentMiB": status(pid, "VmHWM"),
        "statuses": {str(s): results.count(s) for s in sorted(set(results))},
        "seconds": round(time.monotonic() - started, 2),
    }


def held_open(port, first, then=None, every=None):
    """Seconds until the server closes a connection that sent `first`, then
    (if given) one byte of `then` every `every` seconds; capped at CAP_S."""
    s = socket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    s.sendall(first)
    rest = then or b""
    s.settimeout(every or CAP_S)
    try:
        while time.monotonic() - started < CAP_S:
            try:
                if not s.recv(4096):
                    return round(time.monotonic() - started, 1)
                # A reply (e.g. 408) may come before the close: keep reading.
            except socket.timeout:
                if rest:
                    s.sendall(rest[:1])
                    rest = rest[1:]
            except OSError:
                return round(time.monotonic() - started, 1)
        return f"{CAP_S}+"
    finally:
        s.close()


def slow_clients(port):
    head = b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    cases = {
        "partialHeader": (head, None, None),
        "headerTrickled1BytePer5s": (b"P", b"OST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100, 5.0),
        "slowBody": (head + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{", None, None),
        "silentSocket": (b"", None, None),
    }
    out = {}
    threads = [
        threading.Thread(target=lambda k=k, v=v: out.__setitem__(k, held_open(port, v[0], v[1], v[2])))
        for k, v in cases.items()
    ]
    for t in threads:
        t.start()
    # Meanwhile: many silent connections.
    socks = []
    for _ in range(1500):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            break
    time.sleep(35)
    still = 0
    for s in socks:
        s.setblocking(False)
        try:
            still += 1 if s.recv(1) else 0
        except BlockingIOError:
            still += 1
        except OSError:
            pass
        s.close()
    for t in threads:
        t.join()
    out["silentConnectionsOpened"] = len(socks)
    out["silentConnectionsStillHeldAfter35s"] = still
    return out


def main():
    binary = sys.argv[1]
    proc, port = start(binary)
    try:
        report = {"binary": binary, "rssAtStartMiB": status(proc.pid, "VmRSS")}
        report["memory"] = memory(proc.pid, port)
        report["bruteForce"] = brute_force(port)
        report["slowClients"] = slow_clients(port)
        print(json.dumps(report, indent=2))
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
