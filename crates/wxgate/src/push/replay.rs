//! The replay guard: a `timestamp + nonce + signature` triple seen again with a different
//! body within 10 minutes is a replay (in plain mode the signature does not cover the body).
//!
//! Memory is bounded: two generations of hashes, the older dropped at each rotation (every
//! 10 minutes, or early when a generation is full), so a triple is remembered for at least
//! 10 minutes under normal load.
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::collections::hash_map::RandomState;

/// How long a triple is remembered at least.
const WINDOW: Duration = Duration::from_secs(600);
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

/// Remembers recent signature triples with a hash of their body.
#[derive(Debug)]
pub struct ReplayGuard {
    hasher: RandomState,
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
            hasher: RandomState::new(),
            state: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
                rotated: Instant::now(),
            }),
        }
    }
}

impl ReplayGuard {
    /// Check (and remember) a triple with its body.
    pub fn check(&self, timestamp: &str, nonce: &str, signature: &str, body: &[u8]) -> Seen {
        let triple = self.hasher.hash_one((timestamp, nonce, signature));
        let body = self.hasher.hash_one(body);
        // The lock is never held across an await and only for a few map operations.
        let mut g = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_triple_other_body_is_a_replay() {
        let g = ReplayGuard::default();
        assert_eq!(g.check("1", "2", "s", b"a"), Seen::New);
        assert_eq!(g.check("1", "2", "s", b"a"), Seen::SameBody);
        assert_eq!(g.check("1", "2", "s", b"b"), Seen::OtherBody);
        assert_eq!(g.check("1", "3", "s", b"b"), Seen::New);
    }
}
