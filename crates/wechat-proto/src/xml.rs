//! Hardened XML reader (private).
