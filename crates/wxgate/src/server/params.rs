//! Query parameters of the push URL.

/// The query of a push (or URL verification), percent-decoded.
#[derive(Debug, Default, Clone)]
pub struct PushParams {
    /// signature over token, timestamp, nonce
    pub signature: Option<String>,
    /// unix seconds
    pub timestamp: Option<String>,
    /// nonce
    pub nonce: Option<String>,
    /// URL verification echo
    pub echostr: Option<String>,
    /// `aes` for encrypted pushes
    pub encrypt_type: Option<String>,
    /// signature over token, timestamp, nonce, Encrypt
    pub msg_signature: Option<String>,
}

impl PushParams {
    /// Parse a raw query string; unknown parameters are ignored, the first of a repeated one wins.
    pub fn parse(query: Option<&str>) -> PushParams {
        let mut p = PushParams::default();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match k.as_ref() {
                "signature" => &mut p.signature,
                "timestamp" => &mut p.timestamp,
                "nonce" => &mut p.nonce,
                "echostr" => &mut p.echostr,
                "encrypt_type" => &mut p.encrypt_type,
                "msg_signature" => &mut p.msg_signature,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        p
    }

    /// True for `encrypt_type=aes`.
    pub fn encrypted(&self) -> bool {
        self.encrypt_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("aes"))
    }
}
