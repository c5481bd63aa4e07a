//! [`Guards`]: one replay guard per push Token, shared by every account that has that Token
//! (a signed query is a token's, not an account's: captured at one account's URL it must not
//! be accepted with another body at another's).
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use sha2::{Digest, Sha256};

use crate::push::replay::ReplayGuard;

/// The guards in use, by the SHA-256 of their Token (the Token itself is not kept here).
/// A guard lives as long as an account holds it.
#[derive(Debug, Default)]
pub struct Guards {
    by_token: Mutex<HashMap<[u8; 32], Weak<ReplayGuard>>>,
}

impl Guards {
    /// The guard of `token`, and whether it was made now (then the caller seeds it with the
    /// marks the store kept).
    pub fn of(&self, token: &str) -> (Arc<ReplayGuard>, bool) {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Held for a map operation, never across an await.
        let mut guards = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(guard) = guards.get(&digest).and_then(Weak::upgrade) {
            return (guard, false);
        }
        let guard = Arc::new(ReplayGuard::default());
        guards.insert(digest, Arc::downgrade(&guard));
        (guard, true)
    }

    /// Forgets the guards no account holds any more (after a change of accounts).
    pub fn prune(&self) {
        let mut guards = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        guards.retain(|_, guard| guard.strong_count() > 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_guard_per_token_for_as_long_as_it_is_held() {
        let guards = Guards::default();
        let (a, new_a) = guards.of("one");
        let (b, new_b) = guards.of("one");
        let (c, new_c) = guards.of("two");
        assert!(new_a && !new_b && new_c);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        drop((a, b));
        guards.prune();
        let (_, again) = guards.of("one");
        assert!(again, "a guard nobody holds is made anew");
    }
}
