//! The replay guard: a `timestamp + nonce + signature` triple seen again with a different
//! body within 10 minutes is a replay (in plain mode the signature does not cover the body).
//!
//! A triple and its body are kept as SHA-256 digests ([`ReplayMark`]); the guard here holds
//! their first 8 bytes in memory, and every accepted push's mark is stored durably before its
//! 200 — with the push when it is written, on its own (`PushLog::keep_mark`) when it is a resend
//! answered with the first's reply — so the guard is seeded from the store at start
//! ([`ReplayGuard::seed`]) and a captured query stays refused across a restart. On PostgreSQL,
//! instances sharing the database also ask the store (`PushLog::replayed_elsewhere`). Marks are
//! stored under [`guard_key`].
//!
//! Memory is bounded: two generations, the older dropped at each rotation (every 10 minutes,
//! or early when a generation is full), so a triple is remembered for at least 10 minutes
//! under normal load.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::account::Account;
use crate::store::{GuardMark, ReplayMark};

/// How long a triple is remembered at least.
const WINDOW: Duration = crate::store::REPLAY_WINDOW;
/// Entries per generation before an early rotation.
const MAX_PER_GENERATION: usize = 1 << 20;

/// What the guard says of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// first time this triple is seen
    New,
    /// seen with the same body: a retry
    SameBody,
    /// seen with another body: a replay
    OtherBody,
}

/// The key the marks of a push Token's guard are stored and looked up under: `t:` and the hex
/// of the first 16 bytes of SHA-256 over a fixed label and the Token. One guard per Token,
/// shared by every account that has it — in this instance (see [`crate::account::Guards`])
/// and in every instance sharing the database — and never the Token itself. (Account names
/// hold no ':', so a key never reads as the name an older gateway stored its marks under.)
pub fn token_guard_key(token: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"wxgate replay guard\n");
    digest.update(token.as_bytes());
    let digest = digest.finalize();
    let mut key = String::with_capacity(2 + 32);
    key.push_str("t:");
    for byte in &digest[..16] {
        key.push_str(&format!("{byte:02x}"));
    }
    key
}

/// The key `account`'s marks are stored under: its Token's guard ([`token_guard_key`]).
pub fn guard_key(account: &Account) -> &str {
    account.guard_key()
}

/// `mark`, to be kept under `account`'s guard.
pub fn guarded(account: &Account, mark: ReplayMark) -> GuardMark {
    GuardMark {
        guard: guard_key(account).to_string(),
        mark,
    }
}

/// The mark of a push: digests of its signature triple and its body, seen now.
pub fn mark(timestamp: &str, nonce: &str, signature: &str, body: &[u8]) -> ReplayMark {
    let mut query = Sha256::new();
    for part in [timestamp, nonce, signature] {
        query.update(part.as_bytes());
        query.update(b"\n");
    }
    ReplayMark {
        seen_at: Utc::now(),
        query: query.finalize().into(),
        body: Sha256::digest(body).into(),
    }
}

/// Remembers recent signature triples with their body.
#[derive(Debug)]
pub struct ReplayGuard {
    state: Mutex<Generations>,
}

#[derive(Debug)]
struct Generations {
    current: HashMap<u64, u64>,
    previous: HashMap<u64, u64>,
    rotated: Instant,
}

impl Default for ReplayGuard {
    fn default() -> Self {
        ReplayGuard {
            state: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
                rotated: Instant::now(),
            }),
        }
    }
}

/// The first 8 bytes of a digest (uniform; a collision would take ~2^64 work to craft).
fn short(digest: &[u8; 32]) -> u64 {
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(head)
}

impl ReplayGuard {
    /// Check (and remember) a push's mark.
    pub fn check(&self, mark: &ReplayMark) -> Seen {
        let (triple, body) = (short(&mark.query), short(&mark.body));
        let mut g = self.lock();
        if g.rotated.elapsed() >= WINDOW || g.current.len() >= MAX_PER_GENERATION {
            g.previous = std::mem::take(&mut g.current);
            g.rotated = Instant::now();
        }
        let known = g
            .current
            .get(&triple)
            .or_else(|| g.previous.get(&triple))
            .copied();
        match known {
            Some(b) if b == body => Seen::SameBody,
            Some(_) => Seen::OtherBody,
            None => {
                g.current.insert(triple, body);
                Seen::New
            }
        }
    }

    /// Remembers the marks stored by the previous run (at start).
    pub fn seed(&self, marks: &[ReplayMark]) {
        let mut g = self.lock();
        for mark in marks {
            g.current.insert(short(&mark.query), short(&mark.body));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // The lock is never held across an await and only for a few map operations.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_key_is_the_tokens_and_never_shows_it() {
        let key = token_guard_key("sharedtoken");
        assert_eq!(key, token_guard_key("sharedtoken"), "one key per Token");
        assert_ne!(key, token_guard_key("othertoken"));
        assert!(key.starts_with("t:") && key.len() == 34, "{key}");
        assert!(!key.contains("sharedtoken"));
    }

    #[test]
    fn same_triple_other_body_is_a_replay() {
        let g = ReplayGuard::default();
        assert_eq!(g.check(&mark("1", "2", "s", b"a")), Seen::New);
        assert_eq!(g.check(&mark("1", "2", "s", b"a")), Seen::SameBody);
        assert_eq!(g.check(&mark("1", "2", "s", b"b")), Seen::OtherBody);
        assert_eq!(g.check(&mark("1", "3", "s", b"b")), Seen::New);
        assert_eq!(
            g.check(&mark("12", "", "s", b"b")),
            Seen::New,
            "parts are delimited"
        );
    }

    #[test]
    fn a_seeded_guard_remembers_the_previous_run() {
        let g = ReplayGuard::default();
        g.seed(&[mark("1", "2", "s", b"a")]);
        assert_eq!(g.check(&mark("1", "2", "s", b"evil")), Seen::OtherBody);
        assert_eq!(g.check(&mark("1", "2", "s", b"a")), Seen::SameBody);
    }
}
