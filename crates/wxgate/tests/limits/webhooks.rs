//! Issue 18 items 5 and 6 for webhooks: a receiver's redirect is never followed (call and
//! notify), and a call webhook's answer is read up to 64 KiB only.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt;

use crate::helpers::*;

/// Serve `app` on 127.0.0.1:0; its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Poll `done` every 20 ms for up to 10 s.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_18_webhooks_never_follow_a_redirect() {
    let _serial = crate::SERIAL.lock().await;
    // An internal host a redirect points at: it must never be reached.
    let internal_hits = Arc::new(AtomicUsize::new(0));
    let hits = Arc::clone(&internal_hits);
    let internal = serve(axum::Router::new().fallback(move || {
        hits.fetch_add(1, Ordering::SeqCst);
        async { axum::Json(serde_json::json!({"reply": {"text": "from the internal host"}})) }
    }))
    .await;
    // The receiver answers every delivery with a 307 there.
    let (calls, notifies) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, n) = (Arc::clone(&calls), Arc::clone(&notifies));
    let location = format!("{internal}/steal");
    let redirect = move |counter: Arc<AtomicUsize>, location: String| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, location)],
            )
                .into_response()
        }
    };
    let (l1, l2) = (location.clone(), location);
    let receiver = serve(
        axum::Router::new()
            .route("/call", post(move || redirect(Arc::clone(&c), l1.clone())))
            .route(
                "/notify",
                post(move || redirect(Arc::clone(&n), l2.clone())),
            ),
    )
    .await;
    let app = spawn_app(&format!(
        "[[rules]]\nwhen = {{ msg_type = \"text\" }}\ncall = \"bot\"\n\n\
         [[rules]]\nwhen = {{ msg_type = \"text\" }}\nreply = {{ text = \"fallback\" }}\n\n\
         [[webhooks]]\nname = \"bot\"\nurl = \"{receiver}/call\"\nmode = \"call\"\n\n\
         [[webhooks]]\nname = \"feed\"\nurl = \"{receiver}/notify\"\nmode = \"notify\"\n"
    ))
    .await;
    let answer = app
        .push(&text_xml(&fresh_openid("redirect"), "hi", fresh_msg_id()))
        .await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.text().contains("fallback"),
        "a redirect is a failed call: {}",
        answer.text()
    );
    until("the notify delivery", || {
        notifies.load(Ordering::SeqCst) >= 1
    })
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        internal_hits.load(Ordering::SeqCst),
        0,
        "a delivery followed the redirect to the internal host"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_18_a_call_webhooks_answer_is_cut_at_64_kib() {
    let _serial = crate::SERIAL.lock().await;
    // An answer that starts like a reply, sends 1 MiB and then never ends.
    let receiver = serve(axum::Router::new().route(
        "/call",
        post(|| async move {
            let head = futures::stream::once(async {
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(
                    b"{\"reply\": {\"text\": \"",
                ))
            });
            let filler = futures::stream::iter(0..16)
                .map(|_| Ok(axum::body::Bytes::from(vec![b'a'; 64 * 1024])));
            let forever = futures::stream::pending();
            Response::builder()
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from_stream(head.chain(filler).chain(forever)))
                .expect("response")
        }),
    ))
    .await;
    let app = spawn_app(&format!(
        "[[rules]]\nwhen = {{ msg_type = \"text\" }}\ncall = \"bot\"\n\n\
         [[rules]]\nwhen = {{ msg_type = \"text\" }}\nreply = {{ text = \"fallback\" }}\n\n\
         [[webhooks]]\nname = \"bot\"\nurl = \"{receiver}/call\"\nmode = \"call\"\ntimeout_ms = 3000\n"
    ))
    .await;
    let started = Instant::now();
    let answer = app
        .push(&text_xml(&fresh_openid("big"), "hi", fresh_msg_id()))
        .await;
    let took = started.elapsed();
    assert_eq!(answer.status, 200);
    assert!(answer.text().contains("fallback"), "{}", answer.text());
    assert!(
        took < Duration::from_millis(1500),
        "the call was read until its timeout ({took:?}), not cut at 64 KiB"
    );
    app.stop().await;
}
