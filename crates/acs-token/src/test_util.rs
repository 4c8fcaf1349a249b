//! Minting tokens for tests (feature `test-util`).
//!
//! Every crate of this workspace, and any user's tests, mint tokens here instead of copying
//! helpers around. Tokens are unsigned in any meaningful sense (the signature part is a fixed
//! placeholder): ACS clients never verify signatures, and neither does this library.
//!
//! ```
//! use acs_token::test_util::{Malformation, TokenBuilder};
//! use acs_token::{AccessToken, TokenError};
//!
//! let jwt = TokenBuilder::new().exp(2_000_000_000).acs_scopes(["chat", "voip"]).build();
//! let token: AccessToken = jwt.parse()?;
//! assert_eq!(token.expires_on().unix_timestamp(), 2_000_000_000);
//!
//! let broken = TokenBuilder::new().malformed(Malformation::MissingExp).build();
//! assert_eq!(broken.parse::<AccessToken>(), Err(TokenError::MissingExpiry));
//! # Ok::<(), TokenError>(())
//! ```

use std::fmt::Write as _;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The header every minted token carries.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A fixed placeholder signature (base64url of 32 bytes), so tokens have a realistic size.
const SIGNATURE: &str = "9i7FNNHHJT8cOzo-yrAUJyBSfJ-tPPk2emcHavOEpWc";

/// A way to break a token on purpose, to test error handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformation {
    /// Only two parts (`header.payload`).
    TwoParts,
    /// Five parts, like an encrypted token (JWE).
    FiveParts,
    /// A payload that is not base64.
    PayloadNotBase64,
    /// A header that is not base64.
    HeaderNotBase64,
    /// A payload that decodes but is not JSON.
    PayloadNotJson,
    /// A payload that is a JSON array, not an object.
    PayloadNotObject,
    /// No `exp` claim.
    MissingExp,
    /// `exp` as a string.
    ExpNotNumeric,
    /// Parts encoded with the standard base64 alphabet and `=` padding (still valid).
    StandardBase64Padded,
    /// Prefixed with `Bearer `.
    BearerPrefix,
    /// Wrapped in double quotes.
    Quoted,
}

/// Builds a JWT with chosen claims, well-formed or broken in a chosen way.
#[derive(Debug, Clone)]
pub struct TokenBuilder {
    claims: Map<String, Value>,
    malformation: Option<Malformation>,
}

impl Default for TokenBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenBuilder {
    /// A token expiring in the year 3000, with no other claims.
    pub fn new() -> Self {
        let mut claims = Map::new();
        claims.insert("exp".to_owned(), Value::from(32_503_680_000_i64));
        TokenBuilder {
            claims,
            malformation: None,
        }
    }

    /// A token with the claims ACS puts in a user token (skypeid, scp, csi, iat, acsScope,
    /// resourceId, resourceLocation), issued at `issued_at` and expiring `lifetime` later.
    pub fn acs_user(issued_at: OffsetDateTime, lifetime: std::time::Duration) -> Self {
        let iat = issued_at.unix_timestamp();
        let exp = iat.saturating_add(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX));
        TokenBuilder::new()
            .claim(
                "skypeid",
                "acs:bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd_00000020-1234-5678-9abc-def012345678",
            )
            .claim("scp", 1792)
            .claim("csi", iat.to_string())
            .claim("iat", iat)
            .exp(exp)
            .acs_scopes(["chat", "voip"])
            .claim("resourceId", "bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd")
            .claim("resourceLocation", "unitedstates")
    }

    /// Sets `exp` in whole seconds since the Unix epoch.
    pub fn exp(self, seconds: i64) -> Self {
        self.claim("exp", seconds)
    }

    /// Sets `exp` as a fractional number of seconds, as the JavaScript SDK's tests mint it.
    pub fn exp_fractional(self, seconds: f64) -> Self {
        self.claim("exp", seconds)
    }

    /// Sets `exp` from an instant (whole seconds; sub-second parts are dropped).
    pub fn expires_on(self, instant: OffsetDateTime) -> Self {
        self.exp(instant.unix_timestamp())
    }

    /// Sets `acsScope` to the comma-separated `scopes`.
    pub fn acs_scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut joined = String::new();
        for (i, scope) in scopes.into_iter().enumerate() {
            if i > 0 {
                joined.push(',');
            }
            joined.push_str(scope.as_ref());
        }
        self.claim("acsScope", joined)
    }

    /// Sets any claim to any JSON value.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Breaks the token in the chosen way when it is built.
    pub fn malformed(mut self, malformation: Malformation) -> Self {
        self.malformation = Some(malformation);
        self
    }

    /// The compact JWT text.
    pub fn build(&self) -> String {
        let mut claims = self.claims.clone();
        match self.malformation {
            Some(Malformation::MissingExp) => {
                claims.remove("exp");
            }
            Some(Malformation::ExpNotNumeric) => {
                claims.insert("exp".to_owned(), Value::from("tomorrow"));
            }
            _ => {}
        }
        let payload_json = Value::Object(claims).to_string();
        let header = encode_url_unpadded(HEADER.as_bytes());
        let payload = encode_url_unpadded(payload_json.as_bytes());
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = match self.malformation {
            Some(Malformation::TwoParts) => write!(out, "{header}.{payload}"),
            Some(Malformation::FiveParts) => write!(out, "{header}.{payload}.{SIGNATURE}.e30.e30"),
            Some(Malformation::PayloadNotBase64) => {
                write!(out, "{header}.*not*base64*.{SIGNATURE}")
            }
            Some(Malformation::HeaderNotBase64) => {
                write!(out, "*not*base64*.{payload}.{SIGNATURE}")
            }
            Some(Malformation::PayloadNotJson) => {
                let not_json = encode_url_unpadded(b"exp=32503680000");
                write!(out, "{header}.{not_json}.{SIGNATURE}")
            }
            Some(Malformation::PayloadNotObject) => {
                let array = encode_url_unpadded(b"[32503680000]");
                write!(out, "{header}.{array}.{SIGNATURE}")
            }
            Some(Malformation::StandardBase64Padded) => {
                let standard = |text: &str| {
                    let mut encoded = encode_url_unpadded(text.as_bytes())
                        .replace('-', "+")
                        .replace('_', "/");
                    while !encoded.len().is_multiple_of(4) {
                        encoded.push('=');
                    }
                    encoded
                };
                write!(
                    out,
                    "{}.{}.{SIGNATURE}",
                    standard(HEADER),
                    standard(&payload_json)
                )
            }
            Some(Malformation::BearerPrefix) => {
                write!(out, "Bearer {header}.{payload}.{SIGNATURE}")
            }
            Some(Malformation::Quoted) => write!(out, "\"{header}.{payload}.{SIGNATURE}\""),
            Some(Malformation::MissingExp | Malformation::ExpNotNumeric) | None => {
                write!(out, "{header}.{payload}.{SIGNATURE}")
            }
        };
        out
    }
}

/// Unpadded base64url, the JWT form.
fn encode_url_unpadded(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
