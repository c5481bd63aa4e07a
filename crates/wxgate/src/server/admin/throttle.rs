//! Failed admin sign-ins, counted per client address: past [`MAX_FAILURES`] in a
//! [`WINDOW`], that address gets 429 until the window ends, so the token cannot be guessed at
//! network speed.
//!
//! Memory is bounded: at most [`MAX_ADDRESSES`] addresses are kept; when full, windows that
//! ended are dropped, then the oldest window. Behind a reverse proxy every client has the
//! proxy's address, so one guesser locks the API for a minute at most — the price of not
//! trusting a forwarded header.
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed from one address within [`WINDOW`].
pub const MAX_FAILURES: u32 = 10;
/// The counting window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most.
pub const MAX_ADDRESSES: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Failed sign-ins per address.
#[derive(Debug, Default)]
pub struct AuthThrottle {
    // A std mutex: held for a map lookup, never across an await.
    windows: Mutex<HashMap<IpAddr, Window>>,
}

/// The address used when the connection's is unknown (requests not from a socket).
pub const UNKNOWN: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

impl AuthThrottle {
    /// Whether `addr` is locked out at `now`; `Some(seconds until it may try again)`.
    pub fn locked(&self, addr: IpAddr, now: Instant) -> Option<u64> {
        let windows = self.lock();
        let w = windows.get(&addr)?;
        let ends = w.started + WINDOW;
        (w.failures >= MAX_FAILURES && now < ends)
            .then(|| ends.saturating_duration_since(now).as_secs().max(1))
    }

    /// Count a failed attempt from `addr` at `now`.
    pub fn failed(&self, addr: IpAddr, now: Instant) {
        let mut windows = self.lock();
        if !windows.contains_key(&addr) && windows.len() >= MAX_ADDRESSES {
            windows.retain(|_, w| now < w.started + WINDOW);
            if windows.len() >= MAX_ADDRESSES {
                if let Some(oldest) = windows
                    .iter()
                    .min_by_key(|(_, w)| w.started)
                    .map(|(a, _)| *a)
                {
                    windows.remove(&oldest);
                }
            }
        }
        let w = windows.entry(addr).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now >= w.started + WINDOW {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
    }

    /// A successful sign-in from `addr` clears its count.
    pub fn succeeded(&self, addr: IpAddr) {
        self.lock().remove(&addr);
    }

    /// Addresses currently remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no address is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Window>> {
        match self.windows.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(n))
    }

    #[test]
    fn locked_after_the_limit_until_the_window_ends() {
        let t = AuthThrottle::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            t.failed(ip(1), now);
        }
        assert_eq!(t.locked(ip(1), now), None);
        t.failed(ip(1), now);
        assert_eq!(t.locked(ip(1), now), Some(60));
        assert_eq!(t.locked(ip(2), now), None, "another address is not locked");
        assert_eq!(t.locked(ip(1), now + WINDOW), None);
        t.failed(ip(1), now + WINDOW);
        assert_eq!(
            t.locked(ip(1), now + WINDOW),
            None,
            "a new window starts at 1"
        );
    }

    #[test]
    fn success_clears() {
        let t = AuthThrottle::default();
        let now = Instant::now();
        for _ in 0..3 {
            t.failed(ip(1), now);
        }
        t.succeeded(ip(1));
        assert!(t.is_empty());
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
