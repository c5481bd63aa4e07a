//! Failed admin sign-ins, counted per client over a sliding window: a client with
//! [`MAX_FAILURES`] failures within the last [`WINDOW`] gets 429 until the oldest of them is
//! older than that, so the token cannot be guessed at network speed.
//!
//! A success clears nothing: a valid token (a service's, say) must not buy its holder — or
//! anyone sharing its address — a fresh set of guesses at another credential. The client is
//! the connection's peer, or behind `[server] trusted_proxies` the address the proxies name
//! (`server/client.rs`), so one guesser behind a proxy does not lock out everyone behind it.
//!
//! Memory is bounded: at most [`MAX_FAILURES`] instants per client and [`MAX_ADDRESSES`]
//! clients; when full, clients whose failures all aged out are dropped, then the one whose
//! last failure is oldest.
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed from one client within [`WINDOW`].
pub const MAX_FAILURES: u32 = 10;
/// The sliding window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Clients remembered at most.
pub const MAX_ADDRESSES: usize = 4096;

/// Failed sign-ins per client: the instants of the last `MAX_FAILURES` (10), oldest first.
#[derive(Debug, Default)]
pub struct AuthThrottle {
    // A std mutex: held for a map lookup, never across an await.
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

/// The address used when the connection's is unknown (requests not from a socket).
pub const UNKNOWN: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

impl AuthThrottle {
    /// Whether `addr` is locked out at `now`; `Some(seconds until it may try again)`.
    pub fn locked(&self, addr: IpAddr, now: Instant) -> Option<u64> {
        let mut all = self.lock();
        let times = all.get_mut(&addr)?;
        age_out(times, now);
        let oldest = *times.front()?;
        (times.len() >= MAX_FAILURES as usize).then(|| {
            (oldest + WINDOW)
                .saturating_duration_since(now)
                .as_secs()
                .max(1)
        })
    }

    /// Count a failed attempt from `addr` at `now`; true when it reaches the limit (the
    /// client is locked out from now on).
    pub fn failed(&self, addr: IpAddr, now: Instant) -> bool {
        let mut all = self.lock();
        if !all.contains_key(&addr) && all.len() >= MAX_ADDRESSES {
            all.retain(|_, times| times.back().is_some_and(|last| now < *last + WINDOW));
            if all.len() >= MAX_ADDRESSES {
                if let Some(stalest) = all
                    .iter()
                    .min_by_key(|(_, times)| times.back().copied())
                    .map(|(a, _)| *a)
                {
                    all.remove(&stalest);
                }
            }
        }
        let times = all.entry(addr).or_default();
        age_out(times, now);
        times.push_back(now);
        if times.len() > MAX_FAILURES as usize {
            times.pop_front();
        }
        times.len() == MAX_FAILURES as usize
    }

    /// Clients currently remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no client is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, VecDeque<Instant>>> {
        match self.failures.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// Drop the failures older than [`WINDOW`] at `now`.
fn age_out(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|t| now >= *t + WINDOW) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(n))
    }

    #[test]
    fn locked_after_the_limit_until_the_oldest_failure_ages_out() {
        let t = AuthThrottle::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            assert!(!t.failed(ip(1), now));
        }
        assert_eq!(t.locked(ip(1), now), None);
        assert!(t.failed(ip(1), now), "the tenth locks");
        assert_eq!(t.locked(ip(1), now), Some(60));
        assert_eq!(t.locked(ip(2), now), None, "another client is not locked");
        assert_eq!(t.locked(ip(1), now + WINDOW), None);
        assert!(
            !t.failed(ip(1), now + WINDOW),
            "the window slid: one failure"
        );
        assert_eq!(t.locked(ip(1), now + WINDOW), None);
    }

    #[test]
    fn the_window_slides() {
        let t = AuthThrottle::default();
        let start = Instant::now();
        // one failure every 10 s: never ten within a minute
        for i in 0..30u64 {
            let at = start + Duration::from_secs(10 * i);
            t.failed(ip(1), at);
            assert_eq!(t.locked(ip(1), at), None, "after {i}");
        }
        // nine spread over 50 s, then one more: locked until the first of those ages out
        let t = AuthThrottle::default();
        for i in 0..9u64 {
            t.failed(ip(1), start + Duration::from_secs(5 * i + 10));
        }
        let at = start + Duration::from_secs(55);
        assert!(t.failed(ip(1), at));
        assert_eq!(
            t.locked(ip(1), at),
            Some(15),
            "the first failure (10 s) ages out at 70 s"
        );
        assert_eq!(t.locked(ip(1), start + Duration::from_secs(70)), None);
    }

    #[test]
    fn memory_is_bounded() {
        let t = AuthThrottle::default();
        let now = Instant::now();
        for n in 0..(MAX_ADDRESSES as u32 * 3) {
            t.failed(ip(n), now + Duration::from_millis(u64::from(n)));
        }
        assert_eq!(t.len(), MAX_ADDRESSES);
        // The newest survive.
        let last = ip(MAX_ADDRESSES as u32 * 3 - 1);
        for _ in 0..MAX_FAILURES {
            t.failed(last, now + Duration::from_secs(1));
        }
        assert!(t.locked(last, now + Duration::from_secs(1)).is_some());
    }
}
