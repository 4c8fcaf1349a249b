//! Splitting a JWT into parts and decoding its JSON, with the diagnosis of common mistakes.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::DeserializeOwned;

use crate::error::{TokenError, TokenPart};

/// Decoders for both alphabets, unpadded or canonically padded (padding, when present, must
/// complete the last group). Bits past the last whole byte must be zero (base64's default), so
/// no two texts decode alike.
const fn engine(alphabet: &alphabet::Alphabet, padding: DecodePaddingMode) -> GeneralPurpose {
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new().with_decode_padding_mode(padding),
    )
}

const URL_SAFE: [GeneralPurpose; 2] = [
    engine(&alphabet::URL_SAFE, DecodePaddingMode::RequireNone),
    engine(&alphabet::URL_SAFE, DecodePaddingMode::RequireCanonical),
];
const STANDARD: [GeneralPurpose; 2] = [
    engine(&alphabet::STANDARD, DecodePaddingMode::RequireNone),
    engine(&alphabet::STANDARD, DecodePaddingMode::RequireCanonical),
];

/// The header and payload of a JWT, still base64-encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JwtParts<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
}

/// Splits a compact JWT into its parts, naming the common ways a token gets mangled on its way in.
pub(crate) fn split(token: &str) -> Result<JwtParts<'_>, TokenError> {
    let mut parts = token.split('.');
    if let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    {
        // A well-formed token never starts with these, so the checks cost nothing on the happy path
        // except for the one byte comparisons below.
        if let Some(mistake) = diagnose(token) {
            return Err(mistake);
        }
        return Ok(JwtParts { header, payload });
    }
    Err(
        diagnose(token).unwrap_or_else(|| match token.split('.').count() {
            5 => TokenError::Encrypted,
            parts => TokenError::WrongPartCount { parts },
        }),
    )
}

fn diagnose(token: &str) -> Option<TokenError> {
    let first = *token.as_bytes().first()?;
    let last = *token.as_bytes().last()?;
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() {
        return Some(TokenError::SurroundingWhitespace);
    }
    // Either end: a token copied out of JSON often keeps only its closing quote, and the
    // signature part, where that quote lands, is never decoded.
    if matches!(first, b'"' | b'\'') || matches!(last, b'"' | b'\'') {
        return Some(TokenError::Quoted);
    }
    if first == b'{' {
        return Some(TokenError::JsonDocument);
    }
    let scheme = token.get(..7)?;
    scheme
        .eq_ignore_ascii_case("bearer ")
        .then_some(TokenError::BearerPrefix)
}

/// Checks for the whole-input mistakes that `split` only diagnoses when the part count is right.
pub(crate) fn check_not_empty(token: &str) -> Result<(), TokenError> {
    if token.is_empty() {
        Err(TokenError::Empty)
    } else {
        Ok(())
    }
}

/// Base64-decodes one part and deserializes it as a JSON object into `T`.
pub(crate) fn decode_part<T: DeserializeOwned>(
    encoded: &str,
    part: TokenPart,
) -> Result<T, TokenError> {
    let json = decode_base64(encoded).ok_or(TokenError::InvalidBase64 { part })?;
    parse_object(&json, part)
}

/// Decodes base64url (the JWT form) or standard base64, padded or not, as the official SDKs'
/// decoders do; they also accept a mix of the two alphabets, so this does too.
fn decode_base64(encoded: &str) -> Option<Vec<u8>> {
    let padded = usize::from(encoded.ends_with('='));
    URL_SAFE[padded].decode(encoded).ok().or_else(|| {
        let standard: Vec<u8> = encoded
            .bytes()
            .map(|b| match b {
                b'-' => b'+',
                b'_' => b'/',
                b => b,
            })
            .collect();
        STANDARD[padded].decode(standard).ok()
    })
}

fn parse_object<T: DeserializeOwned>(json: &[u8], part: TokenPart) -> Result<T, TokenError> {
    let start = json.iter().position(|b| !b.is_ascii_whitespace());
    match start.map(|i| json[i]) {
        Some(b'{') => {}
        // Valid JSON that is not an object (a number, a string, an array) is its own mistake.
        Some(_) if serde_json::from_slice::<serde::de::IgnoredAny>(json).is_ok() => {
            return Err(TokenError::NotAnObject { part });
        }
        _ => return Err(TokenError::InvalidJson { part }),
    }
    // Known claims never fail on a wrong type (see `claims`), so any error left is malformed JSON.
    // serde_json's own message is not kept: it can quote claim values.
    serde_json::from_slice(json).map_err(|_| TokenError::InvalidJson { part })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &str) -> Option<Vec<u8>> {
        decode_base64(input)
    }

    #[test]
    fn decodes_both_alphabets_with_and_without_padding() {
        // 0xfb 0xff encodes to "-_8" (url) and "+/8" (standard).
        assert_eq!(decode("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("+/8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("-/8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("YQ").unwrap(), b"a");
        assert_eq!(decode("YQ==").unwrap(), b"a");
        assert_eq!(decode("YWI=").unwrap(), b"ab");
        assert_eq!(decode("YWJj").unwrap(), b"abc");
        assert_eq!(decode("").unwrap(), b"");
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "Y", "YQ=", "YQ===", "Y===", "YQ=a", "Y Q", "YQ!!", "YR", "YWJ", "=", "====",
        ] {
            assert!(decode(bad).is_none(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn encode_round_trips() {
        for len in 0..40u8 {
            let data: Vec<u8> = (0..len)
                .map(|i| i.wrapping_mul(37).wrapping_add(len))
                .collect();
            let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&data);
            assert_eq!(decode(&encoded).unwrap(), data);
        }
    }
}
