//! `expiresOn` values: ISO-8601 date-times with up to 9 fractional digits and any offset.

use acs_token::{AccessToken, Redacted};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::error::ExpiresOnError;

/// How [`ExpiresOnError`]'s message starts; decode errors that start with it are safe to show.
pub(crate) const EXPIRES_ON_ERROR_PREFIX: &str = "invalid expiresOn";

/// Parses an ACS `expiresOn` value into an [`OffsetDateTime`], keeping its offset.
///
/// Accepts RFC 3339 / ISO-8601 date-times with any number of fractional digits (ACS sends 7,
/// e.g. `2034-10-04T10:21:29.4729393+00:00`), any offset (`-07:00`) or `Z`. A value without
/// an offset is read as UTC, as .NET does for `DateTimeOffset`.
///
/// # Errors
/// [`ExpiresOnError`] when the text is not such a date-time.
///
/// ```
/// use acs_http::parse_expires_on;
///
/// let at = parse_expires_on("2034-10-04T10:21:29.4729393-07:00")?;
/// assert_eq!(at.offset().whole_hours(), -7);
/// assert_eq!(at.nanosecond(), 472_939_300);
/// assert_eq!(at.to_offset(time::UtcOffset::UTC).hour(), 17);
/// # Ok::<(), acs_http::ExpiresOnError>(())
/// ```
pub fn parse_expires_on(text: &str) -> Result<OffsetDateTime, ExpiresOnError> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    if let Ok(at) = OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return Ok(at);
    }
    PrimitiveDateTime::parse(text, &Iso8601::DEFAULT)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|_| ExpiresOnError::new())
}

/// Formats an instant the way ACS does: RFC 3339 with 7 fractional digits and its offset.
pub fn format_expires_on(at: OffsetDateTime) -> String {
    let offset = at.offset();
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}{}{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.nanosecond() / 100,
        sign,
        h.unsigned_abs(),
        m.unsigned_abs(),
    )
}

/// Serde adapter for `expiresOn` fields: `#[serde(with = "acs_http::expires_on")]`.
///
/// ```
/// use serde::Deserialize;
/// use time::OffsetDateTime;
///
/// #[derive(Deserialize)]
/// struct Body {
///     #[serde(rename = "expiresOn", with = "acs_http::expires_on")]
///     expires_on: OffsetDateTime,
/// }
/// let body: Body = serde_json::from_str(r#"{"expiresOn":"2034-10-04T10:21:29.4729393Z"}"#)?;
/// assert_eq!(body.expires_on.year(), 2034);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_expires_on(&text).map_err(serde::de::Error::custom)
}

/// Serde adapter for `expiresOn` fields (see [`deserialize`]); writes [`format_expires_on`].
pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_expires_on(*at))
}

/// The token object ACS returns (`{"token":"<jwt>","expiresOn":"..."}`), in the Entra
/// exchange (`accessToken`) and the identity API alike.
///
/// `Debug` redacts the token text. Convert it into an [`AccessToken`] with `From`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The ACS access token (a JWT). A secret: [`Redacted::expose`] reads it.
    #[serde(with = "redacted_string")]
    pub token: Redacted<String>,
    /// When the token expires, with the offset the service sent.
    #[serde(rename = "expiresOn", with = "self")]
    pub expires_on: OffsetDateTime,
}

impl TokenResponse {
    /// A token object.
    pub fn new(token: impl Into<String>, expires_on: OffsetDateTime) -> Self {
        TokenResponse {
            token: Redacted::new(token.into()),
            expires_on,
        }
    }
}

/// The token text as a plain JSON string.
mod redacted_string {
    use acs_token::Redacted;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        token: &Redacted<String>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(token.expose())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Redacted<String>, D::Error> {
        String::deserialize(deserializer).map(Redacted::new)
    }
}

impl From<TokenResponse> for AccessToken {
    fn from(response: TokenResponse) -> Self {
        AccessToken::new(response.token.into_inner(), response.expires_on)
    }
}
