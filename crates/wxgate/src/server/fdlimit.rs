//! The open-file limit: raised at start so that `max_connections` sockets fit.
//!
//! Each connection is one file descriptor; the store, the listener, the log and the HTTP
//! clients need some more ([`RESERVED_FDS`]). The soft limit (`RLIMIT_NOFILE`, often 1024) is
//! raised towards the hard one; when even the hard limit cannot fit `max_connections`, the
//! connection limit is lowered to what fits, with a warning, so the process never runs out of
//! descriptors (and never spins on `accept` errors) under a flood.

/// Descriptors kept for everything but client connections.
pub const RESERVED_FDS: u64 = 256;

/// Raise the soft open-file limit to fit `max_connections`; the connection limit that
/// actually fits.
pub fn fit(max_connections: usize) -> usize {
    let wanted = max_connections as u64 + RESERVED_FDS;
    match raise_to(wanted) {
        Some(limit) if limit >= wanted => max_connections,
        Some(limit) => {
            let fits = limit.saturating_sub(RESERVED_FDS).max(1) as usize;
            tracing::warn!(
                max_connections,
                open_file_limit = limit,
                serving = fits,
                "the open-file limit cannot fit server.max_connections; serving fewer connections \
                 at once (raise the hard limit, e.g. LimitNOFILE= in systemd)"
            );
            fits
        }
        None => max_connections,
    }
}

/// Raise the soft limit to `wanted` (at most the hard limit); the soft limit after that, or
/// None where limits cannot be read.
#[cfg(unix)]
fn raise_to(wanted: u64) -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let current = getrlimit(Resource::Nofile);
    let soft = current.current?; // None = unlimited
    if soft >= wanted {
        return Some(soft);
    }
    let target = current.maximum.map_or(wanted, |hard| hard.min(wanted));
    let mut raised = current;
    raised.current = Some(target);
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => {
            tracing::debug!(from = soft, to = target, "raised the open-file limit");
            Some(target)
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            Some(soft)
        }
    }
}

#[cfg(not(unix))]
fn raise_to(_wanted: u64) -> Option<u64> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_raised_to_fit() {
        use rustix::process::{getrlimit, Resource};
        let before = getrlimit(Resource::Nofile);
        let fits = fit(1000);
        let after = getrlimit(Resource::Nofile);
        match (after.current, before.maximum) {
            (None, _) => assert_eq!(fits, 1000),
            (Some(soft), Some(hard)) if hard < 1000 + RESERVED_FDS => {
                assert_eq!(soft, hard);
                assert_eq!(fits as u64, hard - RESERVED_FDS);
            }
            (Some(soft), _) => {
                assert!(soft >= 1000 + RESERVED_FDS, "soft limit {soft}");
                assert_eq!(fits, 1000);
            }
        }
    }
}
