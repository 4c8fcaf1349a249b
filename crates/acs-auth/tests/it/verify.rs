//! The verifier accepts what the signer produces and names the check a tampered request fails.

use acs_auth::{AccessKey, AuthError, HmacSigner, HmacVerifier};
use http::{HeaderValue, Method, Request};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const SIGNED_AT: OffsetDateTime = datetime!(2022-04-13 18:09:12 UTC);
const URI: &str = "https://contoso.communication.azure.com/identities?api-version=2025-06-30";

fn key() -> AccessKey {
    "pw==".parse().unwrap()
}

fn verifier() -> HmacVerifier {
    HmacVerifier::new(&key())
}

fn signed_post() -> Request<Vec<u8>> {
    let mut request = Request::post(URI)
        .header("content-type", "application/json")
        .body(br#"{"createTokenWithScopes":["chat"]}"#.to_vec())
        .unwrap();
    HmacSigner::new(&key())
        .sign_at(&mut request, SIGNED_AT)
        .unwrap();
    request
}

/// What a server sees of a signed client request over HTTP/1.1: an origin-form URI and the
/// `Host` header the client library added from the URI.
fn as_received(request: Request<Vec<u8>>) -> Request<Vec<u8>> {
    let (mut parts, body) = request.into_parts();
    let authority = parts.uri.authority().unwrap().clone();
    let host = match (authority.port_u16(), parts.uri.scheme_str()) {
        (Some(443), Some("https")) | (Some(80), Some("http")) | (None, _) => {
            authority.host().to_owned()
        }
        (Some(port), _) => format!("{}:{port}", authority.host()),
    };
    parts
        .headers
        .insert("host", HeaderValue::from_str(&host).unwrap());
    // The request target as it goes on the wire: never empty, a `?` kept even before an empty
    // query.
    let path = match parts.uri.path() {
        "" => "/",
        path => path,
    };
    let target = match parts.uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    parts.uri = target.parse().unwrap();
    Request::from_parts(parts, body)
}

fn set_header(request: &mut Request<Vec<u8>>, name: &'static str, value: &str) {
    request
        .headers_mut()
        .insert(name, HeaderValue::from_str(value).unwrap());
}

#[test]
fn accepts_what_the_signer_produced() {
    let request = signed_post();
    assert_eq!(verifier().verify(&request, SIGNED_AT), Ok(()));
    assert_eq!(verifier().verify(&as_received(request), SIGNED_AT), Ok(()));
}

#[test]
fn accepts_signed_requests_on_non_default_ports_as_received() {
    for uri in [
        "https://localhost:8443/identities/8%3Aacs%3Aabc/:issueAccessToken?api-version=2023-10-01",
        "http://127.0.0.1:8080/",
        "http://127.0.0.1:80/x",
        "https://[::1]:443/x?",
    ] {
        let mut request = Request::get(uri).body(Vec::new()).unwrap();
        HmacSigner::new(&key())
            .sign_at(&mut request, SIGNED_AT)
            .unwrap();
        assert_eq!(verifier().verify(&request, SIGNED_AT), Ok(()), "{uri}");
        assert_eq!(
            verifier().verify(&as_received(request), SIGNED_AT),
            Ok(()),
            "{uri} as received"
        );
    }
}

#[test]
fn verify_parts_works_on_a_split_request() {
    let (parts, body) = as_received(signed_post()).into_parts();
    assert_eq!(
        verifier().verify_parts(&parts.method, &parts.uri, &parts.headers, &body, SIGNED_AT),
        Ok(())
    );
}

#[test]
fn accepts_the_reference_vector_signed_over_the_date_header() {
    // Another client may sign `Date` instead of `x-ms-date`: same string to sign, so the §5
    // signature for example.com/testPath applies.
    let request = Request::get("/testPath")
        .header("host", "example.com")
        .header("date", "Wed, 13 Apr 2022 18:09:12 GMT")
        .header(
            "x-ms-content-sha256",
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        )
        .header(
            "authorization",
            "HMAC-SHA256 SignedHeaders=date;host;x-ms-content-sha256\
             &Signature=+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU=",
        )
        .body(Vec::new())
        .unwrap();
    assert_eq!(verifier().verify(&request, SIGNED_AT), Ok(()));
}

#[test]
fn rejects_a_tampered_method() {
    let mut request = as_received(signed_post());
    *request.method_mut() = Method::PUT;
    assert_eq!(
        verifier().verify(&request, SIGNED_AT),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn rejects_a_tampered_path_or_query() {
    for uri in [
        "/identities?api-version=2023-10-01",
        "/identitiez?api-version=2025-06-30",
        "/identities",
        "/identities?api-version=2025-06-30&x=1",
    ] {
        let mut request = as_received(signed_post());
        *request.uri_mut() = uri.parse().unwrap();
        assert_eq!(
            verifier().verify(&request, SIGNED_AT),
            Err(AuthError::SignatureMismatch),
            "{uri}"
        );
    }
}

#[test]
fn rejects_a_tampered_host() {
    let mut request = as_received(signed_post());
    set_header(&mut request, "host", "contoso.communication.azure.com:8443");
    assert_eq!(
        verifier().verify(&request, SIGNED_AT),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn rejects_a_tampered_body() {
    let mut request = signed_post();
    request.body_mut().push(b' ');
    assert_eq!(
        verifier().verify(&request, SIGNED_AT),
        Err(AuthError::ContentHashMismatch)
    );
}

#[test]
fn rejects_a_tampered_body_with_a_matching_hash() {
    // An attacker who recomputes x-ms-content-sha256 still cannot re-sign.
    let mut request = signed_post();
    *request.body_mut() = b"banana".to_vec();
    set_header(
        &mut request,
        "x-ms-content-sha256",
        "tJPUg2Sv5E0RwBZc9HCkFk0eJgmRHvmYvoaNRq3j3k4=",
    );
    assert_eq!(
        verifier().verify(&request, SIGNED_AT),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn rejects_a_tampered_date() {
    let mut request = signed_post();
    set_header(&mut request, "x-ms-date", "Wed, 13 Apr 2022 18:09:13 GMT");
    assert_eq!(
        verifier().verify(&request, SIGNED_AT),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn rejects_a_tampered_or_foreign_signature() {
    let request = signed_post();
    let authorization = request.headers()["authorization"].to_str().unwrap();
    let flipped = if authorization.ends_with("A=") {
        authorization.replace("A=", "B=")
    } else {
        format!("{}A=", &authorization[..authorization.len() - 2])
    };
    let mut tampered = request.clone();
    set_header(&mut tampered, "authorization", &flipped);
    assert_eq!(
        verifier().verify(&tampered, SIGNED_AT),
        Err(AuthError::SignatureMismatch)
    );

    let other_key = HmacVerifier::new(&AccessKey::from_bytes(*b"another key"));
    assert_eq!(
        other_key.verify(&request, SIGNED_AT),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn enforces_the_clock_skew_either_way() {
    let request = signed_post();
    let allowed = HmacVerifier::DEFAULT_MAX_CLOCK_SKEW;
    assert_eq!(allowed, Duration::minutes(15));
    assert_eq!(verifier().verify(&request, SIGNED_AT + allowed), Ok(()));
    assert_eq!(verifier().verify(&request, SIGNED_AT - allowed), Ok(()));
    assert_eq!(
        verifier().verify(&request, SIGNED_AT + allowed + Duration::seconds(1)),
        Err(AuthError::DateOutsideSkew {
            difference_seconds: -901,
            allowed_seconds: 900
        })
    );
    assert_eq!(
        verifier().verify(&request, SIGNED_AT - Duration::hours(1)),
        Err(AuthError::DateOutsideSkew {
            difference_seconds: 3600,
            allowed_seconds: 900
        })
    );

    let strict = verifier().with_max_clock_skew(Duration::seconds(-30));
    assert_eq!(strict.max_clock_skew(), Duration::seconds(30));
    assert_eq!(
        strict.verify(&request, SIGNED_AT + Duration::seconds(30)),
        Ok(())
    );
    assert!(matches!(
        strict.verify(&request, SIGNED_AT + Duration::seconds(31)),
        Err(AuthError::DateOutsideSkew { .. })
    ));
}

#[test]
fn names_missing_headers() {
    for name in ["authorization", "x-ms-date", "x-ms-content-sha256", "host"] {
        let mut request = as_received(signed_post());
        request.headers_mut().remove(name);
        assert_eq!(
            verifier().verify(&request, SIGNED_AT),
            Err(AuthError::MissingHeader {
                name: name.to_owned()
            }),
            "{name}"
        );
    }
}

#[test]
fn rejects_malformed_authorization_headers() {
    for value in [
        "Bearer abc",
        "HMAC-SHA256",
        "HMAC-SHA256 Signature=abc",
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256",
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=",
        "HMAC-SHA256 SignedHeaders=x-ms-date;x-ms-content-sha256&Signature=abc",
        "HMAC-SHA256 SignedHeaders=x-ms-date;host&Signature=abc",
        "HMAC-SHA256 SignedHeaders=host;x-ms-content-sha256&Signature=abc",
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=a&Signature=b",
        "HMAC-SHA256 SignedHeaders",
    ] {
        let mut request = signed_post();
        set_header(&mut request, "authorization", value);
        assert!(
            matches!(
                verifier().verify(&request, SIGNED_AT),
                Err(AuthError::MalformedAuthorization { .. })
            ),
            "{value}"
        );
    }
}

#[test]
fn rejects_a_malformed_date() {
    let mut request = signed_post();
    set_header(&mut request, "x-ms-date", "2022-04-13T18:09:12Z");
    assert_eq!(
        verifier().verify(&request, SIGNED_AT),
        Err(AuthError::MalformedHeader {
            name: "x-ms-date".to_owned()
        })
    );
}

#[test]
fn verify_errors_do_not_repeat_header_values() {
    let request = signed_post();
    let authorization = request.headers()["authorization"].to_str().unwrap();
    let signature = authorization.rsplit('=').nth(1).unwrap();
    let mut tampered = request.clone();
    *tampered.method_mut() = Method::GET;
    let error = verifier().verify(&tampered, SIGNED_AT).unwrap_err();
    for output in [error.to_string(), format!("{error:?}")] {
        assert!(!output.contains(signature), "{output}");
    }
    let headers = HmacSigner::new(&key())
        .sign_parts(
            &acs_auth::RequestParts {
                method: "POST",
                host: "example.com",
                path_and_query: "/",
                body: b"",
            },
            SIGNED_AT,
        )
        .unwrap();
    let debug = format!("{headers:?}");
    assert!(!debug.contains(headers.signature()), "{debug}");
    assert!(debug.contains("Wed, 13 Apr 2022 18:09:12 GMT"), "{debug}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn round_trips_any_request(
        method in proptest::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE"]),
        path in "(/[a-zA-Z0-9%:._~-]{0,12}){0,4}",
        query in proptest::option::of("[a-zA-Z0-9=&%._-]{0,24}"),
        port in proptest::option::of(1_u16..),
        body in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
        seconds in 0_i64..4_000_000_000,
    ) {
        let authority = match port {
            Some(port) => format!("example.com:{port}"),
            None => "example.com".to_owned(),
        };
        let query = query.map(|query| format!("?{query}")).unwrap_or_default();
        let uri = format!("https://{authority}{path}{query}");
        let now = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
        let mut request = Request::builder().method(method).uri(&uri).body(body).unwrap();
        HmacSigner::new(&key()).sign_at(&mut request, now).unwrap();
        proptest::prop_assert_eq!(verifier().verify(&request, now), Ok(()));
        proptest::prop_assert_eq!(verifier().verify(&as_received(request), now), Ok(()));
    }
}
