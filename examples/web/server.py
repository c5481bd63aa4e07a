#!/usr/bin/env python3
"""The server of an Official Account page, beside wxgate (Python standard library only).

Serves index.html and three small routes the page calls:
  /wx/signin?redirect=&scope=  -> 302 to the gateway's /oauth/{account}/authorize
  /wx/redeem?ticket=           -> the gateway's POST /api/oauth/redeem (once per ticket)
  /wx/config?url=              -> the gateway's GET /api/jssdk/config (wx.config's values)
The service token stays here: the browser never sees it.

  WXGATE=http://127.0.0.1:8080 WXGATE_SERVICE_TOKEN=... python3 server.py [PORT]
"""
import json
import os
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GATEWAY = os.environ.get("WXGATE", "http://127.0.0.1:8080")
TOKEN = os.environ.get("WXGATE_SERVICE_TOKEN", "let-me-in")
ACCOUNT = os.environ.get("WXGATE_ACCOUNT", "default")
PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "index.html")


def gateway(path, body=None):
    """Calls the gateway's API with the service token: (status, JSON)."""
    request = urllib.request.Request(
        GATEWAY + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


class Page(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/wx/signin":
            target = "%s/oauth/%s/authorize?%s" % (GATEWAY, ACCOUNT, urllib.parse.urlencode(query))
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
        elif url.path == "/wx/redeem":
            self.answer(*gateway("/api/oauth/redeem", {"ticket": query.get("ticket", "")}))
        elif url.path == "/wx/config":
            params = urllib.parse.urlencode({"account": ACCOUNT, "url": query.get("url", "")})
            self.answer(*gateway("/api/jssdk/config?" + params))
        else:
            with open(PAGE, "rb") as page:
                body = page.read()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def answer(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8090
    print("page on http://127.0.0.1:%d/ (gateway %s, account %s)" % (port, GATEWAY, ACCOUNT))
    ThreadingHTTPServer(("127.0.0.1", port), Page).serve_forever()
