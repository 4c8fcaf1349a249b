//! Signing `reqwest::Request`s gives the same headers as signing the equivalent `http::Request`.
#![cfg(feature = "reqwest")]

use acs_auth::{AccessKey, AuthError, HmacSigner, HmacVerifier};
use reqwest::{Body, Method, Request, Url};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2022-04-13 18:09:12 UTC);
const PREFIX: &str = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=";

fn signer() -> HmacSigner {
    HmacSigner::new(&"pw==".parse::<AccessKey>().unwrap())
}

fn request(method: Method, url: &str, body: Option<&'static [u8]>) -> Request {
    let mut request = Request::new(method, Url::parse(url).unwrap());
    if let Some(body) = body {
        *request.body_mut() = Some(Body::from(body));
    }
    request
}

#[test]
fn reference_vectors() {
    for (url, signature) in [
        (
            "https://example.com/testPath?testQuery=test",
            "DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU=",
        ),
        (
            "https://example.com/testPath",
            "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU=",
        ),
        (
            "https://contoso.communicationservices.azure.com",
            "88MDmJhUR3m5QhFxb8ztShsSwlGrg7g/6XPnWf7QEO4=",
        ),
        (
            "https://contoso.communicationservices.azure.com/testPath?testQuery=yes",
            "il99+rd6V5O136roX/zVePCNle78HmvC4B7tu9zRH3I=",
        ),
        // Default port dropped, no stray `?`.
        (
            "https://example.com:443/testPath?",
            "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU=",
        ),
        // Computed independently (Python hmac/hashlib) from the §5 formula.
        (
            "https://example.com:8443/testPath",
            "GzJFNYFnsSCgsRX1CQBkSsZNHwQtqX6R8JFq8tWftuI=",
        ),
        (
            "https://[::1]:8443/testPath",
            "UuPZH+cEX+TDKd9D8Q8gVnX65TlP+yi1yCYvu0VwIVQ=",
        ),
    ] {
        let mut request = request(Method::GET, url, None);
        signer().sign_at(&mut request, NOW).unwrap();
        let headers = request.headers();
        assert_eq!(
            headers["authorization"],
            format!("{PREFIX}{signature}"),
            "{url}"
        );
        assert_eq!(headers["x-ms-date"], "Wed, 13 Apr 2022 18:09:12 GMT");
        assert_eq!(
            headers["x-ms-content-sha256"],
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}

#[test]
fn buffered_bodies_are_hashed_and_match_http_requests() {
    let url = "http://127.0.0.1:8080/identities?api-version=2025-06-30";
    let mut with_reqwest = request(Method::POST, url, Some(b"banana"));
    signer().sign_at(&mut with_reqwest, NOW).unwrap();
    assert_eq!(
        with_reqwest.headers()["x-ms-content-sha256"],
        "tJPUg2Sv5E0RwBZc9HCkFk0eJgmRHvmYvoaNRq3j3k4="
    );

    let mut with_http = http::Request::post(url).body(b"banana").unwrap();
    signer().sign_at(&mut with_http, NOW).unwrap();
    assert_eq!(with_reqwest.headers(), with_http.headers());
    assert_eq!(HmacVerifier::from(signer()).verify(&with_http, NOW), Ok(()));
}

#[test]
fn streaming_bodies_are_refused() {
    let mut request = request(Method::POST, "https://example.com/", None);
    *request.body_mut() = Some(Body::wrap(String::from("banana")));
    assert_eq!(
        signer().sign_at(&mut request, NOW),
        Err(AuthError::BodyNotBuffered)
    );
    assert!(request.headers().is_empty(), "nothing is set on failure");
}

#[test]
fn sign_uses_the_system_clock() {
    let mut request = request(Method::GET, "https://example.com/", None);
    signer().sign(&mut request).unwrap();
    assert!(request.headers().contains_key("x-ms-date"));
    assert!(request.headers()["authorization"].is_sensitive());
}
