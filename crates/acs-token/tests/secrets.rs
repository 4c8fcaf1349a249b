//! No error message and no Debug output ever contains token text.

use acs_token::test_util::{Malformation, TokenBuilder};
use acs_token::{AccessToken, TokenClaims};

/// A marker claim whose encoded form shows up in the token's payload part.
const MARKER: &str = "SECRET-MARKER-7f3a";

fn assert_no_token_text(rendered: &str, token: &str) {
    for piece in token
        .split(['.', ' ', '"', '\''])
        .filter(|piece| piece.len() >= 8)
    {
        assert!(
            !rendered.contains(piece),
            "output {rendered:?} contains token text {piece:?}"
        );
    }
    assert!(
        !rendered.contains(MARKER),
        "output {rendered:?} contains a claim value"
    );
}

#[test]
fn errors_never_contain_the_token() {
    let malformations = [
        Malformation::TwoParts,
        Malformation::FiveParts,
        Malformation::PayloadNotBase64,
        Malformation::HeaderNotBase64,
        Malformation::PayloadNotJson,
        Malformation::PayloadNotObject,
        Malformation::MissingExp,
        Malformation::ExpNotNumeric,
        Malformation::BearerPrefix,
        Malformation::Quoted,
    ];
    let mut inputs: Vec<String> = malformations
        .iter()
        .map(|&m| {
            TokenBuilder::new()
                .claim("skypeid", MARKER)
                .malformed(m)
                .build()
        })
        .collect();
    let valid = TokenBuilder::new().claim("skypeid", MARKER).build();
    inputs.push(format!(" {valid}"));
    inputs.push(format!(r#"{{"token":"{valid}"}}"#));
    inputs.push(
        TokenBuilder::new()
            .claim("skypeid", MARKER)
            .exp(i64::MAX)
            .build(),
    );
    inputs.push(
        TokenBuilder::new()
            .claim("skypeid", MARKER)
            .claim("resourceId", 1)
            .build(),
    );
    // A payload whose JSON breaks right after a secret-looking value.
    inputs.push(format!(
        "e30.{}.c2ln",
        "eyJza3lwZWlkIjoiU0VDUkVULU1BUktFUi03ZjNhIiwK"
    ));

    for input in &inputs {
        // The expiry-only path accepts a token whose other claims are wrong; decoding all claims
        // rejects every input here.
        let errors = [
            input.parse::<AccessToken>().err(),
            Some(TokenClaims::decode(input).unwrap_err()),
        ];
        for error in errors.into_iter().flatten() {
            assert_no_token_text(&error.to_string(), input);
            assert_no_token_text(&format!("{error:?}"), input);
        }
    }
}

#[test]
fn access_token_debug_redacts_the_token() {
    let jwt = TokenBuilder::new().claim("skypeid", MARKER).build();
    let token: AccessToken = jwt.parse().unwrap();
    let debug = format!("{token:?}");
    assert_no_token_text(&debug, &jwt);
    assert!(debug.contains("redacted"), "{debug}");
    assert!(debug.contains("expires_on"), "{debug}");
    let opaque = AccessToken::new("opaque-secret-value", token.expires_on());
    assert!(!format!("{opaque:?}").contains("opaque-secret-value"));
}
