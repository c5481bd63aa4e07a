// A wxgate webhook receiver: Node, no framework.
//
//   npm install                                   # standardwebhooks (optional, see below)
//   WXGATE_WEBHOOK_SECRET=whsec_... node receiver.mjs   # listens on 127.0.0.1:9100
//
// Point a `call` webhook at http://127.0.0.1:9100/call and a `notify` webhook at
// http://127.0.0.1:9100/notify. For every delivery it
//
// 1. verifies the Standard Webhooks signature over the raw body (timestamps more than 5 minutes
//    off are refused, so a captured delivery cannot be replayed) with the `standardwebhooks`
//    package when installed, else with the same algorithm on node:crypto;
// 2. drops duplicates by X-Wxgate-Event-Id (notify delivery is at-least-once): a repeated notify
//    is acknowledged and skipped, a repeated call gets the answer it got the first time;
// 3. answers a call for a text message with {"reply": {"text": "You said: ..."}}, a subscribe
//    with a welcome, anything else with {} (no reply: the gateway tries the next rule).
//
// Environment: WXGATE_WEBHOOK_SECRET (required), HOST (127.0.0.1), PORT (9100), EVENTS_LOG (a
// file to which every new event is appended as one JSON line). The secret is never printed.
import { createHmac, timingSafeEqual } from "node:crypto";
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";

const TOLERANCE_S = 5 * 60;
const MAX_BODY = 1 << 20;
const SEEN_MAX = 100_000;

/** The HMAC key: base64 after `whsec_`, else the secret's UTF-8 bytes (contract section 6). */
function keyOf(secret) {
  return secret.startsWith("whsec_")
    ? Buffer.from(secret.slice("whsec_".length), "base64")
    : Buffer.from(secret, "utf8");
}

/** A verifier for `secret`: the standardwebhooks package if installed, else node:crypto. */
async function verifier(secret) {
  try {
    const { Webhook } = await import("standardwebhooks");
    const hook = secret.startsWith("whsec_")
      ? new Webhook(secret)
      : new Webhook(new Uint8Array(keyOf(secret)), { format: "raw" });
    const verify = (body, headers) => {
      try {
        hook.verify(body, headers);
        return true;
      } catch {
        return false;
      }
    };
    return { verify, how: "standardwebhooks" };
  } catch {
    const key = keyOf(secret);
    const verify = (body, headers) => {
      const id = headers["webhook-id"];
      const ts = headers["webhook-timestamp"];
      const sigs = headers["webhook-signature"];
      if (!id || !/^\d+$/.test(ts || "") || !sigs) return false;
      if (Math.abs(Date.now() / 1000 - Number(ts)) > TOLERANCE_S) return false;
      const mac = createHmac("sha256", key).update(`${id}.${ts}.`).update(body).digest();
      return sigs.split(" ").some((s) => {
        if (!s.startsWith("v1,")) return false;
        const given = Buffer.from(s.slice(3), "base64");
        return given.length === mac.length && timingSafeEqual(given, mac);
      });
    };
    return { verify, how: "node:crypto" };
  }
}

/** The reply for a call: any reply kind of the config's `reply` works here. */
function answerCall(event) {
  if (event.msg_type === "text") {
    return { reply: { text: `You said: ${event.fields?.Content ?? ""}` } };
  }
  if ((event.event ?? "").toLowerCase() === "subscribe") {
    return { reply: { text: "Welcome!" } };
  }
  return {};
}

// Event ids already handled, per path, with the answer given. In memory for the example; a
// real receiver keeps them where it keeps the effect (one database transaction).
const seen = new Map();

function send(res, status, value) {
  const data = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

const secret = process.env.WXGATE_WEBHOOK_SECRET ?? "";
if (!secret) {
  console.error("receiver.mjs: set WXGATE_WEBHOOK_SECRET to the webhook's secret");
  process.exit(2);
}
const { verify, how } = await verifier(secret);
const eventsLog = process.env.EVENTS_LOG;

const server = createServer((req, res) => {
  const path = (req.url ?? "").split("?")[0];
  if (req.method !== "POST" || (path !== "/call" && path !== "/notify")) {
    return send(res, 404, { error: "unknown path" });
  }
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (!verify(body, req.headers)) return send(res, 401, { error: "bad signature" });
    const eventId = req.headers["x-wxgate-event-id"] ?? req.headers["webhook-id"];
    const key = `${path} ${eventId}`;
    if (seen.has(key)) return send(res, 200, seen.get(key)); // duplicate: same answer, no effect
    const event = JSON.parse(body);
    const answer = path === "/call" ? answerCall(event) : {};
    if (eventsLog) {
      appendFileSync(eventsLog, JSON.stringify({ path, event_id: eventId, body: event }) + "\n");
    }
    seen.set(key, answer);
    if (seen.size > SEEN_MAX) seen.delete(seen.keys().next().value);
    send(res, 200, answer);
  });
});

const host = process.env.HOST ?? "127.0.0.1";
server.listen(Number(process.env.PORT ?? 9100), host, () => {
  console.log(`listening on http://${host}:${server.address().port} (verifying with ${how})`);
});
