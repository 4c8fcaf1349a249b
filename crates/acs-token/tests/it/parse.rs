//! Accept and reject cases of token parsing, with the reference's sample tokens.

use std::time::Duration;

use acs_token::test_util::{Malformation, TokenBuilder};
use acs_token::{AccessToken, TokenClaims, TokenError, TokenPart};
use time::macros::datetime;

/// `{"exp":32503680000}`: the year 3000.
const YEAR_3000: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjMyNTAzNjgwMDAwfQ.9i7FNNHHJT8cOzo-yrAUJyBSfJ-tPPk2emcHavOEpWc";
/// `{"exp":100}`: long expired.
const EXPIRED: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEwMH0.9i7FNNHHJT8cOzo-yrAUJyBSfJ-tPPk2emcHavOEpWc";

fn parse(token: &str) -> Result<AccessToken, TokenError> {
    token.parse()
}

#[test]
fn reads_the_reference_sample_tokens() {
    let token = parse(YEAR_3000).unwrap();
    assert_eq!(token.expires_on(), datetime!(3000-01-01 0:00 UTC));
    assert_eq!(token.token(), YEAR_3000);

    let expired = parse(EXPIRED).unwrap();
    assert_eq!(expired.expires_on().unix_timestamp(), 100);
    assert!(expired.is_expired_at(datetime!(2026-01-01 0:00 UTC)));
}

#[test]
fn rejects_the_reference_invalid_tokens() {
    assert_eq!(parse("foo"), Err(TokenError::WrongPartCount { parts: 1 }));
    assert_eq!(
        parse("foo.bar"),
        Err(TokenError::WrongPartCount { parts: 2 })
    );
    assert_eq!(
        parse("IAmNotAToken"),
        Err(TokenError::WrongPartCount { parts: 1 })
    );
    assert_eq!(
        parse("not.a.real.token"),
        Err(TokenError::WrongPartCount { parts: 4 })
    );
    // "foo" is valid base64 but decodes to bytes that are not JSON.
    assert_eq!(
        parse("foo.bar.foobar"),
        Err(TokenError::InvalidJson {
            part: TokenPart::Header
        })
    );
}

#[test]
fn from_jwt_agrees_with_from_str() {
    let shared: std::sync::Arc<str> = YEAR_3000.into();
    let token = AccessToken::from_jwt(shared.clone()).unwrap();
    assert!(std::sync::Arc::ptr_eq(token.shared_token(), &shared));
    assert_eq!(token, parse(YEAR_3000).unwrap());
    assert_eq!(
        AccessToken::from_jwt("foo"),
        Err(TokenError::WrongPartCount { parts: 1 })
    );
}

#[test]
fn accepts_integer_and_fractional_exp() {
    let token = parse(&TokenBuilder::new().exp(1_700_000_000).build()).unwrap();
    assert_eq!(token.expires_on().unix_timestamp(), 1_700_000_000);

    let token = parse(&TokenBuilder::new().exp_fractional(1_700_000_000.25).build()).unwrap();
    assert_eq!(token.expires_on().unix_timestamp(), 1_700_000_000);
    assert_eq!(token.expires_on().millisecond(), 250);

    let token = parse(&TokenBuilder::new().exp(-1).build()).unwrap();
    assert_eq!(token.expires_on(), datetime!(1969-12-31 23:59:59 UTC));
}

#[test]
fn accepts_standard_base64_with_padding() {
    let jwt = TokenBuilder::new()
        .exp(1_700_000_000)
        .claim("skypeid", "acs:x?y>z")
        .malformed(Malformation::StandardBase64Padded)
        .build();
    assert!(
        jwt.contains('='),
        "the builder should have produced padding: {jwt}"
    );
    assert_eq!(
        parse(&jwt).unwrap().expires_on().unix_timestamp(),
        1_700_000_000
    );
}

#[test]
fn ignores_unknown_claims() {
    let jwt = TokenBuilder::new()
        .exp(1_700_000_000)
        .claim("nested", serde_json::json!({"a": [1, {"b": null}]}))
        .claim("flag", true)
        .build();
    assert_eq!(
        parse(&jwt).unwrap().expires_on().unix_timestamp(),
        1_700_000_000
    );
    assert!(TokenClaims::decode(&jwt).is_ok());
}

#[test]
fn names_each_malformation() {
    let cases = [
        (
            Malformation::TwoParts,
            TokenError::WrongPartCount { parts: 2 },
        ),
        (Malformation::FiveParts, TokenError::Encrypted),
        (
            Malformation::PayloadNotBase64,
            TokenError::InvalidBase64 {
                part: TokenPart::Payload,
            },
        ),
        (
            Malformation::HeaderNotBase64,
            TokenError::InvalidBase64 {
                part: TokenPart::Header,
            },
        ),
        (
            Malformation::PayloadNotJson,
            TokenError::InvalidJson {
                part: TokenPart::Payload,
            },
        ),
        (
            Malformation::PayloadNotObject,
            TokenError::NotAnObject {
                part: TokenPart::Payload,
            },
        ),
        (Malformation::MissingExp, TokenError::MissingExpiry),
        (Malformation::ExpNotNumeric, TokenError::ExpiryNotNumeric),
        (Malformation::BearerPrefix, TokenError::BearerPrefix),
        (Malformation::Quoted, TokenError::Quoted),
    ];
    for (malformation, expected) in cases {
        let jwt = TokenBuilder::new().malformed(malformation).build();
        assert_eq!(parse(&jwt), Err(expected.clone()), "{malformation:?}");
        assert_eq!(TokenClaims::decode(&jwt), Err(expected), "{malformation:?}");
    }
}

#[test]
fn names_common_pasting_mistakes() {
    assert_eq!(parse(""), Err(TokenError::Empty));
    assert_eq!(
        parse(&format!("{YEAR_3000}\n")),
        Err(TokenError::SurroundingWhitespace)
    );
    assert_eq!(
        parse(&format!(" {YEAR_3000}")),
        Err(TokenError::SurroundingWhitespace)
    );
    assert_eq!(
        parse(&format!("bearer {YEAR_3000}")),
        Err(TokenError::BearerPrefix)
    );
    assert_eq!(parse(&format!("'{YEAR_3000}'")), Err(TokenError::Quoted));
    let response =
        format!(r#"{{"token":"{YEAR_3000}","expiresOn":"3000-01-01T00:00:00.0000000+00:00"}}"#);
    assert_eq!(parse(&response), Err(TokenError::JsonDocument));
    // The diagnosis wins over the part count, whatever the mangled input splits into.
    assert_eq!(parse("Bearer abc"), Err(TokenError::BearerPrefix));
    assert_eq!(parse("\"abc\""), Err(TokenError::Quoted));
}

#[test]
fn rejects_non_numeric_exp_of_every_json_type() {
    for value in [
        serde_json::json!("3000"),
        serde_json::json!(true),
        serde_json::json!([1]),
        serde_json::json!({"s": 1}),
    ] {
        let jwt = TokenBuilder::new().claim("exp", value.clone()).build();
        assert_eq!(parse(&jwt), Err(TokenError::ExpiryNotNumeric), "{value}");
    }
    let jwt = TokenBuilder::new()
        .claim("exp", serde_json::Value::Null)
        .build();
    assert_eq!(parse(&jwt), Err(TokenError::MissingExpiry));
}

#[test]
fn rejects_exp_outside_the_representable_range() {
    let out_of_range = Err(TokenError::TimeOutOfRange { claim: "exp" });
    // 10000-01-01T00:00:00Z is the first instant past the range.
    assert_eq!(
        parse(&TokenBuilder::new().exp(253_402_300_800).build()),
        out_of_range
    );
    assert_eq!(
        parse(&TokenBuilder::new().exp(i64::MAX).build()),
        out_of_range
    );
    assert_eq!(
        parse(&TokenBuilder::new().exp(i64::MIN).build()),
        out_of_range
    );
    assert_eq!(
        parse(&TokenBuilder::new().claim("exp", u64::MAX).build()),
        out_of_range
    );
    assert_eq!(
        parse(&TokenBuilder::new().exp_fractional(1e300).build()),
        out_of_range
    );
    assert_eq!(
        parse(&TokenBuilder::new().exp_fractional(-1e17).build()),
        out_of_range
    );
    // The last representable second still parses.
    assert!(parse(&TokenBuilder::new().exp(253_402_300_799).build()).is_ok());
}

#[test]
fn rejects_a_header_that_is_not_an_object() {
    // Header `[]` (base64url `W10`).
    let jwt = "W10.eyJleHAiOjEwMH0.c2ln";
    assert_eq!(
        parse(jwt),
        Err(TokenError::NotAnObject {
            part: TokenPart::Header
        })
    );
}

#[test]
fn reads_every_acs_claim() {
    let issued = datetime!(2025-11-25 12:00 UTC);
    let jwt = TokenBuilder::acs_user(issued, Duration::from_secs(3600))
        .claim("nbf", issued.unix_timestamp())
        .build();
    let claims = TokenClaims::decode(&jwt).unwrap();
    assert_eq!(claims.expires_on, datetime!(2025-11-25 13:00 UTC));
    assert_eq!(claims.issued_at, Some(issued));
    assert_eq!(claims.not_before, Some(issued));
    assert_eq!(claims.acs_scopes, ["chat", "voip"]);
    assert_eq!(claims.scp, Some(1792));
    assert_eq!(
        claims.csi.as_deref(),
        Some(issued.unix_timestamp().to_string().as_str())
    );
    assert_eq!(
        claims.resource_id.as_deref(),
        Some("bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd")
    );
    assert_eq!(claims.resource_location.as_deref(), Some("unitedstates"));
    assert!(
        claims
            .skype_id
            .as_deref()
            .unwrap()
            .starts_with("acs:bbbcbc1e")
    );
    assert_eq!(parse(&jwt).unwrap().claims().unwrap(), claims);
}

#[test]
fn acs_scope_list_tolerates_spaces_and_empty_entries() {
    let jwt = TokenBuilder::new()
        .claim("acsScope", " chat, voip,,chat.join ")
        .build();
    assert_eq!(
        TokenClaims::decode(&jwt).unwrap().acs_scopes,
        ["chat", "voip", "chat.join"]
    );
}

#[test]
fn names_a_claim_of_the_wrong_type() {
    let cases = [
        ("skypeid", serde_json::json!(7)),
        ("acsScope", serde_json::json!(["chat"])),
        ("resourceId", serde_json::json!(false)),
        ("scp", serde_json::json!("1792")),
        ("scp", serde_json::json!(1.5)),
        ("iat", serde_json::json!("yesterday")),
        ("csi", serde_json::json!({})),
    ];
    for (claim, value) in cases {
        let jwt = TokenBuilder::new().claim(claim, value.clone()).build();
        assert_eq!(
            TokenClaims::decode(&jwt),
            Err(TokenError::InvalidClaim { claim }),
            "{claim}={value}"
        );
        // The expiry-only path does not care about other claims.
        assert!(parse(&jwt).is_ok());
    }
}

#[test]
fn expiry_helpers_follow_the_window_rules() {
    let token = AccessToken::new("opaque", datetime!(2030-01-01 12:00 UTC));
    let ten_minutes = Duration::from_secs(600);
    assert!(!token.is_expired_at(datetime!(2030-01-01 11:59:59 UTC)));
    assert!(token.is_expired_at(datetime!(2030-01-01 12:00 UTC)));
    assert!(!token.expires_within(ten_minutes, datetime!(2030-01-01 11:49:59 UTC)));
    assert!(token.expires_within(ten_minutes, datetime!(2030-01-01 11:50 UTC)));
    assert!(token.expires_within(ten_minutes, datetime!(2031-01-01 0:00 UTC)));
    assert_eq!(
        token.remaining_at(datetime!(2030-01-01 11:00 UTC)),
        Duration::from_secs(3600)
    );
    assert_eq!(
        token.remaining_at(datetime!(2030-01-01 13:00 UTC)),
        Duration::ZERO
    );
    // Huge windows and far-apart instants do not overflow.
    assert!(token.expires_within(Duration::MAX, datetime!(-9999-01-01 0:00 UTC)));
    assert!(!token.expires_within(
        Duration::from_secs(400 * 86_400),
        datetime!(-9999-01-01 0:00 UTC)
    ));
}

#[test]
fn remaining_reads_the_system_clock_and_saturates_at_zero() {
    // Instants far from any plausible system clock keep this independent of when it runs.
    let expired = AccessToken::new("opaque", datetime!(1970-01-01 0:00 UTC));
    assert_eq!(expired.remaining(), Duration::ZERO);
    let far = AccessToken::new("opaque", datetime!(9000-01-01 0:00 UTC));
    let at_least = far.remaining_at(datetime!(8000-01-01 0:00 UTC));
    assert!(far.remaining() > at_least, "{:?}", far.remaining());
}

#[test]
fn names_a_quote_at_either_end() {
    // A token copied out of JSON often keeps only the closing quote; the signature part is never
    // decoded, so without this check the quote would ride along to the service.
    assert_eq!(parse(&format!("{YEAR_3000}\"")), Err(TokenError::Quoted));
    assert_eq!(parse(&format!("{YEAR_3000}'")), Err(TokenError::Quoted));
    assert_eq!(parse(&format!("\"{YEAR_3000}")), Err(TokenError::Quoted));
    assert_eq!(
        TokenClaims::decode(&format!("{YEAR_3000}\"")),
        Err(TokenError::Quoted)
    );
}

#[test]
fn scp_outside_the_integer_range_is_named_not_dropped() {
    for value in [
        serde_json::json!(u64::MAX),
        serde_json::json!(9_223_372_036_854_775_808_u64),
        serde_json::json!(1e19),
    ] {
        let jwt = TokenBuilder::new().claim("scp", value.clone()).build();
        assert_eq!(
            TokenClaims::decode(&jwt),
            Err(TokenError::InvalidClaim { claim: "scp" }),
            "scp={value}"
        );
    }
    for value in [i64::MAX, i64::MIN, 0] {
        let jwt = TokenBuilder::new().claim("scp", value).build();
        assert_eq!(TokenClaims::decode(&jwt).unwrap().scp, Some(value));
    }
}

#[test]
fn payloads_on_both_sides_of_the_stack_buffer_parse() {
    // Sizes around 1 KiB (where an earlier decoder moved from a stack buffer to the heap) and
    // up to a 1 MiB payload all read the same `exp`.
    for pad in (980..1010).chain([64 * 1024, 1024 * 1024]) {
        let jwt = TokenBuilder::new()
            .exp(1_700_000_000)
            .claim("pad", "x".repeat(pad))
            .build();
        assert_eq!(
            parse(&jwt).unwrap().expires_on().unix_timestamp(),
            1_700_000_000,
            "pad {pad}"
        );
        assert_eq!(
            TokenClaims::decode(&jwt)
                .unwrap()
                .expires_on
                .unix_timestamp(),
            1_700_000_000
        );
    }
}

/// A token with the builder's header, `payload` (any bytes) base64url-encoded, and a dummy
/// signature: for payloads the builder cannot mint.
fn with_payload(payload: &[u8]) -> String {
    let jwt = TokenBuilder::new().build();
    let header = jwt.split('.').next().unwrap().to_owned();
    let encoded = crate::properties::base64url(payload);
    format!("{header}.{encoded}.c2ln")
}

#[test]
fn odd_payload_bytes_and_numbers_are_typed_errors() {
    let invalid_json = TokenError::InvalidJson {
        part: TokenPart::Payload,
    };
    // Not UTF-8 outside any value; a byte order mark; a trailing NUL; nothing.
    for payload in [
        &b"\xff\xfe{\"exp\":1}"[..],
        b"\xef\xbb\xbf{\"exp\":1}",
        b"{\"exp\":1}\0",
        b"",
    ] {
        assert_eq!(
            parse(&with_payload(payload)),
            Err(invalid_json.clone()),
            "{payload:?}"
        );
    }
    // Not UTF-8 inside a string: an error where the string is read (a known claim); an unknown
    // claim is skipped unread, like any other unknown claim.
    let known = with_payload(b"{\"exp\":1,\"skypeid\":\"\xff\"}");
    assert_eq!(TokenClaims::decode(&known), Err(invalid_json));
    let unknown = with_payload(b"{\"exp\":1,\"x\":\"\xff\"}");
    assert_eq!(parse(&unknown).unwrap().expires_on().unix_timestamp(), 1);
    // Non-object JSON of every kind.
    for payload in ["null", "1", "-1.5e3", "\"exp\"", "[]", "true"] {
        assert_eq!(
            parse(&with_payload(payload.as_bytes())),
            Err(TokenError::NotAnObject {
                part: TokenPart::Payload
            }),
            "{payload}"
        );
    }
    // A number beyond f64 is rejected by the JSON reader itself; either error is acceptable, a
    // panic or a date is not.
    for payload in [r#"{"exp":1e400}"#, r#"{"exp":-1e400}"#] {
        let result = parse(&with_payload(payload.as_bytes()));
        assert!(
            matches!(
                result,
                Err(TokenError::InvalidJson { .. } | TokenError::TimeOutOfRange { .. })
            ),
            "{payload}: {result:?}"
        );
    }
    // An unknown claim the expiry path skips does not matter, whatever its size or depth.
    let deep = format!(
        r#"{{"exp":100,"x":1e400,"y":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert_eq!(
        parse(&with_payload(deep.as_bytes()))
            .unwrap()
            .expires_on()
            .unix_timestamp(),
        100
    );
    // A deeply nested `exp` is a non-numeric one, not a stack overflow.
    let nested = format!(r#"{{"exp":{}{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        parse(&with_payload(nested.as_bytes())),
        Err(TokenError::ExpiryNotNumeric)
    );
}

#[test]
fn multi_byte_text_near_the_diagnosed_prefixes_is_a_typed_error() {
    // `Bearer` followed by a two-byte character: the 7-byte scheme check must not slice it.
    assert_eq!(
        parse(&format!("Bearer\u{e9}{YEAR_3000}")),
        Err(TokenError::InvalidBase64 {
            part: TokenPart::Header
        })
    );
    assert_eq!(
        parse("\u{e9}.\u{20ac}.\u{1d11e}"),
        Err(TokenError::InvalidBase64 {
            part: TokenPart::Header
        })
    );
    let payload_noise = format!("{}.\u{e9}\u{e9}.x", YEAR_3000.split('.').next().unwrap());
    assert_eq!(
        parse(&payload_noise),
        Err(TokenError::InvalidBase64 {
            part: TokenPart::Payload
        })
    );
    assert_eq!(
        parse("\u{a0}x.y.z\u{a0}"),
        Err(TokenError::InvalidBase64 {
            part: TokenPart::Header
        })
    );
}
