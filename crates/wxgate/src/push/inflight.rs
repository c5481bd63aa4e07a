//! Retry coalescing in one process: the first push with a dedupe key runs; a resend that
//! arrives meanwhile waits for the first's answer instead of running again or being dropped.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::answer::{Passive, PushError};

/// The answer of a processed push; Err when the first attempt failed (the resend then fails
/// too, and WeChat retries).
pub type Answer = Result<Passive, PushError>;

type Slot = watch::Receiver<Option<Answer>>;

/// Pushes in flight by dedupe key.
#[derive(Debug, Default)]
pub struct Inflight {
    map: Mutex<HashMap<String, Slot>>,
}

/// What a claim got.
pub enum Claim {
    /// this push runs; complete the guard with its answer
    First(FirstGuard),
    /// a push with this key is in flight: wait on this
    Resend(Waiter),
}

/// Held by the push that runs. Dropped without [`FirstGuard::complete`], it publishes a
/// failure so no waiter hangs.
pub struct FirstGuard {
    owner: Arc<Inflight>,
    key: String,
    tx: Option<watch::Sender<Option<Answer>>>,
}

/// Held by a resend.
pub struct Waiter {
    rx: Slot,
}

impl Inflight {
    /// Claim `key`.
    pub fn claim(self: &Arc<Self>, key: &str) -> Claim {
        let mut map = match self.map.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(rx) = map.get(key) {
            return Claim::Resend(Waiter { rx: rx.clone() });
        }
        let (tx, rx) = watch::channel(None);
        map.insert(key.to_string(), rx);
        Claim::First(FirstGuard {
            owner: Arc::clone(self),
            key: key.to_string(),
            tx: Some(tx),
        })
    }

    fn release(&self, key: &str) {
        let mut map = match self.map.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.remove(key);
    }

    /// Number of pushes in flight.
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// True when nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl FirstGuard {
    /// Publish the answer to every waiting resend and release the key.
    pub fn complete(mut self, answer: Answer) {
        self.publish(answer);
    }

    fn publish(&mut self, answer: Answer) {
        if let Some(tx) = self.tx.take() {
            // Remove first: a resend arriving after this finds the store instead.
            self.owner.release(&self.key);
            let _ = tx.send(Some(answer));
        }
    }
}

impl Drop for FirstGuard {
    fn drop(&mut self) {
        self.publish(Err(PushError::Abandoned));
    }
}

impl Waiter {
    /// Wait for the first's answer.
    pub async fn wait(mut self) -> Answer {
        match self.rx.wait_for(|a| a.is_some()).await {
            Ok(answer) => answer.clone().unwrap_or(Err(PushError::Abandoned)),
            Err(_) => Err(PushError::Abandoned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_resend_gets_the_first_answer() {
        let inflight = Arc::new(Inflight::default());
        let Claim::First(first) = inflight.claim("k") else {
            panic!("first claim must run")
        };
        let Claim::Resend(waiter) = inflight.claim("k") else {
            panic!("second claim must wait")
        };
        let task = tokio::spawn(waiter.wait());
        let answer = Passive::Reply {
            kind: "text",
            xml: Arc::from("<xml/>"),
        };
        first.complete(Ok(answer.clone()));
        assert_eq!(task.await.unwrap().ok(), Some(answer));
        assert!(inflight.is_empty());
        assert!(matches!(inflight.claim("k"), Claim::First(_)));
    }

    #[tokio::test]
    async fn a_dropped_first_fails_its_waiters() {
        let inflight = Arc::new(Inflight::default());
        let first = inflight.claim("k");
        let Claim::Resend(waiter) = inflight.claim("k") else {
            panic!("second claim must wait")
        };
        drop(first);
        assert!(matches!(waiter.wait().await, Err(PushError::Abandoned)));
    }
}
