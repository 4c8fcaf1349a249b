use std::fmt;

/// Which dot-separated part of a JWT an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenPart {
    /// The first part: the JOSE header.
    Header,
    /// The second part: the claims.
    Payload,
}

impl fmt::Display for TokenPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenPart::Header => "header",
            TokenPart::Payload => "payload",
        })
    }
}

/// Why a string could not be read as an ACS access token.
///
/// No variant carries or prints any part of the token text: these errors are safe to log.
/// Where the input looks like a common mistake (a `Bearer ` prefix, quotes, a whole JSON token
/// response), the error names the mistake so it can be fixed at its source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The input was empty.
    #[error("the access token is empty")]
    Empty,
    /// The input starts or ends with white space (often a trailing newline from a file or a
    /// command's output).
    #[error("the access token has leading or trailing white space; trim it and pass the bare JWT")]
    SurroundingWhitespace,
    /// The input starts with an HTTP authorization scheme such as `Bearer `.
    #[error(
        "the access token starts with an authorization scheme (`Bearer `); pass the bare JWT without it"
    )]
    BearerPrefix,
    /// The input starts or ends with a quote, as when a JSON string value is copied with its
    /// quotes (or only the closing one).
    #[error("the access token starts or ends with a quote; pass the bare JWT without quotes")]
    Quoted,
    /// The input is a JSON document (for example a whole token response) rather than a JWT.
    #[error(
        "the input is a JSON document, not a JWT; pass the value of its `token` field (the bare JWT)"
    )]
    JsonDocument,
    /// The input has five dot-separated parts: an encrypted token (JWE), whose claims cannot be
    /// read without the key.
    #[error(
        "the access token is encrypted (JWE, 5 parts) and its expiry cannot be read; \
         supply the expiry explicitly with `AccessToken::new`"
    )]
    Encrypted,
    /// The input does not have the three dot-separated parts of a JWT.
    #[error(
        "the access token is not formatted correctly: expected 3 dot-separated parts, found {parts}"
    )]
    WrongPartCount {
        /// How many dot-separated parts the input has.
        parts: usize,
    },
    /// A part is not valid base64 or base64url.
    #[error("the access token is not formatted correctly: its {part} is not valid base64url")]
    InvalidBase64 {
        /// The part that failed to decode.
        part: TokenPart,
    },
    /// A part decoded, but is not JSON.
    #[error("the access token is not formatted correctly: its {part} is not valid JSON")]
    InvalidJson {
        /// The part that is not JSON.
        part: TokenPart,
    },
    /// A part is JSON but not a JSON object.
    #[error("the access token is not formatted correctly: its {part} is not a JSON object")]
    NotAnObject {
        /// The part that is not an object.
        part: TokenPart,
    },
    /// The payload has no `exp` claim.
    #[error("the access token has no `exp` (expiry) claim")]
    MissingExpiry,
    /// The `exp` claim is not a number.
    #[error("the access token's `exp` claim is not a number")]
    ExpiryNotNumeric,
    /// A time claim is outside the range of dates this library represents (years -9999 to 9999).
    #[error("the access token's `{claim}` claim is outside the representable date range")]
    TimeOutOfRange {
        /// The claim's name.
        claim: &'static str,
    },
    /// A known claim has the wrong JSON type.
    #[error("the access token's `{claim}` claim has an unexpected type")]
    InvalidClaim {
        /// The claim's name.
        claim: &'static str,
    },
}
