//! The connections open now and what each is doing, so that when every slot of
//! `max_connections` is taken a new connection can take the place of the one that has idled
//! longest — a keep-alive connection between requests, or one whose client stopped taking its
//! answer — instead of waiting behind it. A connection inside a request is never chosen.
//!
//! Each connection also counts the requests it was sent ahead (pipelined) without waiting
//! for the answers: past [`MAX_PIPELINED`] its answer says `Connection: close`.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Requests a client may send ahead of the answers on one connection; the answer to the next
/// one closes the connection (the requests still queued behind it are dropped).
pub const MAX_PIPELINED: u32 = 32;

/// The open connections.
#[derive(Debug)]
pub struct Slots {
    start: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    /// poked when a connection leaves its last request (it may be evicted now)
    changed: Arc<Changed>,
}

/// A wake-up for the accept loop while it waits to make room, poked only while it waits (a
/// `Notify` takes a lock: no lock on every request otherwise).
#[derive(Debug, Default)]
pub struct Changed {
    notify: Notify,
    wanted: AtomicBool,
}

impl Changed {
    /// Ask to be poked from now on; call [`Notify::notified`] on [`Changed::notify`] after
    /// this and before looking.
    pub fn want(&self) {
        self.wanted.store(true, Ordering::SeqCst);
    }

    /// No longer poke.
    pub fn done(&self) {
        self.wanted.store(false, Ordering::SeqCst);
    }

    /// The wake-up itself.
    pub fn notify(&self) -> &Notify {
        &self.notify
    }

    fn poke(&self) {
        if self.wanted.load(Ordering::SeqCst) {
            self.notify.notify_waiters();
        }
    }
}

/// One open connection, as [`Slots`] sees it.
#[derive(Debug)]
pub struct Conn {
    start: Instant,
    /// milliseconds since `start` of the last byte read or written
    last_progress: AtomicU64,
    /// requests inside the app now
    busy: AtomicU32,
    /// requests begun since the client was last waited for
    ahead: AtomicU32,
    evicted: AtomicBool,
    evict: CancellationToken,
    changed: Arc<Changed>,
}

/// A connection's place in [`Slots`], given up when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    id: u64,
    conn: Arc<Conn>,
}

/// A request inside the app (see [`Conn::begin`]).
#[derive(Debug)]
pub struct Busy {
    conn: Arc<Conn>,
    /// requests begun since the client was last waited for, this one included
    pub ahead: u32,
}

impl Default for Slots {
    fn default() -> Self {
        Slots {
            start: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::default(),
            changed: Arc::default(),
        }
    }
}

impl Slots {
    /// Register a new connection.
    pub fn open(self: &Arc<Self>) -> Slot {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            start: self.start,
            last_progress: AtomicU64::new(0),
            busy: AtomicU32::new(0),
            ahead: AtomicU32::new(0),
            evicted: AtomicBool::new(false),
            evict: CancellationToken::new(),
            changed: Arc::clone(&self.changed),
        });
        conn.progress();
        self.lock().insert(id, Arc::clone(&conn));
        Slot {
            slots: Arc::clone(self),
            id,
            conn,
        }
    }

    /// Evict the connection that idled longest of those outside a request; false when every
    /// connection is inside one.
    pub fn evict_idlest(&self) -> bool {
        let open = self.lock();
        let victim = open
            .values()
            .filter(|c| c.busy.load(Ordering::SeqCst) == 0 && !c.evicted.load(Ordering::Acquire))
            .min_by_key(|c| c.last_progress.load(Ordering::Relaxed));
        match victim {
            Some(conn) => {
                conn.evicted.store(true, Ordering::Release);
                conn.evict.cancel();
                true
            }
            None => false,
        }
    }

    /// The wake-up for a connection leaving its last request (see [`Changed`]).
    pub fn changed(&self) -> Arc<Changed> {
        Arc::clone(&self.changed)
    }

    /// Connections open.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        // A std mutex, never held across an await.
        match self.open.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl Slot {
    /// The connection.
    pub fn conn(&self) -> &Arc<Conn> {
        &self.conn
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock().remove(&self.id);
    }
}

impl Conn {
    /// A byte was read or written.
    pub fn progress(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_progress.store(ms, Ordering::Relaxed);
    }

    /// The server waits for the client to send more: it has no request queued ahead.
    pub fn waiting_for_client(&self) {
        self.ahead.store(0, Ordering::Relaxed);
    }

    /// A request enters the app; the connection is busy until the [`Busy`] is dropped.
    pub fn begin(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::SeqCst);
        let ahead = self.ahead.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        Busy {
            conn: Arc::clone(self),
            ahead,
        }
    }

    /// Resolves when the connection is evicted.
    pub async fn evicted(&self) {
        self.evict.cancelled().await;
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.conn.busy.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.conn.changed.poke();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn the_idlest_connection_outside_a_request_is_evicted() {
        let slots = Arc::new(Slots::default());
        let old = slots.open();
        tokio::time::advance(Duration::from_secs(1)).await;
        let busy = slots.open();
        let working = busy.conn().begin();
        tokio::time::advance(Duration::from_secs(1)).await;
        let fresh = slots.open();
        assert_eq!(slots.len(), 3);

        assert!(slots.evict_idlest());
        assert!(
            old.conn().evict.is_cancelled(),
            "the oldest idle one goes first"
        );
        assert!(slots.evict_idlest());
        assert!(fresh.conn().evict.is_cancelled());
        assert!(
            !slots.evict_idlest(),
            "a connection inside a request is never evicted"
        );
        assert!(!busy.conn().evict.is_cancelled());
        drop(working);
        assert!(slots.evict_idlest(), "once its request is done, it may go");

        drop((old, busy, fresh));
        assert_eq!(slots.len(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn recent_progress_keeps_a_connection() {
        let slots = Arc::new(Slots::default());
        let a = slots.open();
        let b = slots.open();
        tokio::time::advance(Duration::from_millis(10)).await;
        a.conn().progress();
        assert!(slots.evict_idlest());
        assert!(b.conn().evict.is_cancelled());
        assert!(!a.conn().evict.is_cancelled());
    }

    #[tokio::test]
    async fn leaving_the_last_request_wakes_a_waiting_accept_loop_only() {
        let slots = Arc::new(Slots::default());
        let slot = slots.open();
        let changed = slots.changed();
        // Not wanted yet: leaving a request pokes nobody.
        drop(slot.conn().begin());
        changed.want();
        let woken = changed.notify().notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let first = slot.conn().begin();
        let second = slot.conn().begin();
        drop(first);
        assert!(
            futures::poll!(woken.as_mut()).is_pending(),
            "still inside a request"
        );
        drop(second);
        assert!(futures::poll!(woken.as_mut()).is_ready());
        changed.done();
    }

    #[test]
    fn requests_ahead_are_counted_until_the_client_is_waited_for() {
        let slots = Arc::new(Slots::default());
        let slot = slots.open();
        let conn = slot.conn();
        let aheads: Vec<u32> = (0..3).map(|_| conn.begin().ahead).collect();
        assert_eq!(aheads, [1, 2, 3]);
        conn.waiting_for_client();
        assert_eq!(conn.begin().ahead, 1);
    }
}
