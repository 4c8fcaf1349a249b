//! Connection strings: what is accepted, what is rejected, and that no key ever leaks.

use acs_auth::{AccessKey, AuthError, ConnectionString, HmacSigner, HmacVerifier};

const ENDPOINT: &str = "https://contoso.communication.azure.com/";
/// A distinctive fake key so any leak is easy to spot: base64 of `fake-key-not-real!`.
const KEY_TEXT: &str = "ZmFrZS1rZXktbm90LXJlYWwh";
const KEY_BYTES: &[u8] = b"fake-key-not-real!";

fn parse(text: &str) -> Result<ConnectionString, AuthError> {
    text.parse()
}

#[test]
fn accepts_the_canonical_form() {
    let cs = parse(&format!("endpoint={ENDPOINT};accesskey={KEY_TEXT}")).unwrap();
    assert_eq!(cs.endpoint().as_str(), ENDPOINT);
    assert_eq!(cs.access_key().expose_secret(), KEY_BYTES);
}

#[test]
fn accepts_any_case_order_spacing_and_trailing_semicolon() {
    for text in [
        format!("endpoint={ENDPOINT};accesskey={KEY_TEXT};"),
        format!("accesskey={KEY_TEXT};endpoint={ENDPOINT}"),
        format!("Endpoint={ENDPOINT};AccessKey={KEY_TEXT}"),
        format!("ENDPOINT={ENDPOINT};ACCESSKEY={KEY_TEXT}"),
        format!("  endpoint = {ENDPOINT} ;\taccesskey =  {KEY_TEXT}  ; "),
        format!("endpoint={ENDPOINT};;accesskey={KEY_TEXT};;"),
        format!("endpoint={ENDPOINT};accesskey={KEY_TEXT};region=westeurope"),
        format!("\nendpoint={ENDPOINT};accesskey={KEY_TEXT}\n"),
    ] {
        let cs = parse(&text).unwrap_or_else(|error| panic!("{text:?}: {error}"));
        assert_eq!(cs.endpoint().as_str(), ENDPOINT, "{text:?}");
        assert_eq!(cs.access_key().expose_secret(), KEY_BYTES, "{text:?}");
    }
}

#[test]
fn keeps_equals_signs_inside_values() {
    let cs = parse(&format!("endpoint={ENDPOINT};accesskey=pw==")).unwrap();
    assert_eq!(cs.access_key().expose_secret(), [0xa7]);
}

#[test]
fn accepts_keys_without_padding_and_http_endpoints_with_ports() {
    let cs = parse("endpoint=http://127.0.0.1:8080;accesskey=pw").unwrap();
    assert_eq!(cs.endpoint().as_str(), "http://127.0.0.1:8080/");
    assert_eq!(cs.access_key(), &"pw==".parse::<AccessKey>().unwrap());
}

#[test]
fn rejects_each_kind_of_mistake_with_its_own_error() {
    let cases: Vec<(String, AuthError)> = vec![
        (String::new(), AuthError::MissingEndpoint),
        (format!("accesskey={KEY_TEXT}"), AuthError::MissingEndpoint),
        (
            format!("endpoint=;accesskey={KEY_TEXT}"),
            AuthError::MissingEndpoint,
        ),
        (format!("endpoint={ENDPOINT}"), AuthError::MissingAccessKey),
        (
            format!("endpoint={ENDPOINT};accesskey="),
            AuthError::MissingAccessKey,
        ),
        (
            format!("endpoint={ENDPOINT};access_key={KEY_TEXT}"),
            AuthError::MissingAccessKey,
        ),
        (
            format!("endpoint={ENDPOINT};accesskey={KEY_TEXT};Endpoint={ENDPOINT}"),
            AuthError::DuplicateKey { key: "endpoint" },
        ),
        (
            format!("endpoint={ENDPOINT};accesskey={KEY_TEXT};ACCESSKEY={KEY_TEXT}"),
            AuthError::DuplicateKey { key: "accesskey" },
        ),
        (
            format!("endpoint={ENDPOINT};{KEY_TEXT}"),
            AuthError::PairWithoutEquals { position: 2 },
        ),
        (
            format!("endpoint={ENDPOINT};;{KEY_TEXT}"),
            AuthError::PairWithoutEquals { position: 3 },
        ),
        (
            format!("endpoint=ftp://contoso.example/;accesskey={KEY_TEXT}"),
            AuthError::InvalidEndpoint { source: None },
        ),
        (
            format!("endpoint=https://user:pass@contoso.example/;accesskey={KEY_TEXT}"),
            AuthError::InvalidEndpoint { source: None },
        ),
        (
            format!("endpoint=mailto:someone@example.com;accesskey={KEY_TEXT}"),
            AuthError::InvalidEndpoint { source: None },
        ),
        (
            format!("endpoint=contoso.communication.azure.com;accesskey={KEY_TEXT}"),
            AuthError::InvalidEndpoint {
                source: Some(url::ParseError::RelativeUrlWithoutBase),
            },
        ),
        (
            format!("endpoint={ENDPOINT};accesskey={KEY_TEXT}!"),
            AuthError::InvalidAccessKey,
        ),
        (
            format!("endpoint={ENDPOINT};accesskey=not base64"),
            AuthError::InvalidAccessKey,
        ),
        (
            format!("endpoint={ENDPOINT};accesskey=p"),
            AuthError::InvalidAccessKey,
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(&text).unwrap_err(), expected, "{text:?}");
    }
}

#[test]
fn invalid_endpoint_keeps_the_url_error_as_source() {
    let error = parse(&format!("endpoint=https://;accesskey={KEY_TEXT}")).unwrap_err();
    assert!(
        matches!(error, AuthError::InvalidEndpoint { source: Some(_) }),
        "{error:?}"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn from_parts_validates_the_endpoint() {
    let key = AccessKey::from_bytes(KEY_BYTES);
    let cs = ConnectionString::from_parts(ENDPOINT, key.clone()).unwrap();
    assert_eq!(
        cs,
        parse(&format!("endpoint={ENDPOINT};accesskey={KEY_TEXT}")).unwrap()
    );
    assert_eq!(
        ConnectionString::from_parts(" ", key.clone()),
        Err(AuthError::MissingEndpoint)
    );
    assert!(matches!(
        ConnectionString::from_parts("file:///etc", key),
        Err(AuthError::InvalidEndpoint { .. })
    ));
    let (endpoint, key) = cs.into_parts();
    assert_eq!(endpoint.as_str(), ENDPOINT);
    assert_eq!(key.expose_secret(), KEY_BYTES);
}

#[test]
fn access_keys_compare_by_value() {
    let key: AccessKey = KEY_TEXT.parse().unwrap();
    assert_eq!(key, AccessKey::from_bytes(KEY_BYTES));
    assert_ne!(key, AccessKey::from_bytes(&KEY_BYTES[1..]));
    assert_eq!(
        AccessKey::from_base64(" \t"),
        Err(AuthError::MissingAccessKey)
    );
}

/// Every error, and every `Debug` of a type holding a key, must be free of the key in both its
/// base64 and its decoded form, and of the connection string.
#[test]
fn no_key_in_any_error_or_debug_output() {
    let forbidden = [
        KEY_TEXT,
        std::str::from_utf8(KEY_BYTES).unwrap(),
        "fake-key",
    ];
    let check = |what: &str, output: String| {
        for secret in forbidden {
            assert!(!output.contains(secret), "{what} leaks the key: {output}");
        }
    };

    let bad_inputs = [
        format!("accesskey={KEY_TEXT}"),
        format!("endpoint={ENDPOINT};accesskey={KEY_TEXT}!"),
        format!("endpoint={ENDPOINT};accesskey={KEY_TEXT};accesskey={KEY_TEXT}"),
        format!("endpoint={ENDPOINT};{KEY_TEXT}"),
        format!("endpoint={KEY_TEXT};accesskey={KEY_TEXT}"),
        format!("endpoint=https://{KEY_TEXT}@example.com/;accesskey={KEY_TEXT}"),
        format!("endpoint=ftp://{KEY_TEXT}/;accesskey={KEY_TEXT}"),
        format!("endpoint=https://[{KEY_TEXT}]/;accesskey={KEY_TEXT}"),
        format!("{KEY_TEXT}=endpoint"),
        KEY_TEXT.to_owned(),
    ];
    for text in &bad_inputs {
        let error = parse(text).unwrap_err();
        check("error Display", error.to_string());
        check("error Debug", format!("{error:?}"));
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            check("error source", inner.to_string());
            source = inner.source();
        }
    }

    let cs = parse(&format!("endpoint={ENDPOINT};accesskey={KEY_TEXT}")).unwrap();
    let debug = format!("{cs:?}");
    assert!(
        debug.contains(ENDPOINT) && debug.contains("AccessKey(<redacted>)"),
        "{debug}"
    );
    check("ConnectionString Debug", debug);
    check("ConnectionString Debug (alternate)", format!("{cs:#?}"));
    assert_eq!(format!("{:?}", cs.access_key()), "AccessKey(<redacted>)");
    check("HmacSigner Debug", format!("{:?}", cs.signer()));
    check(
        "HmacSigner Debug",
        format!("{:?}", HmacSigner::new(cs.access_key())),
    );
    check("HmacVerifier Debug", format!("{:?}", cs.verifier()));
    check(
        "HmacVerifier Debug",
        format!("{:?}", HmacVerifier::new(cs.access_key())),
    );
}

#[test]
fn a_leading_byte_order_mark_is_ignored() {
    let cs: ConnectionString =
        "\u{feff}endpoint=https://contoso.communication.azure.com/;accesskey=pw=="
            .parse()
            .expect("a BOM-prefixed connection string parses");
    assert_eq!(
        cs.endpoint().as_str(),
        "https://contoso.communication.azure.com/"
    );
    // Only at the start: elsewhere it stays an error, without echoing the text.
    let error = "endpoint=\u{feff}https://contoso.communication.azure.com/;accesskey=pw=="
        .parse::<ConnectionString>()
        .unwrap_err();
    assert!(!error.to_string().contains("pw=="));
}
