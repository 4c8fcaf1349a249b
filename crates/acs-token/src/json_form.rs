//! `AccessToken` as the JSON object ACS returns: `{"token":"<jwt>","expiresOn":"<RFC 3339>"}`.

use std::borrow::Cow;

use serde::de::Error as _;
use serde::ser::{Error as _, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::access_token::AccessToken;
use crate::claims;

impl Serialize for AccessToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let expires_on = self
            .expires_on()
            .format(&Rfc3339)
            .map_err(|_| S::Error::custom("`expiresOn` cannot be written as RFC 3339"))?;
        let mut object = serializer.serialize_struct("AccessToken", 2)?;
        object.serialize_field("token", self.token())?;
        object.serialize_field("expiresOn", &expires_on)?;
        object.end()
    }
}

/// The wire form. Its fields are never shown: serde's messages about them name types and field
/// names only, and the token's own errors are [`crate::TokenError`]s, which never quote it.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    token: Cow<'a, str>,
    #[serde(rename = "expiresOn", borrow)]
    expires_on: Cow<'a, str>,
}

impl<'de> Deserialize<'de> for AccessToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        // The token must be a readable JWT, as on `parse`; its expiry is the service's
        // `expiresOn`, not the `exp` claim.
        claims::decode_expiry(&wire.token)
            .map_err(|error| D::Error::custom(format_args!("invalid `token`: {error}")))?;
        let expires_on = OffsetDateTime::parse(&wire.expires_on, &Rfc3339)
            .map_err(|_| D::Error::custom("invalid `expiresOn`: expected an RFC 3339 date-time"))?;
        Ok(AccessToken::new(wire.token.into_owned(), expires_on))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TokenBuilder;
    use time::macros::datetime;

    #[test]
    fn serializes_as_the_service_object() {
        let jwt = TokenBuilder::new().build();
        let token = AccessToken::new(jwt.as_str(), datetime!(2034-10-04 10:21:29.4729393 UTC));
        let json = serde_json::to_value(&token).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"token": jwt, "expiresOn": "2034-10-04T10:21:29.4729393Z"})
        );
    }

    #[test]
    fn reads_the_service_answer_with_its_offset() {
        let jwt = TokenBuilder::new().exp(2_000_000_000).build();
        let json =
            format!(r#"{{"token":"{jwt}","expiresOn":"2034-10-04T10:21:29.4729393-07:00"}}"#);
        let token: AccessToken = serde_json::from_str(&json).unwrap();
        assert_eq!(token.token(), jwt);
        // The answer's `expiresOn`, not the token's `exp`.
        assert_eq!(
            token.expires_on(),
            datetime!(2034-10-04 17:21:29.4729393 UTC)
        );
        assert_eq!(token.expires_on().offset().whole_hours(), -7);
    }

    #[test]
    fn round_trips() {
        for expires_on in [
            datetime!(2034-10-04 10:21:29 UTC),
            datetime!(2034-10-04 10:21:29.4729393 +05:30),
            datetime!(1970-01-01 00:00:00 UTC),
        ] {
            let token = AccessToken::new(TokenBuilder::new().build(), expires_on);
            let json = serde_json::to_string(&token).unwrap();
            let back: AccessToken = serde_json::from_str(&json).unwrap();
            assert_eq!(back, token);
            assert_eq!(back.expires_on().offset(), expires_on.offset());
        }
    }

    #[test]
    fn ignores_other_fields_of_the_answer() {
        let jwt = TokenBuilder::new().build();
        let json =
            format!(r#"{{"expiresOn":"2034-10-04T10:21:29Z","token":"{jwt}","kind":"user"}}"#);
        let token: AccessToken = serde_json::from_str(&json).unwrap();
        assert_eq!(token.token(), jwt);
    }
}
