//! Criterion benchmarks, per message of `tests/data/messages.json`:
//! `parse` (plain push → Message), `parse_reply` (parse + render a text reply) and `safe_round`
//! (verify msg_signature + decrypt + parse + render + encrypt + sign the reply envelope).
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::Value;
use wechat_proto::{
    msg_signature, parse_message, parse_push_envelope, render_push_envelope, seal_reply,
    verify_msg_signature, EncodingAesKey, MessageCrypt, Reply,
};

const TOKEN: &str = "wxgate-dev-token";
const TIMESTAMP: &str = "1700000000";
const NONCE: &str = "1320562132";

/// (name, xml) of every vector message.
fn messages() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/messages.json");
    let text = std::fs::read_to_string(path).expect("messages.json is shipped with the crate");
    let cases: Value = serde_json::from_str(&text).expect("messages.json is JSON");
    cases
        .as_array()
        .expect("an array of cases")
        .iter()
        .map(|c| {
            let field = |k: &str| c[k].as_str().expect("name and xml are strings").to_owned();
            (field("name"), field("xml"))
        })
        .collect()
}

fn crypt() -> MessageCrypt {
    let key =
        EncodingAesKey::parse("ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM").expect("valid key");
    MessageCrypt::new(key, "wx0123456789abcdef")
}

/// What the gateway does for one plain push: parse, then render a text reply.
fn parse_and_reply(xml: &[u8]) -> String {
    let msg = parse_message(xml).expect("vector parses");
    let reply = Reply::Text {
        content: "thanks".into(),
    };
    reply.render(&msg.from_user_name, &msg.to_user_name, msg.create_time + 1)
}

/// What the gateway does for one safe-mode push.
fn safe_round(crypt: &MessageCrypt, body: &[u8], query_msg_signature: &str) -> String {
    let env = parse_push_envelope(body).expect("envelope parses");
    verify_msg_signature(TOKEN, TIMESTAMP, NONCE, &env.encrypt, query_msg_signature)
        .expect("signature");
    let inner = crypt.decrypt(&env.encrypt).expect("decrypts");
    let reply = parse_and_reply(inner.as_bytes());
    seal_reply(crypt, TOKEN, &reply, TIMESTAMP, NONCE, [7; 16])
}

fn benches(c: &mut Criterion) {
    let crypt = crypt();
    let messages = messages();
    let safe: Vec<(String, String, String)> = messages
        .iter()
        .map(|(name, xml)| {
            let encrypt = crypt.encrypt(xml, [9; 16]);
            let sig = msg_signature(TOKEN, TIMESTAMP, NONCE, &encrypt);
            (
                name.clone(),
                render_push_envelope("gh_0123456789ab", &encrypt),
                sig,
            )
        })
        .collect();

    let mut g = c.benchmark_group("parse");
    for (name, xml) in &messages {
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(
            BenchmarkId::from_parameter(name),
            xml.as_bytes(),
            |b, xml| b.iter(|| parse_message(black_box(xml)).expect("vector parses")),
        );
    }
    g.finish();

    let mut g = c.benchmark_group("parse_reply");
    for (name, xml) in &messages {
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(
            BenchmarkId::from_parameter(name),
            xml.as_bytes(),
            |b, xml| b.iter(|| parse_and_reply(black_box(xml))),
        );
    }
    g.finish();

    let mut g = c.benchmark_group("safe_round");
    for (name, body, sig) in &safe {
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(
            BenchmarkId::from_parameter(name),
            body.as_bytes(),
            |b, body| b.iter(|| safe_round(&crypt, black_box(body), sig)),
        );
    }
    g.finish();

    // The whole vector set per iteration: the aggregate msg/s of a mixed load.
    let mut g = c.benchmark_group("all_messages");
    g.throughput(Throughput::Elements(messages.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|(_, x)| parse_message(black_box(x.as_bytes())).is_ok() as usize)
                .sum::<usize>()
        })
    });
    g.bench_function("parse_reply", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|(_, x)| parse_and_reply(black_box(x.as_bytes())).len())
                .sum::<usize>()
        })
    });
    g.bench_function("safe_round", |b| {
        b.iter(|| {
            safe.iter()
                .map(|(_, body, sig)| safe_round(&crypt, black_box(body.as_bytes()), sig).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(proto, benches);
criterion_main!(proto);
