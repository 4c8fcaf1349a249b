use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use time::OffsetDateTime;

use crate::decode;
use crate::error::{TokenError, TokenPart};

/// The claims ACS puts in its user access tokens, read without verifying the signature.
///
/// Claims this type does not know are ignored. Only `exp` is required; every other claim is
/// optional because ACS does not promise them to clients.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TokenClaims {
    /// `exp`: when the token expires.
    pub expires_on: OffsetDateTime,
    /// `iat`: when the token was issued.
    pub issued_at: Option<OffsetDateTime>,
    /// `nbf`: the token is not valid before this instant.
    pub not_before: Option<OffsetDateTime>,
    /// `skypeid`: the identity the token was issued to, e.g. `acs:<resource>_<user>`.
    pub skype_id: Option<String>,
    /// `scp`: a numeric scope code.
    pub scp: Option<i64>,
    /// `csi`: the issue time as ACS records it (seconds since the Unix epoch, as a string or number).
    pub csi: Option<String>,
    /// `acsScope`, split on commas: the scopes granted, e.g. `["chat", "voip"]`.
    pub acs_scopes: Vec<String>,
    /// `resourceId`: the ACS resource that issued the token.
    pub resource_id: Option<String>,
    /// `resourceLocation`: the data location of that resource, e.g. `unitedstates`.
    pub resource_location: Option<String>,
}

impl TokenClaims {
    /// Reads the claims of a compact JWT without verifying its signature.
    ///
    /// # Errors
    /// A [`TokenError`] naming what is wrong with the token; it never contains the token text.
    pub fn decode(token: &str) -> Result<Self, TokenError> {
        let raw: RawClaims = decode_payload(token)?;
        Ok(TokenClaims {
            expires_on: required_time(raw.exp, "exp")?,
            issued_at: optional_time(raw.iat, "iat")?,
            not_before: optional_time(raw.nbf, "nbf")?,
            skype_id: optional_string(raw.skypeid, "skypeid")?,
            scp: match raw.scp {
                None => None,
                // An integer too large for i64 is an error like a fractional one, not an absent
                // claim.
                Some(NumberClaim::Integer(value)) => Some(
                    i64::try_from(value).map_err(|_| TokenError::InvalidClaim { claim: "scp" })?,
                ),
                Some(NumberClaim::Float(value)) if value.fract() == 0.0 && value.abs() < 9.0e18 => {
                    Some(value as i64)
                }
                Some(_) => return Err(TokenError::InvalidClaim { claim: "scp" }),
            },
            csi: match raw.csi {
                None => None,
                Some(ScalarClaim::Text(text)) => Some(text),
                Some(ScalarClaim::Number(NumberClaim::Integer(value))) => Some(value.to_string()),
                Some(ScalarClaim::Number(NumberClaim::Float(value))) => Some(value.to_string()),
                Some(_) => return Err(TokenError::InvalidClaim { claim: "csi" }),
            },
            acs_scopes: optional_string(raw.acs_scope, "acsScope")?
                .map(|scopes| {
                    scopes
                        .split(',')
                        .map(str::trim)
                        .filter(|scope| !scope.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            resource_id: optional_string(raw.resource_id, "resourceId")?,
            resource_location: optional_string(raw.resource_location, "resourceLocation")?,
        })
    }
}

/// Reads only the `exp` claim: the fast path every credential takes for every new token.
pub(crate) fn decode_expiry(token: &str) -> Result<OffsetDateTime, TokenError> {
    let raw: ExpiryOnly = decode_payload(token)?;
    required_time(raw.exp, "exp")
}

fn decode_payload<T: de::DeserializeOwned>(token: &str) -> Result<T, TokenError> {
    decode::check_not_empty(token)?;
    let parts = decode::split(token)?;
    decode::decode_part::<IgnoredObject>(parts.header, TokenPart::Header)?;
    decode::decode_part(parts.payload, TokenPart::Payload)
}

/// Any JSON object, ignored: the header is checked for shape, not read.
struct IgnoredObject;

impl<'de> Deserialize<'de> for IgnoredObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| IgnoredObject)
    }
}

#[derive(Deserialize)]
struct ExpiryOnly {
    exp: Option<NumberClaim>,
}

#[derive(Deserialize)]
struct RawClaims {
    exp: Option<NumberClaim>,
    iat: Option<NumberClaim>,
    nbf: Option<NumberClaim>,
    skypeid: Option<ScalarClaim>,
    scp: Option<NumberClaim>,
    csi: Option<ScalarClaim>,
    #[serde(rename = "acsScope")]
    acs_scope: Option<ScalarClaim>,
    #[serde(rename = "resourceId")]
    resource_id: Option<ScalarClaim>,
    #[serde(rename = "resourceLocation")]
    resource_location: Option<ScalarClaim>,
}

/// A numeric claim as found, or a note that it was not a number. Type mismatches are kept as
/// values rather than deserialization errors so the caller learns which claim was wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NumberClaim {
    Integer(i128),
    Float(f64),
    WrongType,
}

/// A string or number claim, or a note that it was neither.
#[derive(Debug, Clone, PartialEq)]
enum ScalarClaim {
    Text(String),
    Number(NumberClaim),
    WrongType,
}

fn required_time(
    claim: Option<NumberClaim>,
    name: &'static str,
) -> Result<OffsetDateTime, TokenError> {
    match claim {
        None => Err(TokenError::MissingExpiry),
        Some(claim) => unix_time(claim, name),
    }
}

fn optional_time(
    claim: Option<NumberClaim>,
    name: &'static str,
) -> Result<Option<OffsetDateTime>, TokenError> {
    claim.map(|claim| unix_time(claim, name)).transpose()
}

fn unix_time(claim: NumberClaim, name: &'static str) -> Result<OffsetDateTime, TokenError> {
    let out_of_range = TokenError::TimeOutOfRange { claim: name };
    let nanos = match claim {
        NumberClaim::Integer(seconds) => seconds
            .checked_mul(1_000_000_000)
            .ok_or(out_of_range.clone())?,
        // Beyond ±1e15 s (≈ 31 million years) every value is out of range anyway; checking first
        // keeps the float-to-integer conversion exact and in range.
        NumberClaim::Float(seconds) if seconds.is_finite() && seconds.abs() < 1e15 => {
            // Whole seconds and the fraction separately: scaling the whole value by 1e9 first
            // would lose the fraction to f64's 53-bit mantissa.
            let whole = seconds.floor();
            let fraction_nanos = ((seconds - whole) * 1e9).round() as i128;
            whole as i128 * 1_000_000_000 + fraction_nanos
        }
        NumberClaim::Float(_) => return Err(out_of_range),
        NumberClaim::WrongType if name == "exp" => return Err(TokenError::ExpiryNotNumeric),
        NumberClaim::WrongType => return Err(TokenError::InvalidClaim { claim: name }),
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| out_of_range)
}

fn optional_string(
    claim: Option<ScalarClaim>,
    name: &'static str,
) -> Result<Option<String>, TokenError> {
    match claim {
        None => Ok(None),
        Some(ScalarClaim::Text(text)) => Ok(Some(text)),
        Some(_) => Err(TokenError::InvalidClaim { claim: name }),
    }
}

impl<'de> Deserialize<'de> for NumberClaim {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(ScalarVisitor)
            .map(|scalar| match scalar {
                ScalarClaim::Number(number) => number,
                ScalarClaim::Text(_) | ScalarClaim::WrongType => NumberClaim::WrongType,
            })
    }
}

impl<'de> Deserialize<'de> for ScalarClaim {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = ScalarClaim;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(ScalarClaim::Number(NumberClaim::Integer(v.into())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(ScalarClaim::Number(NumberClaim::Integer(v.into())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(ScalarClaim::Number(NumberClaim::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ScalarClaim::Text(v.to_owned()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(ScalarClaim::WrongType)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ScalarClaim::WrongType)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ScalarClaim::WrongType)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(ScalarClaim::WrongType)
    }
}
