//! Splitting a JWT into parts and decoding its JSON, with the diagnosis of common mistakes.

use serde::de::DeserializeOwned;

use crate::base64;
use crate::error::{TokenError, TokenPart};

/// Payloads up to this size are decoded on the stack; ACS tokens are well below it.
const STACK_BUFFER: usize = 1024;

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
    let encoded = encoded.as_bytes();
    let len = base64::decoded_len(encoded).map_err(|_| TokenError::InvalidBase64 { part })?;
    if len <= STACK_BUFFER {
        let mut buffer = [0u8; STACK_BUFFER];
        let json = &mut buffer[..len];
        base64::decode_into(encoded, json).map_err(|_| TokenError::InvalidBase64 { part })?;
        parse_object(json, part)
    } else {
        let mut json = vec![0u8; len];
        base64::decode_into(encoded, &mut json).map_err(|_| TokenError::InvalidBase64 { part })?;
        parse_object(&json, part)
    }
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
