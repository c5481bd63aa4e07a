//! The accept loop: at most `max_connections` connections, slow clients cut off, accept
//! errors backed off, and a shutdown that no client can hold up.
//!
//! - A connection is served only with a permit of a semaphore of `max_connections`. When none
//!   is free, one more connection is accepted and takes the place of the open connection that
//!   idled longest outside a request — between requests, or not taking its answer
//!   ([`Slots::evict_idlest`]) — so idle or stalled clients cannot crowd out WeChat's pushes.
//!   Only when every connection is inside a request does it wait for one to end; the others
//!   wait in the kernel's backlog meanwhile, so a flood costs no descriptors or memory beyond
//!   the limit.
//! - Request headers must arrive within `header_timeout_ms` (hyper's header read timeout, on
//!   the tokio timer), else the connection is closed. It also bounds an idle keep-alive
//!   connection. The body is due by the reply deadline (the handlers' job, `push.rs` and
//!   `admin/answers.rs`). The same time bounds writing: an answer that makes no progress for
//!   `header_timeout_ms` (the client does not read it) closes the connection ([`Watched`]).
//! - A client may send at most [`MAX_PIPELINED`] requests ahead of their answers; the answer
//!   to the next one closes the connection.
//! - Accept errors (EMFILE, ENFILE, ENOBUFS, ...) are backed off, 10 ms doubling to 1 s,
//!   logged once per streak, instead of spinning.
//! - Shutdown: the loop stops accepting (the listener is dropped), every connection is asked
//!   to finish its request and close ([`Connections::drain`]); connections still open at the
//!   end of the grace period are dropped.
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Service;

use super::slots::{Slot, Slots, MAX_PIPELINED};
use super::watch::Watched;

/// hyper's per-connection read buffer at most (its minimum is 8 KiB; the default ~400 KiB
/// lets thousands of slow clients hold a lot of memory).
const MAX_BUF: usize = 64 * 1024;
/// First and longest pause after an accept error.
const BACKOFF_FIRST: Duration = Duration::from_millis(10);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The open connections: asked to finish gracefully, then dropped.
pub struct Connections {
    tracker: TaskTracker,
    graceful: CancellationToken,
    hard: CancellationToken,
}

impl Connections {
    /// Ask every connection to finish its request and close; wait up to `grace`, then drop
    /// the rest. True when all had finished in time.
    pub async fn drain(self, grace: Duration) -> bool {
        self.tracker.close();
        self.graceful.cancel();
        let finished = tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok();
        if !finished {
            tracing::warn!(
                open = self.tracker.len(),
                "shutdown: closing connections still open at the end of the grace period"
            );
            self.hard.cancel();
            // Dropping a connection is immediate; this wait is only for the tasks to notice.
            let _ = tokio::time::timeout(Duration::from_secs(1), self.tracker.wait()).await;
        }
        finished
    }
}

/// Serve `app` on `listener` until `stop` is cancelled; the connections still open then.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    max_connections: usize,
    stop: CancellationToken,
) -> Connections {
    let conns = Connections {
        tracker: TaskTracker::new(),
        graceful: CancellationToken::new(),
        hard: CancellationToken::new(),
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_BUF);
    let permits = Arc::new(Semaphore::new(max_connections.max(1)));
    let slots = Arc::new(Slots::default());
    let mut backoff = BACKOFF_FIRST;
    let mut failing = false;
    loop {
        // A free permit, taken before accepting; without one the connection accepted next
        // makes room for itself below.
        let free = Arc::clone(&permits).try_acquire_owned().ok();
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, remote) = match accepted {
            Ok(pair) => pair,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "accept failed; backing off until it works again");
                    failing = true;
                }
                drop(free);
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
                continue;
            }
        };
        if failing {
            tracing::info!("accepting connections again");
            failing = false;
        }
        backoff = BACKOFF_FIRST;
        let permit = match free {
            Some(permit) => permit,
            None => match make_room(&permits, &slots, &stop).await {
                Some(permit) => permit,
                None => break,
            },
        };
        let _ = stream.set_nodelay(true);
        conns.tracker.spawn(connection(
            stream,
            remote,
            app.clone(),
            builder.clone(),
            Ends {
                graceful: conns.graceful.clone(),
                hard: conns.hard.clone(),
            },
            slots.open(),
            header_timeout,
            permit,
        ));
    }
    drop(listener);
    conns
}

/// Every slot is taken: evict the connection that idled longest outside a request and take
/// its permit, or (every connection inside a request) wait for one to end. None on shutdown.
async fn make_room(
    permits: &Arc<Semaphore>,
    slots: &Slots,
    stop: &CancellationToken,
) -> Option<OwnedSemaphorePermit> {
    let changed = slots.changed();
    changed.want();
    let permit = loop {
        let became_idle = changed.notify().notified();
        tokio::pin!(became_idle);
        became_idle.as_mut().enable();
        if let Ok(permit) = Arc::clone(permits).try_acquire_owned() {
            break Some(permit);
        }
        if slots.evict_idlest() {
            tracing::debug!(
                open = slots.len(),
                "every connection slot taken: closed the connection idle longest"
            );
            // Its permit comes back as soon as its task drops the connection.
            break tokio::select! {
                () = stop.cancelled() => None,
                permit = Arc::clone(permits).acquire_owned() => permit.ok(),
            };
        }
        tokio::select! {
            () = stop.cancelled() => break None,
            permit = Arc::clone(permits).acquire_owned() => break permit.ok(),
            () = became_idle => {}
        }
    };
    changed.done();
    permit
}

/// Errors of one connection that went away before it was accepted: try the next at once.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// How a connection is told to end: gracefully (finish the request), or at once.
struct Ends {
    graceful: CancellationToken,
    hard: CancellationToken,
}

#[allow(clippy::too_many_arguments)] // one call site, each a different part of the connection
async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    builder: http1::Builder,
    ends: Ends,
    slot: Slot,
    write_timeout: Duration,
    _permit: OwnedSemaphorePermit,
) {
    let conn = Arc::clone(slot.conn());
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(remote));
        let mut app = app.clone();
        let busy = conn.begin();
        async move {
            let resp: Result<_, Infallible> = app.call(req).await;
            let ahead = busy.ahead;
            drop(busy);
            resp.map(|mut resp| {
                if ahead > MAX_PIPELINED {
                    resp.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                resp
            })
        }
    });
    let io = Watched::new(stream, Arc::clone(slot.conn()), write_timeout);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            return;
        }
        () = ends.graceful.cancelled() => conn.as_mut().graceful_shutdown(),
        () = ends.hard.cancelled() => return,
        () = slot.conn().evicted() => return,
    }
    tokio::select! {
        _ = conn.as_mut() => {}
        () = ends.hard.cancelled() => {}
        () = slot.conn().evicted() => {}
    }
}
