//! Minting the emulator's access tokens, and reading the claims of bearer tokens it receives.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// The header of every minted token.
const HEADER: &str = r#"{"alg":"HS256","kid":"acs-emulator","typ":"JWT"}"#;

/// `scp` of an ACS user token.
const USER_TOKEN_SCP: i64 = 1792;

/// `expiresOn` as the service writes it: ISO 8601, 7 fractional digits, numeric offset.
const EXPIRES_ON_FORMAT: &[FormatItem<'_>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7][offset_hour sign:mandatory]:[offset_minute]"
);

/// The claims of one token to mint.
pub(crate) struct Claims<'a> {
    /// The `skypeid` claim.
    pub(crate) skype_id: &'a str,
    pub(crate) scopes: &'a [String],
    pub(crate) issued_at: OffsetDateTime,
    pub(crate) expires_on: OffsetDateTime,
    pub(crate) resource_id: &'a str,
    pub(crate) resource_location: &'a str,
    /// The identity's revocation count when minted (see [`REVOCATION_CLAIM`]).
    pub(crate) revocation: u64,
}

/// Not an ACS claim: the identity's revocation count when the token was minted. A later
/// revocation bumps the count, which is how the emulator tells revoked tokens apart without
/// remembering each token it minted.
pub(crate) const REVOCATION_CLAIM: &str = "acsEmulatorRevocation";

/// An HS256 JWT with ACS user-token claims, signed with `secret`. `exp` is `expires_on` in whole
/// seconds (truncated), so it agrees with `expiresOn` to the second.
pub(crate) fn mint(secret: &[u8], claims: &Claims<'_>) -> String {
    let iat = claims.issued_at.unix_timestamp();
    let payload = json!({
        "skypeid": claims.skype_id,
        "scp": USER_TOKEN_SCP,
        "csi": iat.to_string(),
        "iat": iat,
        "exp": claims.expires_on.unix_timestamp(),
        "acsScope": claims.scopes.join(","),
        "resourceId": claims.resource_id,
        "resourceLocation": claims.resource_location,
        // Not an ACS claim: it makes every token distinct (two tokens for one user in the same
        // second would otherwise be identical, and revoking one would revoke the other).
        "jti": uuid::Uuid::new_v4().simple().to_string(),
        REVOCATION_CLAIM: claims.revocation,
    });
    let mut token = URL_SAFE_NO_PAD.encode(HEADER);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(payload.to_string()));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(token.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    token.push('.');
    token.push_str(&signature);
    token
}

/// `instant` cut to the 100 ns that `expiresOn` carries, so what the emulator remembers is what
/// the client reads.
pub(crate) fn truncate_to_ticks(instant: OffsetDateTime) -> OffsetDateTime {
    let nanos = instant.nanosecond();
    instant
        .replace_nanosecond(nanos - nanos % 100)
        .unwrap_or(instant)
}

/// `instant` as an `expiresOn` value.
pub(crate) fn format_expires_on(instant: OffsetDateTime) -> String {
    instant
        .format(EXPIRES_ON_FORMAT)
        .unwrap_or_else(|_| instant.unix_timestamp().to_string())
}

/// The claims of `token` when it is a token minted with `secret` (its header is the emulator's
/// and its HS256 signature checks out, compared in constant time); `None` otherwise.
pub(crate) fn verified_claims(secret: &[u8], token: &str) -> Option<Map<String, Value>> {
    let (signed, signature) = token.rsplit_once('.')?;
    let (header, _payload) = signed.split_once('.')?;
    if header != URL_SAFE_NO_PAD.encode(HEADER) {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(signed.as_bytes());
    mac.verify_slice(&signature).ok()?;
    read_claims(token)
}

/// The claims object of a compact JWT, read without verifying anything; `None` when the text
/// is not a JWT with a JSON object payload.
pub(crate) fn read_claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let trimmed = payload.trim_end_matches('=');
    let bytes = URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| STANDARD.decode(payload))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A stable UUID-shaped text derived from `parts` (SHA-256, first 16 bytes).
pub(crate) fn derived_uuid(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn expires_on_has_seven_fractional_digits_and_an_offset() {
        let instant = datetime!(2034-10-04 10:21:29.4729393 UTC);
        assert_eq!(
            format_expires_on(instant),
            "2034-10-04T10:21:29.4729393+00:00"
        );
    }

    #[test]
    fn instants_are_cut_to_100_ns() {
        assert_eq!(
            truncate_to_ticks(datetime!(2030-01-01 00:00:00.123456789 UTC)),
            datetime!(2030-01-01 00:00:00.1234567 UTC)
        );
    }

    #[test]
    fn minted_tokens_are_readable_jwts() {
        let scopes = ["chat".to_owned(), "voip".to_owned()];
        let token = mint(
            b"secret",
            &Claims {
                skype_id: "acs:r_u",
                scopes: &scopes,
                issued_at: datetime!(2030-01-01 00:00:00.5 UTC),
                expires_on: datetime!(2030-01-02 00:00:00.9 UTC),
                resource_id: "r",
                resource_location: "unitedstates",
                revocation: 3,
            },
        );
        let claims = read_claims(&token).expect("a JWT");
        assert_eq!(claims[REVOCATION_CLAIM], 3);
        assert_eq!(verified_claims(b"secret", &token), Some(claims.clone()));
        assert_eq!(verified_claims(b"other", &token), None);
        // One signature character changed (not the last, whose low bits are padding).
        let at = token.len() - 10;
        let swapped = if &token[at..=at] == "A" { "B" } else { "A" };
        let forged = format!("{}{swapped}{}", &token[..at], &token[at + 1..]);
        assert_eq!(verified_claims(b"secret", &forged), None);
        assert_eq!(claims["acsScope"], "chat,voip");
        assert_eq!(
            claims["exp"],
            datetime!(2030-01-02 00:00 UTC).unix_timestamp()
        );
        assert_eq!(claims["scp"], 1792);
        // The signature is HS256 over `header.payload` with the instance's secret.
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(signed.as_bytes());
        assert_eq!(
            signature,
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        assert_eq!(derived_uuid(&["a", "b"]), derived_uuid(&["a", "b"]));
        assert_ne!(derived_uuid(&["a", "b"]), derived_uuid(&["ab", ""]));
        assert_eq!(derived_uuid(&["x"]).len(), 36);
    }

    #[test]
    fn non_jwts_have_no_claims() {
        assert!(read_claims("opaque-token").is_none());
        assert!(read_claims("a.b.c.d.e").is_none());
        assert!(read_claims("a.!!!.c").is_none());
    }
}
