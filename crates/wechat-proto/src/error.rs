//! Errors.
use thiserror::Error;

/// Any protocol failure.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtoError {
    /// signature / msg_signature mismatch (HTTP 403).
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// envelope does not decrypt (HTTP 400).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// XML refused (HTTP 400).
    #[error(transparent)]
    Xml(#[from] XmlError),
}

impl ProtoError {
    /// HTTP status a push endpoint answers: 403 for signatures, 400 otherwise.
    pub fn http_status(&self) -> u16 {
        match self {
            ProtoError::Signature(_) => 403,
            _ => 400,
        }
    }
}

/// Signature failure.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// `signature` does not match.
    #[error("signature does not match")]
    Signature,
    /// `msg_signature` does not match.
    #[error("msg_signature does not match")]
    MsgSignature,
}

/// An EncodingAESKey that is not 43 base64 characters decoding to 32 bytes.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// wrong length
    #[error("EncodingAESKey must be 43 characters, got {0}")]
    Length(usize),
    /// bad base64
    #[error("EncodingAESKey is not base64")]
    Base64,
}

/// Envelope decryption failure.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// Encrypt empty or not base64
    #[error("Encrypt is not valid base64")]
    Base64,
    /// ciphertext length not a positive multiple of 16 / too short
    #[error("ciphertext length {0} is invalid")]
    CiphertextLength(usize),
    /// bad PKCS#7 padding
    #[error("bad padding")]
    Padding,
    /// length prefix inconsistent
    #[error("bad message length")]
    Length,
    /// trailing appid does not match
    #[error("appid does not match")]
    AppId,
    /// decrypted message not UTF-8
    #[error("decrypted message is not UTF-8")]
    Utf8,
}

/// XML refused by the hardened parser.
///
/// Messages name the rule that was broken and at most a short element name, never field values.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlError {
    /// Not well-formed XML (the text says where or why).
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// The body is empty or only whitespace.
    #[error("empty body")]
    Empty,
    /// The body (or a name or CDATA section in it) is not UTF-8.
    #[error("body is not UTF-8")]
    NotUtf8,
    /// The XML declaration names an encoding other than UTF-8.
    #[error("only UTF-8 is accepted")]
    Encoding,
    /// A `<!DOCTYPE` (and with it any entity declaration).
    #[error("DOCTYPE is not allowed")]
    Doctype,
    /// A processing instruction other than the leading XML declaration.
    #[error("processing instructions are not allowed")]
    ProcessingInstruction,
    /// The root element is not `<xml>`.
    #[error("root element must be <xml>")]
    RootNotXml,
    /// Nesting deeper than the parser's limit.
    #[error("elements nested too deeply")]
    TooDeep,
    /// More elements than the parser's limit.
    #[error("too many elements")]
    TooManyElements,
    /// One element's text is longer than the parser's limit.
    #[error("element text too long")]
    TextTooLong,
    /// The same element twice directly under `<xml>`.
    #[error("duplicate element <{0}>")]
    DuplicateElement(String),
    /// A required element is absent (or not a plain text element).
    #[error("missing element <{0}>")]
    MissingElement(&'static str),
    /// A required element has an unacceptable value (empty FromUserName, non-integer CreateTime).
    #[error("invalid value in <{0}>")]
    InvalidValue(&'static str),
}

/// A reply that WeChat would refuse.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyError {
    /// too many news articles
    #[error("news reply holds {count} articles, at most {max} allowed here")]
    TooManyArticles {
        /// given
        count: usize,
        /// allowed
        max: usize,
    },
    /// a news reply without any article
    #[error("news reply holds no article")]
    NoArticles,
}
