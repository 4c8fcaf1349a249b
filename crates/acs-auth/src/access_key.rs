use std::str::FromStr;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use subtle::ConstantTimeEq as _;

use acs_token::Redacted;

use crate::AuthError;

/// Standard alphabet; padding optional, because keys pasted from some tools lose their `=`s.
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// An ACS resource access key: the decoded bytes that key the HMAC.
///
/// Its `Debug` prints `AccessKey(<redacted>)`; it has no `Display` and no serde support, so it
/// cannot end up in a log line or a serialized document by accident. Equality is compared in
/// constant time.
///
/// ```
/// use acs_auth::AccessKey;
///
/// let key: AccessKey = "pw==".parse()?;
/// assert_eq!(format!("{key:?}"), "AccessKey(<redacted>)");
/// # Ok::<(), acs_auth::AuthError>(())
/// ```
#[derive(Clone, Debug)]
pub struct AccessKey(Redacted<Box<[u8]>>);

impl AccessKey {
    /// Reads a key from its base64 text form, as the Azure portal shows it. Surrounding white
    /// space is ignored; padding (`=`) may be omitted.
    ///
    /// # Errors
    /// [`AuthError::MissingAccessKey`] for an empty text, [`AuthError::InvalidAccessKey`] when it
    /// is not base64. Neither error says anything about the text.
    pub fn from_base64(text: &str) -> Result<Self, AuthError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AuthError::MissingAccessKey);
        }
        // The decoder's own error names the offending byte: drop it, it is part of the key.
        let bytes = KEY_BASE64
            .decode(text)
            .map_err(|_| AuthError::InvalidAccessKey)?;
        Ok(Self(Redacted::new(bytes.into_boxed_slice())))
    }

    /// Wraps key bytes that are already decoded.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Redacted::new(bytes.into().into_boxed_slice()))
    }

    /// The decoded key bytes. The name is a reminder that whatever receives them must keep them
    /// secret too.
    pub fn expose_secret(&self) -> &[u8] {
        self.0.expose()
    }
}

impl FromStr for AccessKey {
    type Err = AuthError;

    /// Same as [`AccessKey::from_base64`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_base64(text)
    }
}

impl PartialEq for AccessKey {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret().ct_eq(other.expose_secret()).into()
    }
}

impl Eq for AccessKey {}
