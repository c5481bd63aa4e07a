//! Issue 18 item 1: clients that send requests and never read the answers. Writing is bounded
//! (an answer not taken in time closes the connection), requests sent ahead are capped per
//! connection, and when such clients fill `max_connections` WeChat's pushes still get in.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::*;
use crate::raw::read_until_close;

const REPLY: &str = "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"fast\" }\n";

fn with_server(server_extra: &str) -> Cfg {
    Cfg {
        server_extra: server_extra.into(),
        extra: REPLY.into(),
        ..Cfg::default()
    }
}

/// A connection with a 4 KiB receive buffer that sends `count` pipelined requests for `path`
/// and reads nothing.
async fn never_reading(addr: SocketAddr, path: &str, count: usize) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("receive buffer");
    let mut stream = socket.connect(addr).await.expect("connect");
    let requests = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").repeat(count);
    stream
        .write_all(requests.as_bytes())
        .await
        .expect("send the requests");
    stream
}

/// Wait (bounded) until the server has filled `stream`'s receive side: it is writing answers
/// the client does not take.
async fn until_stalled(stream: &TcpStream) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let queued = stream.peek(&mut buf).await.expect("peek");
        if queued >= 2048 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no answers queued: {queued} bytes"
        );
        stream.readable().await.expect("readable");
    }
}

/// HTTP answers in `text`.
fn answers(text: &str) -> usize {
    text.matches("HTTP/1.1 200").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_18_clients_that_never_read_cannot_crowd_out_pushes() {
    let _serial = crate::SERIAL.lock().await;
    // A long header (and so write) timeout: only making room can let the pushes in.
    let app = spawn_app_cfg(with_server(
        "max_connections = 20\nheader_timeout_ms = 60000\n",
    ))
    .await;
    let mut attackers = Vec::new();
    for _ in 0..20 {
        attackers.push(never_reading(app.addr, "/api/openapi.json", 400).await);
    }
    for attacker in &attackers {
        until_stalled(attacker).await;
    }
    // Like WeChat: a new connection per push.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(4))
        .build()
        .expect("client");
    for round in 0..5 {
        // The attack goes on: two more stalled connections before each push.
        for _ in 0..2 {
            let attacker = never_reading(app.addr, "/api/openapi.json", 400).await;
            attackers.push(attacker);
        }
        let started = Instant::now();
        let q = app.plain_query(&now().to_string(), &fresh_nonce());
        let xml = text_xml(&fresh_openid("crowd"), "hi", fresh_msg_id());
        let answer = http
            .post(app.url(&format!("/wechat?{q}")))
            .body(xml)
            .send()
            .await
            .unwrap_or_else(|e| panic!("push {round} not answered: {e}"));
        let took = started.elapsed();
        assert_eq!(answer.status(), 200, "push {round}");
        assert!(answer.text().await.expect("body").contains("fast"));
        assert!(
            took < Duration::from_secs(2),
            "push {round} took {took:?} with every slot held by clients that never read"
        );
        let health = http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("/healthz not answered in round {round}: {e}"));
        assert_eq!(health.status(), 200);
    }
    drop(attackers);
    app.stop().await;
}

/// A stand-in WeChat API whose `cgi-bin/media/get` answers 32 MiB (more than any socket
/// buffer holds); its base URL.
async fn big_media_upstream() -> String {
    use axum::routing::{get, post};
    let app = axum::Router::new()
        .route(
            "/cgi-bin/stable_token",
            post(|| async {
                axum::Json(serde_json::json!({"access_token": "tok-12345678", "expires_in": 7200}))
            }),
        )
        .route(
            "/cgi-bin/media/get",
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "image/jpeg")],
                    vec![b'j'; 32 * 1024 * 1024],
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_18_an_answer_the_client_does_not_take_closes_the_connection() {
    let _serial = crate::SERIAL.lock().await;
    let upstream = big_media_upstream().await;
    let app = spawn_app_cfg(Cfg {
        server_extra: "header_timeout_ms = 500\n".into(),
        account_extra: "appsecret = \"0123456789abcdef0123456789abcdef\"\n".into(),
        extra: format!("[wechat_api]\nbase_url = \"{upstream}\"\n"),
        ..Cfg::default()
    })
    .await;
    // One request for a 32 MiB answer, on a socket that reads nothing.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("receive buffer");
    let mut stream = socket.connect(app.addr).await.expect("connect");
    let request = format!(
        "GET /api/wechat/cgi-bin/media/get?media_id=m1 HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {ADMIN_TOKEN}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    until_stalled(&stream).await;
    // The write timeout is header_timeout_ms: let it run out while nothing is read.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut taken = 0usize;
    let mut buf = vec![0u8; 256 * 1024];
    let deadline = Instant::now() + Duration::from_secs(5);
    let closed = loop {
        match tokio::time::timeout_at(
            deadline.into(),
            tokio::io::AsyncReadExt::read(&mut stream, &mut buf),
        )
        .await
        {
            Err(_) => break false,
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => taken += n,
        }
    };
    assert!(closed, "the connection is still open after {taken} bytes");
    assert!(
        taken < 32 * 1024 * 1024,
        "the whole answer came: the stalled write was not cut"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_18_requests_sent_far_ahead_of_their_answers_are_capped() {
    let _serial = crate::SERIAL.lock().await;
    let app = spawn_app_cfg(with_server("")).await;
    let mut stream = never_reading(app.addr, "/healthz", 200).await;
    let (text, closed) = read_until_close(&mut stream, Duration::from_secs(3)).await;
    assert!(
        closed,
        "the connection stays open after {} answers",
        answers(&text)
    );
    let got = answers(&text);
    assert!(
        (1..=33).contains(&got),
        "{got} answers to 200 pipelined requests: at most 32 ahead, then the connection closes"
    );
    // A client that waits for each answer is not limited.
    let mut polite = TcpStream::connect(app.addr).await.expect("connect");
    for i in 0..50 {
        polite
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("send");
        let mut answer = Vec::new();
        while !answer.ends_with(b"ok") {
            let mut buf = [0u8; 512];
            let n = tokio::io::AsyncReadExt::read(&mut polite, &mut buf)
                .await
                .expect("read");
            assert!(n > 0, "closed after {i} requests answered one at a time");
            answer.extend_from_slice(&buf[..n]);
        }
    }
    app.stop().await;
}
