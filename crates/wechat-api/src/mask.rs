//! [`Mask`]: every occurrence of a secret in a byte stream overwritten with `*`, one for one,
//! as the stream goes by — so an answer that echoes the access token never carries it, and
//! keeps its length (a `Content-Length` stays true).
//!
//! Memory is one chunk plus the secret's length less one byte (the tail kept back in case the
//! secret straddles two chunks): an answer of any size is masked without being held whole.

use bytes::{Bytes, BytesMut};

/// A streaming mask of one secret.
#[derive(Debug)]
pub struct Mask {
    needle: Vec<u8>,
    /// bytes held back: the end of what came, shorter than the needle
    carry: Vec<u8>,
}

impl Mask {
    /// A mask of `secret` (an empty one masks nothing).
    pub fn new(secret: &str) -> Self {
        Mask {
            needle: secret.as_bytes().to_vec(),
            carry: Vec::new(),
        }
    }

    /// Feed `chunk`; answers what can go out now (possibly nothing: it may be held back).
    pub fn push(&mut self, chunk: &[u8]) -> Bytes {
        if self.needle.is_empty() {
            return Bytes::copy_from_slice(chunk);
        }
        let mut buf = BytesMut::with_capacity(self.carry.len() + chunk.len());
        buf.extend_from_slice(&self.carry);
        buf.extend_from_slice(chunk);
        overwrite(&mut buf, &self.needle);
        // An occurrence starting in the last `needle - 1` bytes may end in the next chunk.
        let keep = (self.needle.len() - 1).min(buf.len());
        let tail = buf.split_off(buf.len() - keep);
        self.carry.clear();
        self.carry.extend_from_slice(&tail);
        buf.freeze()
    }

    /// The end of the stream: what was held back (too short to hold the secret).
    pub fn finish(&mut self) -> Bytes {
        Bytes::from(std::mem::take(&mut self.carry))
    }
}

/// `body` with every occurrence of `secret` overwritten with `*`s.
pub fn mask_all(body: &[u8], secret: &str) -> Bytes {
    let mut buf = BytesMut::from(body);
    if !secret.is_empty() {
        overwrite(&mut buf, secret.as_bytes());
    }
    buf.freeze()
}

/// Overwrite every occurrence of `needle` (not empty) in `buf` with `*`s.
fn overwrite(buf: &mut [u8], needle: &[u8]) {
    let mut at = 0;
    while at + needle.len() <= buf.len() {
        if buf[at..].starts_with(needle) {
            buf[at..at + needle.len()].fill(b'*');
            at += needle.len();
        } else {
            at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `input` fed in chunks of `size`, and what came out.
    fn through(input: &[u8], secret: &str, size: usize) -> Vec<u8> {
        let mut mask = Mask::new(secret);
        let mut out = Vec::new();
        for chunk in input.chunks(size) {
            out.extend_from_slice(&mask.push(chunk));
        }
        out.extend_from_slice(&mask.finish());
        out
    }

    #[test]
    fn every_occurrence_is_masked_whatever_the_chunking() {
        let input = b"{\"echo\":\"access_token=TOKEN42&x=TOKEN42TOKEN42\",\"end\":\"TOKEN4\"}";
        let expected = mask_all(input, "TOKEN42");
        assert_eq!(
            &expected[..],
            &b"{\"echo\":\"access_token=*******&x=**************\",\"end\":\"TOKEN4\"}"[..]
        );
        for size in 1..=input.len() {
            assert_eq!(
                through(input, "TOKEN42", size),
                &expected[..],
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn the_length_is_kept_and_nothing_else_changes() {
        let input: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        assert_eq!(through(&input, "tok", 7), input);
        assert_eq!(through(b"", "tok", 1), b"");
        assert_eq!(through(b"to", "tok", 1), b"to");
        assert_eq!(through(b"abc", "", 1), b"abc");
    }

    #[test]
    fn held_back_bytes_are_bounded_by_the_secret() {
        let mut mask = Mask::new("secret");
        let out = mask.push(&[b'a'; 100]);
        assert_eq!(out.len(), 95, "five bytes held back");
        assert_eq!(mask.finish().len(), 5);
    }
}
