use serde::{Deserialize, Deserializer, Serialize};

/// The ACS error body: `{"error":{"code","message","target","details":[..],"innererror":{..}}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AcsErrorResponse {
    /// The error.
    pub error: AcsErrorDetail,
}

impl AcsErrorResponse {
    /// An error body with a code and a message (for emulators and tests).
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        AcsErrorResponse {
            error: AcsErrorDetail::new(code, message),
        }
    }
}

/// One ACS error: code, message, optional target, nested details and inner error.
///
/// Every field is optional when reading, since services do not always fill them all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AcsErrorDetail {
    /// A machine-readable code, e.g. `BadRequest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the error is about (a field or a resource), when the service says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// More specific errors.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<AcsErrorDetail>,
    /// A more specific error code, possibly nested (note the lowercase wire name `innererror`).
    #[serde(
        default,
        rename = "innererror",
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_error: Option<AcsInnerError>,
}

impl AcsErrorDetail {
    /// An error with a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        AcsErrorDetail {
            code: Some(code.into()),
            message: Some(message.into()),
            ..AcsErrorDetail::default()
        }
    }
}

/// The `innererror` object: a more specific code, possibly with its own inner error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AcsInnerError {
    /// The more specific code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// An even more specific error.
    #[serde(
        default,
        rename = "innererror",
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_error: Option<Box<AcsInnerError>>,
}

impl AcsErrorResponse {
    /// Reads an ACS error body; `None` when the bytes are not one.
    pub fn from_slice(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }
}

/// `"details": null` reads as no details. Services that write every field send it, and
/// refusing it would drop the whole error body, code and message included.
fn null_as_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<AcsErrorDetail>, D::Error> {
    Ok(Option::<Vec<AcsErrorDetail>>::deserialize(deserializer)?.unwrap_or_default())
}
