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

#[cfg(feature = "serde")]
#[test]
fn json_errors_never_contain_the_token() {
    let malformed = [
        Malformation::TwoParts,
        Malformation::PayloadNotBase64,
        Malformation::PayloadNotJson,
        Malformation::MissingExp,
        Malformation::BearerPrefix,
        Malformation::Quoted,
    ];
    for m in malformed {
        let jwt = TokenBuilder::new()
            .claim("skypeid", MARKER)
            .malformed(m)
            .build();
        let json = serde_json::json!({"token": jwt, "expiresOn": "2034-10-04T10:21:29Z"});
        let error = serde_json::from_value::<AccessToken>(json).unwrap_err();
        let rendered = format!("{error} {error:?}");
        assert!(rendered.contains("invalid `token`"), "{rendered}");
        assert_no_token_text(&rendered, &jwt);
    }

    // A good token with a bad `expiresOn` names the field, not the token.
    let jwt = TokenBuilder::new().claim("skypeid", MARKER).build();
    let json = serde_json::json!({"token": jwt, "expiresOn": "next Tuesday"});
    let error = serde_json::from_value::<AccessToken>(json).unwrap_err();
    let rendered = format!("{error} {error:?}");
    assert!(rendered.contains("invalid `expiresOn`"), "{rendered}");
    assert_no_token_text(&rendered, &jwt);

    // Missing fields and wrong types are named by field.
    let error = serde_json::from_str::<AccessToken>(&format!(r#"{{"token":"{jwt}"}}"#))
        .unwrap_err()
        .to_string();
    assert!(error.contains("expiresOn"), "{error}");
    assert_no_token_text(&error, &jwt);
    let error =
        serde_json::from_str::<AccessToken>(r#"{"token":7,"expiresOn":"2034-10-04T10:21:29Z"}"#)
            .unwrap_err()
            .to_string();
    assert!(error.contains("invalid type"), "{error}");
}

#[cfg(feature = "serde")]
#[test]
fn serialized_token_is_only_in_its_field() {
    let jwt = TokenBuilder::new().claim("skypeid", MARKER).build();
    let token: AccessToken = jwt.parse().unwrap();
    let json = serde_json::to_value(&token).unwrap();
    assert_eq!(json["token"], jwt.as_str());
    assert_eq!(json.as_object().unwrap().len(), 2);
}
