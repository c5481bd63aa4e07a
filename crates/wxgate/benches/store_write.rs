//! What a durable push costs the SQLite store, without HTTP: pushes/s, CPU µs per push, and
//! the WAL bytes a push writes — at its commit and at the catch-up behind it.
//!
//! `cargo bench -p wxgate --bench store_write` (pin it: `taskset -c 0 target/release/deps/store_write-*`).
//! Environment: `CLIENTS` (64), `ROUNDS` (20), `PER_ROUND` (pushes per round, 512), `DB` (a
//! directory for the database file; default a temp dir on the project's disk).
//!
//! Each round: the WAL is checkpointed to zero bytes, `PER_ROUND` pushes shaped like the load
//! of `../shared/bench` (8 kinds in rotation, unique openids, ~550 bytes of raw XML, text
//! replies on half) are recorded by `CLIENTS` concurrent callers, the WAL's frames are counted
//! (`wal_checkpoint(PASSIVE)`), then a read forces the catch-up and its frames are counted.
use std::time::Instant;

use chrono::Utc;
use futures::future::join_all;
use wxgate::store::{FollowerEffect, PushWrite, Store};

const PAGE_FRAME: f64 = 4096.0 + 24.0;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Process CPU seconds (user + system) from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // fields after the command: state is 0, utime 11, stime 12 (clock ticks, 100/s)
    (ticks(11) + ticks(12)) / 100.0
}

/// Bytes the process passed to write(2) and friends.
fn written() -> f64 {
    std::fs::read_to_string("/proc/self/io")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("wchar: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// WAL frames now (and whether a TRUNCATE checkpoint succeeded).
fn wal_frames(conn: &rusqlite::Connection, mode: &str) -> (i64, i64) {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })
    .unwrap_or((1, 0))
}

fn push(n: usize) -> PushWrite {
    let openid = format!("o{:02}Bench{:020}", n % 2, n);
    let head = format!(
        "<xml><ToUserName><![CDATA[gh_3ae1b2c4d5e6]]></ToUserName><FromUserName><![CDATA[{openid}]]>\
         </FromUserName><CreateTime>{}</CreateTime>",
        1_767_225_600 + n
    );
    let (tail, event, effect, reply) = match n % 8 {
        0 => ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>", Some("subscribe"), FollowerEffect::Subscribe { scene: None }, true),
        1 => ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123]]></EventKey><Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==]]></Ticket>", Some("subscribe"), FollowerEffect::Subscribe { scene: Some("123".into()) }, true),
        2 => ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[123]]></EventKey><Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==]]></Ticket>", Some("SCAN"), FollowerEffect::Scan { scene: "123".into() }, false),
        3 => ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[LOCATION]]></Event><Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>", Some("LOCATION"), FollowerEffect::Location { latitude: 23.137466, longitude: 113.352425, precision: 119.38504 }, false),
        4 => ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[V1001_TODAY_MUSIC]]></EventKey>", Some("CLICK"), FollowerEffect::Touch, true),
        5 => ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[https://example.com/]]></EventKey>", Some("VIEW"), FollowerEffect::Touch, false),
        6 => ("<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello from the bench]]></Content>", None, FollowerEffect::Touch, true),
        _ => ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event>", Some("unsubscribe"), FollowerEffect::Forget, false),
    };
    let msg_type = if event.is_some() { "event" } else { "text" };
    PushWrite {
        account: "default".to_string(),
        dedupe_key: format!("{openid}|{n}|{}", event.unwrap_or("")),
        openid: openid.clone(),
        msg_type: msg_type.into(),
        event: event.map(str::to_string),
        event_key: None,
        create_time: 1_767_225_600 + n as i64,
        received_at: Utc::now(),
        raw_xml: format!("{head}{tail}<MsgId>{}</MsgId></xml>", 7_000_000 + n),
        reply: reply.then(|| format!(
            "<xml><ToUserName><![CDATA[{openid}]]></ToUserName><FromUserName><![CDATA[gh_3ae1b2c4d5e6]]>\
             </FromUserName><CreateTime>1767225600</CreateTime><MsgType><![CDATA[text]]></MsgType>\
             <Content><![CDATA[欢迎关注！]]></Content></xml>"
        )),
        effect,
        replay: None,
        deliveries: Vec::new(),
    }
}

fn main() {
    let clients = env("CLIENTS", 64);
    let rounds = env("ROUNDS", 20);
    let per_round = env("PER_ROUND", 512);
    let dir = match std::env::var("DB") {
        Ok(dir) => tempfile::tempdir_in(dir),
        Err(_) => tempfile::tempdir_in("."),
    }
    .expect("temp dir");
    let path = dir.path().join("bench.db");
    let url = format!("sqlite://{}", path.display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = wxgate::store::open(&url.parse().expect("a storage url")).await.expect("open");
        let probe = rusqlite::Connection::open(&path).expect("probe connection");
        let (mut pushes, mut push_frames, mut catch_up_frames, mut seconds) = (0usize, 0i64, 0i64, 0f64);
        let (cpu_before, written_before) = (cpu_seconds(), written());
        let mut next = 0usize;
        for _ in 0..rounds {
            let (busy, _) = wal_frames(&probe, "TRUNCATE");
            let started = Instant::now();
            let batch: Vec<PushWrite> = (0..per_round).map(|i| push(next + i)).collect();
            next += per_round;
            let mut queues: Vec<Vec<PushWrite>> = (0..clients).map(|_| Vec::new()).collect();
            for (i, write) in batch.into_iter().enumerate() {
                queues[i % clients].push(write);
            }
            let store: &dyn Store = store.as_ref();
            join_all(queues.into_iter().map(|queue| async move {
                for write in queue {
                    store.record(write).await.expect("recorded");
                }
            }))
            .await;
            seconds += started.elapsed().as_secs_f64();
            let (_, after_pushes) = wal_frames(&probe, "PASSIVE");
            store.stats(None).await.expect("catch-up");
            let (_, after_catch_up) = wal_frames(&probe, "PASSIVE");
            if busy == 0 {
                pushes += per_round;
                push_frames += after_pushes;
                // The catch-up's transaction starts the WAL over (the PASSIVE checkpoint
                // before it copied every frame): its frames are the WAL's now.
                catch_up_frames += after_catch_up;
            }
        }
        let cpu = cpu_seconds() - cpu_before;
        let bytes = written() - written_before;
        let total = (rounds * per_round) as f64;
        println!("store_write: {clients} concurrent callers, {rounds} rounds of {per_round} pushes (8 kinds, 1/8 unsubscribes)");
        println!("  {:.0} pushes/s while recording ({:.2} s)", total / seconds, seconds);
        println!("  {:.1} µs CPU per push (whole process, incl. catch-up and checkpoints)", cpu * 1e6 / total);
        if pushes > 0 {
            println!(
                "  WAL per push: {:.0} bytes at its commit + {:.0} bytes at catch-up = {:.0} bytes",
                push_frames as f64 * PAGE_FRAME / pushes as f64,
                catch_up_frames as f64 * PAGE_FRAME / pushes as f64,
                (push_frames + catch_up_frames) as f64 * PAGE_FRAME / pushes as f64
            );
        }
        println!("  {:.0} bytes written (write(2), WAL + checkpoints) per push", bytes / total);
        store.close().await;
    });
}
