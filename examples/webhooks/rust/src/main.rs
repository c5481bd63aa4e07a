//! A wxgate webhook receiver: axum, verifying Standard Webhooks signatures.
//!
//! ```sh
//! WXGATE_WEBHOOK_SECRET=whsec_... cargo run -p wxgate-example-receiver   # listens on 127.0.0.1:9100
//! ```
//!
//! Point a `call` webhook at `http://127.0.0.1:9100/call` and a `notify` webhook at
//! `http://127.0.0.1:9100/notify`. For every delivery it verifies `webhook-signature` over
//! `{webhook-id}.{webhook-timestamp}.{body}` (timestamps more than 5 minutes off are refused, so
//! a captured delivery cannot be replayed), drops duplicates by `X-Wxgate-Event-Id` (a repeated
//! notify is acknowledged and skipped, a repeated call gets its first answer), and answers a call
//! for a text message with `{"reply": {"text": "You said: ..."}}`.
//!
//! Environment: `WXGATE_WEBHOOK_SECRET` (required), `HOST` (127.0.0.1), `PORT` (9100).
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Timestamps further off than this are refused.
const TOLERANCE_S: i64 = 5 * 60;
/// Event ids remembered per receiver (oldest forgotten first).
const SEEN_MAX: usize = 100_000;

/// The HMAC key: base64 after `whsec_`, else the secret's UTF-8 bytes (contract section 6).
fn key_of(secret: &str) -> Result<Vec<u8>, String> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => STANDARD
            .decode(b64)
            .map_err(|_| "the secret starts with whsec_ but the rest is not base64".to_string()),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

/// True when `body` carries a valid, fresh `v1` signature under `key`.
fn verify(key: &[u8], headers: &HeaderMap, body: &[u8], now: i64) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(id), Some(ts), Some(signatures)) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    ) else {
        return false;
    };
    let Ok(ts_n) = ts.parse::<i64>() else {
        return false;
    };
    if (now - ts_n).abs() > TOLERANCE_S {
        return false;
    }
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    signatures.split(' ').any(|s| {
        s.strip_prefix("v1,")
            .is_some_and(|given| bool::from(given.as_bytes().ct_eq(expected.as_bytes())))
    })
}

/// The reply for a call: any reply kind of the config's `reply` works here.
fn answer_call(event: &Value) -> Value {
    if event["msg_type"] == "text" {
        let said = event["fields"]["Content"].as_str().unwrap_or("");
        return json!({"reply": {"text": format!("You said: {said}")}});
    }
    if event["event"]
        .as_str()
        .is_some_and(|e| e.eq_ignore_ascii_case("subscribe"))
    {
        return json!({"reply": {"text": "Welcome!"}});
    }
    json!({})
}

/// Event ids handled, with the answer given. In memory for the example; a real receiver keeps
/// them in the same database transaction as the effect.
#[derive(Default)]
struct Seen {
    answers: HashMap<String, Value>,
    order: VecDeque<String>,
}

#[derive(Clone)]
struct App {
    key: Arc<Vec<u8>>,
    seen: Arc<Mutex<Seen>>,
}

async fn receive(
    State(app): State<App>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    if kind != "call" && kind != "notify" {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "unknown path"})),
        );
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if !verify(&app.key, &headers, &body, now) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "bad signature"})),
        );
    }
    let event_id = headers
        .get("x-wxgate-event-id")
        .or_else(|| headers.get("webhook-id"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let key = format!("{kind} {event_id}");
    // The std lock is never held across an await.
    if let Some(earlier) = app
        .seen
        .lock()
        .ok()
        .and_then(|s| s.answers.get(&key).cloned())
    {
        return (StatusCode::OK, Json(earlier)); // duplicate: same answer, no second effect
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "not JSON"})));
    };
    let answer = if kind == "call" {
        answer_call(&event)
    } else {
        println!(
            "notify {event_id}: {} from {}",
            event["msg_type"], event["openid"]
        );
        json!({})
    };
    if let Ok(mut seen) = app.seen.lock() {
        seen.answers.insert(key.clone(), answer.clone());
        seen.order.push_back(key);
        if seen.order.len() > SEEN_MAX {
            if let Some(old) = seen.order.pop_front() {
                seen.answers.remove(&old);
            }
        }
    }
    (StatusCode::OK, Json(answer))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("WXGATE_WEBHOOK_SECRET")
        .map_err(|_| "set WXGATE_WEBHOOK_SECRET to the webhook's secret")?;
    let app = App {
        key: Arc::new(key_of(&secret)?),
        seen: Arc::default(),
    };
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("PORT").unwrap_or_else(|_| "9100".into());
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let router = Router::new()
        .route("/{kind}", post(receive))
        .with_state(app);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_the_reference_example() {
        // The example of the Standard Webhooks reference libraries.
        let key = key_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "webhook-id",
            "msg_p5jXN8AQM9LWM0D4loKWxJek".parse().unwrap(),
        );
        headers.insert("webhook-timestamp", "1614265330".parse().unwrap());
        headers.insert(
            "webhook-signature",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
                .parse()
                .unwrap(),
        );
        let body = br#"{"test": 2432232314}"#;
        assert!(verify(&key, &headers, body, 1614265330));
        assert!(!verify(&key, &headers, body, 1614265330 + 3600), "stale");
        assert!(!verify(&key, &headers, b"{}", 1614265330), "other body");
    }
}
