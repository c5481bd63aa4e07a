//! Reading a push body with the `max_body_bytes` limit, so that an oversized body gets a
//! 413 the client can actually read.
//!
//! Answering 413 and closing while the client is still sending makes many clients see a
//! reset instead of the answer. So past the limit the rest is read and dropped — bounded in
//! bytes and time — before answering.
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures::StreamExt;

/// Past the limit, at most this many times the limit is drained before giving up.
const DRAIN_FACTOR: usize = 16;
/// Longest time spent draining an oversized body.
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// Why the body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// over the limit: answer 413
    TooLarge,
    /// the client broke off or sent a malformed body: answer 400
    Broken,
}

/// Up to this much of a declared length is allocated before the bytes arrive (a client that
/// declares 64 KiB and sends nothing must not cost 64 KiB).
const PREALLOCATE_MAX: usize = 16 * 1024;

/// Read at most `limit` bytes of `body`; `expected` (the declared length, 0 if unknown) sizes
/// the buffer once for ordinary pushes (a few KiB), rather than a doubling series.
pub async fn read_limited(body: Body, limit: usize, expected: usize) -> Result<Bytes, BodyError> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::with_capacity(expected.min(limit).min(PREALLOCATE_MAX));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        if buf.len() + chunk.len() > limit {
            let mut seen = buf.len() + chunk.len();
            let drain = async {
                while let Some(Ok(chunk)) = stream.next().await {
                    seen += chunk.len();
                    if seen > limit.saturating_mul(DRAIN_FACTOR) {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}
