/// Everything that can go wrong in this crate: reading a connection string, signing a request, or
/// verifying a signed one.
///
/// No variant carries or prints the access key, the connection string, a body or a signature:
/// these errors are safe to log and to send back to a client (the emulator puts their text in its
/// 401 answers). Header names and counts appear where they help; values never do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    // ---- Connection strings and access keys ----
    /// The connection string has no `endpoint=` pair (or its value is empty).
    #[error(
        "the connection string has no endpoint; expected \
         `endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>`"
    )]
    MissingEndpoint,
    /// The connection string has no `accesskey=` pair (or its value is empty).
    #[error(
        "the connection string has no access key; expected \
         `endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>`"
    )]
    MissingAccessKey,
    /// The same key appears twice in the connection string.
    #[error("the connection string has `{key}=` more than once")]
    DuplicateKey {
        /// The repeated key, lower-cased (`endpoint` or `accesskey`).
        key: &'static str,
    },
    /// A `;`-separated part of the connection string has no `=`.
    #[error("part {position} of the connection string (counting from 1) is not a `key=value` pair")]
    PairWithoutEquals {
        /// Which `;`-separated part it is, counting from 1.
        position: usize,
    },
    /// The endpoint is not an absolute `http` or `https` URL with a host (and no user name or
    /// password).
    #[error(
        "the endpoint is not an absolute http(s) URL with a host, \
         such as `https://<resource>.communication.azure.com/`"
    )]
    InvalidEndpoint {
        /// Why the URL parser rejected it, when it did (a wrong scheme or a missing host parses
        /// fine and has no source).
        #[source]
        source: Option<url::ParseError>,
    },
    /// The access key is not valid standard base64.
    #[error("the access key is not valid base64")]
    InvalidAccessKey,

    // ---- Signing ----
    /// The request names no host: its URI is not absolute and it has no `Host` header.
    #[error(
        "the request has no host to sign: use an absolute URI such as \
         `https://<resource>.communication.azure.com/...`"
    )]
    MissingHost,
    /// The request body is a stream, so its SHA-256 cannot be computed before sending.
    #[error("the request body is a stream; HMAC signing needs the whole body in memory")]
    BodyNotBuffered,
    /// The signing date cannot be written as an RFC 1123 date (its year is outside
    /// 1970..=9999).
    #[error("the date cannot be written as an RFC 1123 date (year outside 1970..=9999)")]
    UnsupportedDate,

    // ---- Verifying ----
    /// A header needed to verify the request is missing.
    #[error("the request has no `{name}` header")]
    MissingHeader {
        /// The header's name, lower-cased.
        name: String,
    },
    /// The `Authorization` header is not
    /// `HMAC-SHA256 SignedHeaders=...&Signature=...` with the headers ACS signs.
    #[error("the authorization header is malformed: {reason}")]
    MalformedAuthorization {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A header value is not visible ASCII, or the date header is not an RFC 1123 date.
    #[error("the `{name}` header is malformed")]
    MalformedHeader {
        /// The header's name, lower-cased.
        name: String,
    },
    /// `x-ms-content-sha256` is not the SHA-256 of the body received.
    #[error("the `x-ms-content-sha256` header does not match the body received")]
    ContentHashMismatch,
    /// The signature does not match the request as received.
    #[error("the request signature does not match")]
    SignatureMismatch,
    /// The signed date is further from the verifier's clock than the allowed skew.
    #[error(
        "the request date is {difference_seconds} s from the verifier's clock; \
         at most {allowed_seconds} s is allowed"
    )]
    DateOutsideSkew {
        /// Request date minus the verifier's clock, in whole seconds (negative: in the past).
        difference_seconds: i64,
        /// The allowed difference either way, in whole seconds.
        allowed_seconds: i64,
    },
}
