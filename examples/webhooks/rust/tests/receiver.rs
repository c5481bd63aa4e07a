//! The receiver binary over a real socket: a signed call answered with a reply (and the same
//! answer for a duplicate), a notify taken once however often it comes, and forged, stale,
//! tampered or misaddressed deliveries refused.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The receiver process, killed on drop.
struct Receiver {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
    port: u16,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Receiver {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxgate-example-receiver"))
        .env("WXGATE_WEBHOOK_SECRET", SECRET)
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the receiver starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("its first line");
    let port = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("not a listening line: {line:?}"));
    Receiver {
        child,
        stdout,
        port,
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Standard Webhooks headers for `body`, as wxgate sends them.
fn signed(id: &str, ts: i64, body: &str, secret: &str) -> Vec<(&'static str, String)> {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", format!("v1,{signature}")),
        ("x-wxgate-event-id", id.to_owned()),
    ]
}

/// One POST over its own connection: status and body.
fn post(port: u16, path: &str, headers: &[(&str, String)], body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not HTTP: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

#[test]
fn answers_calls_takes_each_notify_once_and_refuses_bad_signatures() {
    let mut receiver = start();
    let port = receiver.port;
    let call = r#"{"id":"e1","openid":"oUser","msg_type":"text","fields":{"Content":"hello"}}"#;
    let (status, answer) = post(port, "/call", &signed("e1", now(), call, SECRET), call);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, r#"{"reply":{"text":"You said: hello"}}"#);
    // A duplicate call gets the first answer.
    let again = post(port, "/call", &signed("e1", now(), call, SECRET), call);
    assert_eq!(again, (200, answer));

    let notify = r#"{"id":"e2","openid":"oUser","msg_type":"event","event":"subscribe"}"#;
    for _ in 0..2 {
        let (status, body) = post(
            port,
            "/notify",
            &signed("e2", now(), notify, SECRET),
            notify,
        );
        assert_eq!((status, body.as_str()), (200, "{}"));
    }

    let forged = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let refused = [
        (
            "forged",
            "/notify",
            signed("e3", now(), notify, forged),
            notify,
        ),
        (
            "stale",
            "/notify",
            signed("e4", now() - 3600, notify, SECRET),
            notify,
        ),
        ("unsigned", "/notify", Vec::new(), notify),
    ];
    for (what, path, headers, body) in refused {
        assert_eq!(post(port, path, &headers, body).0, 401, "{what}");
    }
    let headers = signed("e5", now(), notify, SECRET);
    let tampered = notify.replace("subscribe", "unsubscribe");
    assert_eq!(
        post(port, "/notify", &headers, &tampered).0,
        401,
        "tampered"
    );
    assert_eq!(
        post(port, "/other", &headers, notify).0,
        404,
        "unknown path"
    );

    // What it took: the one notify, once (a new event is printed as it is taken).
    let _ = receiver.child.kill();
    let _ = receiver.child.wait();
    let mut rest = String::new();
    receiver.stdout.read_to_string(&mut rest).expect("stdout");
    let taken: Vec<&str> = rest.lines().filter(|l| l.starts_with("notify ")).collect();
    assert_eq!(taken, [r#"notify e2: "event" from "oUser""#], "{rest}");
}
