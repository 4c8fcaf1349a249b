//! Known answers for HMAC signing (reference §5) and the host, port, query and date rules.

use acs_auth::{AccessKey, AuthError, AuthHeaders, HmacSigner, RequestParts};
use time::OffsetDateTime;
use time::macros::datetime;

const REFERENCE_DATE: OffsetDateTime = datetime!(2022-04-13 18:09:12 UTC);
const REFERENCE_DATE_TEXT: &str = "Wed, 13 Apr 2022 18:09:12 GMT";
const EMPTY_BODY_HASH: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
const PREFIX: &str = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=";

/// (host, pathAndQuery, signature) for key `pw==`, GET, empty body, the reference date.
const REFERENCE_VECTORS: [(&str, &str, &str); 5] = [
    (
        "example.com",
        "/testPath?testQuery=test",
        "DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU=",
    ),
    (
        "example.com",
        "/testPath",
        "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU=",
    ),
    (
        "contoso.communicationservices.azure.com",
        "/",
        "88MDmJhUR3m5QhFxb8ztShsSwlGrg7g/6XPnWf7QEO4=",
    ),
    (
        "contoso.communicationservices.azure.com",
        "/testPath",
        "RoCrHjw7fb9fpHSbqvRUY2xa8RBS0YvI1cxI1x8AS38=",
    ),
    (
        "contoso.communicationservices.azure.com",
        "/testPath?testQuery=yes",
        "il99+rd6V5O136roX/zVePCNle78HmvC4B7tu9zRH3I=",
    ),
];

fn signer() -> HmacSigner {
    HmacSigner::new(&"pw==".parse::<AccessKey>().unwrap())
}

fn get(uri: &str) -> http::Request<Vec<u8>> {
    http::Request::get(uri).body(Vec::new()).unwrap()
}

/// Signs `request` at the reference date and returns its `Authorization` value.
fn authorization_of<B: acs_auth::SignableBody>(mut request: http::Request<B>) -> String {
    signer().sign_at(&mut request, REFERENCE_DATE).unwrap();
    request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned()
}

fn signature_of_uri(uri: &str) -> String {
    authorization_of(get(uri))
        .strip_prefix(PREFIX)
        .expect("the fixed Authorization prefix")
        .to_owned()
}

#[test]
fn reference_vectors_from_plain_parts() {
    for (host, path_and_query, expected) in REFERENCE_VECTORS {
        let parts = RequestParts {
            method: "GET",
            host,
            path_and_query,
            body: b"",
        };
        let headers = signer().sign_parts(&parts, REFERENCE_DATE).unwrap();
        assert_eq!(headers.signature(), expected, "{host}{path_and_query}");
        assert_eq!(headers.date(), REFERENCE_DATE_TEXT);
        assert_eq!(headers.content_sha256(), EMPTY_BODY_HASH);
        assert_eq!(
            headers.authorization().to_str().unwrap(),
            format!("{PREFIX}{expected}")
        );
    }
}

#[test]
fn reference_vectors_on_http_requests() {
    for (host, path_and_query, expected) in REFERENCE_VECTORS {
        let mut request = get(&format!("https://{host}{path_and_query}"));
        signer().sign_at(&mut request, REFERENCE_DATE).unwrap();
        let headers = request.headers();
        assert_eq!(headers["authorization"], format!("{PREFIX}{expected}"));
        assert_eq!(headers["x-ms-date"], REFERENCE_DATE_TEXT);
        assert_eq!(headers["x-ms-content-sha256"], EMPTY_BODY_HASH);
    }
}

#[test]
fn uri_without_path_signs_slash() {
    assert_eq!(
        signature_of_uri("https://contoso.communicationservices.azure.com"),
        "88MDmJhUR3m5QhFxb8ztShsSwlGrg7g/6XPnWf7QEO4="
    );
}

#[test]
fn body_hashes_match_the_reference() {
    for (body, expected) in [
        ("", EMPTY_BODY_HASH),
        ("banana", "tJPUg2Sv5E0RwBZc9HCkFk0eJgmRHvmYvoaNRq3j3k4="),
        ("😀", "8EQ6NCxe9UeDoRG1G6Vsk45HTDIyTZDDpgycjjo34tk="),
    ] {
        let mut request = http::Request::post("https://example.com/")
            .body(body)
            .unwrap();
        signer().sign_at(&mut request, REFERENCE_DATE).unwrap();
        assert_eq!(request.headers()["x-ms-content-sha256"], expected, "{body}");
    }
}

#[test]
fn post_with_body_signs_method_body_and_query() {
    // Expected value computed independently (Python hmac/hashlib) from the §5 formula.
    let mut request = http::Request::post(
        "https://contoso.communication.azure.com/identities?api-version=2025-06-30",
    )
    .body(b"banana".to_vec())
    .unwrap();
    signer()
        .sign_at(&mut request, datetime!(2024-03-05 07:08:09 UTC))
        .unwrap();
    assert_eq!(
        request.headers()["authorization"],
        format!("{PREFIX}Qf7sdZs10DI9CLiab8gHLB3jGLZcTE97sahbV68T3vA=")
    );
    assert_eq!(
        request.headers()["x-ms-date"],
        "Tue, 05 Mar 2024 07:08:09 GMT"
    );
}

#[test]
fn dates_are_rfc1123_with_zero_padded_days_in_gmt() {
    for (now, expected) in [
        (
            datetime!(2024-03-05 07:08:09 UTC),
            "Tue, 05 Mar 2024 07:08:09 GMT",
        ),
        (
            datetime!(2023-01-01 00:00:00 UTC),
            "Sun, 01 Jan 2023 00:00:00 GMT",
        ),
        (
            datetime!(2022-04-09 23:59:59 -05:00),
            "Sun, 10 Apr 2022 04:59:59 GMT",
        ),
    ] {
        let mut request = get("https://example.com/");
        signer().sign_at(&mut request, now).unwrap();
        assert_eq!(request.headers()["x-ms-date"], expected);
    }
}

#[test]
fn default_ports_are_dropped_from_the_signed_host() {
    let without_port = "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU=";
    assert_eq!(
        signature_of_uri("https://example.com:443/testPath"),
        without_port
    );
    assert_eq!(
        signature_of_uri("http://example.com:80/testPath"),
        without_port
    );
    assert_eq!(
        signature_of_uri("http://example.com/testPath"),
        without_port
    );
}

#[test]
fn other_ports_are_kept_in_the_signed_host() {
    // Expected values computed independently (Python hmac/hashlib) from the §5 formula.
    assert_eq!(
        signature_of_uri("https://example.com:8443/testPath"),
        "GzJFNYFnsSCgsRX1CQBkSsZNHwQtqX6R8JFq8tWftuI="
    );
    assert_eq!(
        signature_of_uri("http://example.com:8080/testPath"),
        "zFAbbRWjUmDbcK/DT3cYgnwMyh+kXJxBpC3qlxnPCh0="
    );
    // 443 is not the default for http, nor 80 for https.
    assert_ne!(
        signature_of_uri("http://example.com:443/testPath"),
        "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU="
    );
    assert_ne!(
        signature_of_uri("https://example.com:80/testPath"),
        "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU="
    );
}

#[test]
fn ipv6_hosts_keep_their_brackets() {
    assert_eq!(
        signature_of_uri("https://[::1]:8443/testPath"),
        "UuPZH+cEX+TDKd9D8Q8gVnX65TlP+yi1yCYvu0VwIVQ="
    );
}

#[test]
fn user_info_is_not_part_of_the_host() {
    assert_eq!(
        signature_of_uri("https://someone@example.com/testPath"),
        "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU="
    );
}

#[test]
fn an_empty_query_adds_no_question_mark() {
    assert_eq!(
        signature_of_uri("https://example.com/testPath?"),
        "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU="
    );
}

#[test]
fn percent_encoding_is_signed_as_sent() {
    // Expected value computed independently (Python hmac/hashlib) from the §5 formula.
    assert_eq!(
        signature_of_uri("https://example.com/identities/8%3Aacs%3Aabc"),
        "bbL0gv+eiIf3iYDL2PsBiOWG6aTnLZAmgukFsq7xPzk="
    );
}

#[test]
fn origin_form_uri_uses_the_host_header() {
    let request = http::Request::get("/testPath?testQuery=test")
        .header("host", "example.com")
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        authorization_of(request),
        format!("{PREFIX}DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU=")
    );
}

#[test]
fn uri_authority_wins_over_a_host_header() {
    let request = http::Request::get("https://example.com/testPath")
        .header("host", "other.example")
        .body(Vec::new())
        .unwrap();
    assert_eq!(
        authorization_of(request),
        format!("{PREFIX}+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU=")
    );
}

#[test]
fn a_request_without_any_host_is_an_error() {
    let mut request = get("/testPath");
    assert_eq!(
        signer().sign_at(&mut request, REFERENCE_DATE),
        Err(AuthError::MissingHost)
    );
    assert!(request.headers().is_empty(), "nothing is set on failure");
}

#[test]
fn years_beyond_four_digits_are_an_error() {
    let parts = RequestParts {
        method: "GET",
        host: "example.com",
        path_and_query: "/",
        body: b"",
    };
    assert_eq!(
        signer().sign_parts(&parts, datetime!(-0001-01-01 00:00:00 UTC)),
        Err(AuthError::UnsupportedDate)
    );
}

#[test]
fn signing_again_replaces_the_headers() {
    let mut request = get("https://example.com/testPath");
    signer()
        .sign_at(&mut request, datetime!(2020-01-01 00:00:00 UTC))
        .unwrap();
    signer().sign_at(&mut request, REFERENCE_DATE).unwrap();
    let headers = request.headers();
    assert_eq!(headers.get_all("authorization").iter().count(), 1);
    assert_eq!(headers.get_all("x-ms-date").iter().count(), 1);
    assert_eq!(
        headers["authorization"],
        format!("{PREFIX}+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU=")
    );
}

#[test]
fn sign_uses_the_system_clock() {
    let before = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut request = get("https://example.com/");
    signer().sign(&mut request).unwrap();
    let after = OffsetDateTime::now_utc();
    let date = request.headers()["x-ms-date"].to_str().unwrap();
    let date = OffsetDateTime::parse(date, &time::format_description::well_known::Rfc2822)
        .expect("an RFC 1123 date is also RFC 2822");
    assert!(
        before <= date && date <= after,
        "{date} not in {before}..={after}"
    );
}

#[test]
fn auth_headers_apply_to_a_header_map() {
    let parts = RequestParts {
        method: "GET",
        host: "example.com",
        path_and_query: "/testPath",
        body: b"",
    };
    let headers: AuthHeaders = signer().sign_parts(&parts, REFERENCE_DATE).unwrap();
    let mut map = http::HeaderMap::new();
    headers.clone().apply_to(&mut map);
    assert_eq!(map.len(), 3);
    assert_eq!(map["authorization"], headers.authorization());
    assert!(map["authorization"].is_sensitive());
    assert_eq!(map["x-ms-date"], REFERENCE_DATE_TEXT);
    assert_eq!(map["x-ms-content-sha256"], EMPTY_BODY_HASH);
}

#[test]
fn signers_and_headers_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<HmacSigner>();
    assert_send_sync::<AuthHeaders>();
    assert_send_sync::<acs_auth::HmacVerifier>();
    assert_send_sync::<acs_auth::ConnectionString>();
    assert_send_sync::<AuthError>();
}

#[test]
fn a_body_less_request_is_signed_as_an_empty_body() {
    let request = http::Request::get("https://example.com/testPath?testQuery=test")
        .body(())
        .unwrap();
    assert_eq!(
        authorization_of(request).strip_prefix(PREFIX),
        Some("DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU=")
    );
}

#[test]
fn the_method_is_upper_cased_before_signing() {
    let lower = http::Request::builder()
        .method(http::Method::from_bytes(b"get").unwrap())
        .uri("https://example.com/testPath?testQuery=test")
        .body(())
        .unwrap();
    assert_eq!(
        authorization_of(lower).strip_prefix(PREFIX),
        Some("DGdgwggJWnQyc6EHjR/Vbqg1ES64KpD6U2XwTDDj3tU=")
    );
    let parts = acs_auth::RequestParts {
        method: "get",
        host: "example.com",
        path_and_query: "/testPath",
        body: b"",
    };
    let headers = signer().sign_parts(&parts, REFERENCE_DATE).unwrap();
    assert_eq!(
        headers.signature(),
        "+6tWkg3lNKVjQHHmxkdGQcJjUgzclsWTMebnuCz1ngU="
    );
}

#[test]
fn request_parts_from_a_url_follow_the_host_and_path_rules() {
    let cases = [
        (
            "https://example.com/testPath?testQuery=test",
            "example.com",
            "/testPath?testQuery=test",
        ),
        ("https://example.com/testPath?", "example.com", "/testPath"),
        ("https://example.com", "example.com", "/"),
        ("https://example.com:443/a", "example.com", "/a"),
        ("http://example.com:80/a", "example.com", "/a"),
        (
            "https://localhost:8443/a%20b?x=1",
            "localhost:8443",
            "/a%20b?x=1",
        ),
        ("http://127.0.0.1:8080/", "127.0.0.1:8080", "/"),
        ("http://[::1]:8080/p", "[::1]:8080", "/p"),
    ];
    for (text, host, path_and_query) in cases {
        let url = url::Url::parse(text).unwrap();
        let parts = acs_auth::RequestParts::from_url("GET", &url, b"");
        assert_eq!(parts.host, host, "{text}");
        assert_eq!(parts.path_and_query, path_and_query, "{text}");
        // The same signature as signing the request itself.
        let mut request = http::Request::get(text).body(()).unwrap();
        signer().sign_at(&mut request, REFERENCE_DATE).unwrap();
        let from_parts = signer().sign_parts(&parts, REFERENCE_DATE).unwrap();
        assert_eq!(
            request.headers()["authorization"],
            *from_parts.authorization(),
            "{text}"
        );
    }
}

#[test]
fn the_string_to_sign_is_shown_without_the_key() {
    let key_text = "c2VjcmV0LWtleS1ieXRlcw==";
    let key: AccessKey = key_text.parse().unwrap();
    let mut request = http::Request::post("https://localhost:8443/identities?api-version=1")
        .body(b"banana".to_vec())
        .unwrap();
    HmacSigner::new(&key)
        .sign_at(&mut request, REFERENCE_DATE)
        .unwrap();
    let text = HmacSigner::string_to_sign(&request).unwrap();
    assert_eq!(
        text,
        "POST\n/identities?api-version=1\nWed, 13 Apr 2022 18:09:12 GMT;localhost:8443;tJPUg2Sv5E0RwBZc9HCkFk0eJgmRHvmYvoaNRq3j3k4="
    );
    assert!(!text.contains(key_text));
    // It is what the signature covers: HMAC it with the key by hand.
    use base64::Engine as _;
    use hmac::{KeyInit as _, Mac as _};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.expose_secret()).unwrap();
    mac.update(text.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let authorization = request.headers()["authorization"].to_str().unwrap();
    assert_eq!(authorization.strip_prefix(PREFIX), Some(expected.as_str()));

    // The parts form gives the same text.
    let url = url::Url::parse("https://localhost:8443/identities?api-version=1").unwrap();
    let parts = acs_auth::RequestParts::from_url("post", &url, b"banana");
    assert_eq!(parts.string_to_sign(REFERENCE_DATE).unwrap(), text);

    // An unsigned request has no date to show.
    let unsigned = http::Request::get("https://example.com/").body(()).unwrap();
    assert!(matches!(
        HmacSigner::string_to_sign(&unsigned),
        Err(acs_auth::AuthError::MissingHeader { .. })
    ));
}
