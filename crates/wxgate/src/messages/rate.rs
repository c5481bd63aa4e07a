//! [`Rate`]: at most N template sends a second, spaced evenly (WeChat's per-account limits).
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Hands out send slots `1/N` s apart; a caller waits for its slot.
#[derive(Debug)]
pub struct Rate {
    every: Duration,
    next: Mutex<Option<Instant>>,
}

impl Rate {
    /// At most `per_second` slots a second (at least 1).
    pub fn new(per_second: u32) -> Self {
        Rate {
            every: Duration::from_secs(1) / per_second.max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits for the next free slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.every);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced_by_the_rate() {
        let rate = Rate::new(20);
        let start = Instant::now();
        for _ in 0..41 {
            rate.acquire().await;
        }
        // 41 slots: the first at once, then 40 × 50 ms.
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }
}
