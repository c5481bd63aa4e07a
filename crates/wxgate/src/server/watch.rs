//! [`Watched`]: a connection's socket that tells its [`Conn`] what it does (a byte moved, the
//! server waits for the client) and fails a write
//! that makes no progress for the write timeout — so a client that never reads its answers
//! cannot hold a connection (and its slot) for ever. hyper's header timeout covers reading
//! only.
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use super::slots::Conn;

/// A socket watched for progress, its writes bounded by a timeout.
pub struct Watched<T> {
    io: T,
    conn: Arc<Conn>,
    write_timeout: Duration,
    /// running while a write waits for the client
    stall: Option<Pin<Box<Sleep>>>,
}

impl<T> Watched<T> {
    /// Watch `io` for `conn`; a write blocked for `write_timeout` fails.
    pub fn new(io: T, conn: Arc<Conn>, write_timeout: Duration) -> Self {
        Watched {
            io,
            conn,
            write_timeout,
            stall: None,
        }
    }

    /// After a write attempt: progress resets the timer; a blocked write starts it (or fails
    /// once it has run out).
    fn after_write<R>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>>
    where
        R: Moved,
    {
        match result {
            Poll::Pending => {
                let timeout = self.write_timeout;
                let stall = self
                    .stall
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match stall.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client did not take the answer in time",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
            Poll::Ready(result) => {
                self.stall = None;
                if result.as_ref().is_ok_and(Moved::moved) {
                    self.conn.progress();
                }
                Poll::Ready(result)
            }
        }
    }
}

/// Whether a write's result moved bytes.
trait Moved {
    fn moved(&self) -> bool;
}

impl Moved for usize {
    fn moved(&self) -> bool {
        *self > 0
    }
}

impl Moved for () {
    fn moved(&self) -> bool {
        false
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.io).poll_read(cx, buf);
        match &result {
            Poll::Ready(Ok(())) if buf.filled().len() > before => this.conn.progress(),
            Poll::Pending => this.conn.waiting_for_client(),
            Poll::Ready(_) => {}
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.io).poll_write(cx, buf);
        this.after_write(cx, result)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.after_write(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.io).poll_flush(cx);
        this.after_write(cx, result)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.io).poll_shutdown(cx);
        this.after_write(cx, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::slots::Slots;
    use tokio::io::AsyncWriteExt;

    #[tokio::test(start_paused = true)]
    async fn a_write_the_peer_does_not_take_fails_after_the_timeout() {
        let slots = Arc::new(Slots::default());
        let slot = slots.open();
        // A pipe whose other end never reads: 64 bytes fit, then writes block.
        let (ours, _theirs) = tokio::io::duplex(64);
        let mut watched = Watched::new(ours, Arc::clone(slot.conn()), Duration::from_secs(5));
        watched.write_all(&[b'x'; 64]).await.expect("fits");
        let started = tokio::time::Instant::now();
        let err = watched.write_all(b"more").await.expect_err("nobody reads");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_that_keeps_taking_is_not_cut() {
        use tokio::io::AsyncReadExt;
        let slots = Arc::new(Slots::default());
        let slot = slots.open();
        let (ours, mut theirs) = tokio::io::duplex(16);
        let mut watched = Watched::new(ours, Arc::clone(slot.conn()), Duration::from_secs(5));
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 16];
            // 16 bytes every 4 s: slower than the whole answer's 5 s, never stalled that long
            loop {
                tokio::time::sleep(Duration::from_secs(4)).await;
                match theirs.read(&mut buf).await {
                    Ok(0) | Err(_) => break got,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        });
        watched.write_all(&[b'y'; 80]).await.expect("taken in time");
        watched.shutdown().await.expect("shut down");
        drop(watched);
        assert_eq!(reader.await.expect("reader").len(), 80);
    }
}
