//! The dedupe window: the dedupe keys of the most recent pushes, so a resend is recognised
//! without a unique index on `events` (a random B-tree page per push, the largest part of
//! what a commit wrote before). WeChat resends within seconds (three tries, 5 s apart), so
//! the window keeps the keys of the last [`WINDOW_MS`] and at most [`MAX_KEYS`] of them,
//! and is rebuilt from the newest events when the store opens.
//!
//! Keys are per account: the same dedupe key under two accounts is two pushes.
//! It holds a 64-bit hash of each (account, key) and the event id, never the key itself (no openid in
//! memory after a forget); a hit is confirmed by reading the event row and comparing keys.
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};

/// How long a key is remembered (by the received time of the pushes).
pub(super) const WINDOW_MS: i64 = 10 * 60 * 1000;
/// Most keys remembered (~40 bytes each): at 10,000 pushes/s the window still spans 20 s.
pub(super) const MAX_KEYS: usize = 200_000;

/// Recent dedupe keys → event ids.
#[derive(Debug)]
pub(super) struct Window {
    hasher: RandomState,
    ids: HashMap<u64, i64>,
    /// (hash, id, received ms) in insertion order, for eviction
    order: VecDeque<(u64, i64, i64)>,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            hasher: RandomState::new(),
            ids: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl Window {
    fn hash(&self, account: &str, key: &str) -> u64 {
        self.hasher.hash_one((account, key))
    }

    /// The event id last stored under an (account, key) with this hash, if remembered; the
    /// caller confirms it against the row.
    pub(super) fn get(&self, account: &str, key: &str) -> Option<i64> {
        self.ids.get(&self.hash(account, key)).copied()
    }

    /// Remembers (`account`, `key`) → `id`, received at `received_ms`; forgets keys beyond
    /// the window.
    pub(super) fn insert(&mut self, account: &str, key: &str, id: i64, received_ms: i64) {
        let hash = self.hash(account, key);
        self.ids.insert(hash, id);
        self.order.push_back((hash, id, received_ms));
        let horizon = received_ms.saturating_sub(WINDOW_MS);
        while let Some(&(hash, id, at)) = self.order.front() {
            if self.order.len() <= MAX_KEYS && at >= horizon {
                break;
            }
            self.order.pop_front();
            // Only if no newer push took the hash meanwhile.
            if self.ids.get(&hash) == Some(&id) {
                self.ids.remove(&hash);
            }
        }
    }

    /// Number of keys remembered.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_until_they_leave_the_window() {
        let mut window = Window::default();
        window.insert("d", "a", 1, 0);
        window.insert("d", "b", 2, 1_000);
        assert_eq!(window.get("d", "a"), Some(1));
        assert_eq!(window.get("d", "c"), None);
        window.insert("d", "c", 3, WINDOW_MS + 500);
        assert_eq!(window.get("d", "a"), None, "older than the window");
        assert_eq!(window.get("d", "b"), Some(2));
        assert_eq!(window.len(), 2);
    }

    #[test]
    fn the_window_is_bounded_by_count() {
        let mut window = Window::default();
        for i in 0..(MAX_KEYS as i64 + 10) {
            window.insert("d", &format!("k{i}"), i, 0);
        }
        assert_eq!(window.len(), MAX_KEYS);
        assert_eq!(window.get("d", "k0"), None);
        assert_eq!(
            window.get("d", &format!("k{}", MAX_KEYS + 9)),
            Some(MAX_KEYS as i64 + 9)
        );
    }

    #[test]
    fn keys_are_per_account() {
        let mut window = Window::default();
        window.insert("one", "k", 1, 0);
        assert_eq!(window.get("one", "k"), Some(1));
        assert_eq!(window.get("two", "k"), None);
        window.insert("two", "k", 2, 0);
        assert_eq!(window.get("one", "k"), Some(1));
        assert_eq!(window.get("two", "k"), Some(2));
    }

    #[test]
    fn a_key_stored_again_keeps_its_newest_id() {
        let mut window = Window::default();
        window.insert("d", "a", 1, 0);
        window.insert("d", "a", 7, 10);
        assert_eq!(window.get("d", "a"), Some(7));
    }
}
