#!/usr/bin/env python3
"""Burst of slow clients (issue 9 item 1): N connections each send a signed push's headers,
declare a 65,000-byte body, send 60,000 bytes of it and stop. Prints the server's RSS before,
at the peak (while they hold) and some seconds after they are gone, and how fast a real push
is answered meanwhile. Loopback only; bounded in count and time.

    benches/slow_burst.py --pid PID --port PORT [-n 2000] [--token T]
"""
import argparse
import hashlib
import socket
import time
import urllib.request


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def query(token):
    ts, nonce = str(int(time.time())), str(time.time_ns())
    sig = hashlib.sha1("".join(sorted([token, ts, nonce])).encode()).hexdigest()
    return f"signature={sig}&timestamp={ts}&nonce={nonce}"


def push(port, token):
    body = (
        "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oBurst]]>"
        f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]>"
        f"</MsgType><Content><![CDATA[hi]]></Content><MsgId>{time.time_ns()}</MsgId></xml>"
    ).encode()
    started = time.monotonic()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/wechat?{query(token)}", data=body)
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()
        status = r.status
    return status, (time.monotonic() - started) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--token", default="bench_token")
    ap.add_argument("--after", type=float, default=10.0, help="seconds to wait after the burst")
    a = ap.parse_args()
    before = rss_kib(a.pid)
    socks = []
    for _ in range(a.n):
        s = socket.create_connection(("127.0.0.1", a.port))
        s.sendall(
            f"POST /wechat?{query(a.token)} HTTP/1.1\r\nHost: x\r\nContent-Length: 65000\r\n\r\n".encode()
        )
        s.setblocking(False)
        try:
            s.send(b"<" * 60000)
        except BlockingIOError:
            pass
        socks.append(s)
    peak = rss_kib(a.pid)
    status, ms = push(a.port, a.token)
    time.sleep(1)
    peak = max(peak, rss_kib(a.pid))
    for s in socks:
        s.close()
    time.sleep(a.after)
    after = rss_kib(a.pid)
    print(f"clients={a.n} rss_before_kib={before} rss_peak_kib={peak} "
          f"rss_{a.after:g}s_after_kib={after} push_during_burst={status} in {ms:.1f} ms")


if __name__ == "__main__":
    main()
