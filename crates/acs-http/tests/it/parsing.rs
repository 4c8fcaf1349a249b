//! Endpoint rules, `expiresOn` parsing, error bodies and Retry-After values.

use std::time::{Duration, SystemTime};

use acs_http::{
    AcsErrorResponse, Endpoint, EndpointError, TokenResponse, format_expires_on, parse_expires_on,
    retry_after,
};
use acs_token::AccessToken;
use http::{HeaderMap, HeaderValue};
use time::macros::datetime;

#[test]
fn https_endpoints_are_accepted_and_normalised() {
    let endpoint: Endpoint = "https://contoso.communication.azure.com"
        .parse()
        .expect("valid");
    assert_eq!(
        endpoint.as_str(),
        "https://contoso.communication.azure.com/"
    );
    assert!(!endpoint.is_loopback());
    let with_path: Endpoint = "https://proxy.example/acs".parse().expect("valid");
    assert_eq!(
        with_path
            .url_for("/access/teamsExtension/:exchangeAccessToken")
            .as_str(),
        "https://proxy.example/acs/access/teamsExtension/:exchangeAccessToken"
    );
    let trailing: Endpoint = "  https://contoso.communication.azure.com/  "
        .parse()
        .expect("valid");
    assert_eq!(
        trailing.url_for("identities").as_str(),
        "https://contoso.communication.azure.com/identities"
    );
}

#[test]
fn plain_http_only_for_loopback() {
    for ok in [
        "http://127.0.0.1:8080",
        "http://127.8.9.10",
        "http://[::1]:443/",
        "http://localhost:3000",
        "http://LOCALHOST",
    ] {
        let endpoint: Endpoint = ok.parse().unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert!(endpoint.is_loopback(), "{ok}");
    }
    for bad in [
        "http://contoso.communication.azure.com",
        "http://10.0.0.1",
        "http://128.0.0.1",
        "http://localhost.evil.com",
        "http://[::2]",
    ] {
        assert_eq!(
            bad.parse::<Endpoint>(),
            Err(EndpointError::InsecureHttp),
            "{bad}"
        );
    }
}

#[test]
fn other_broken_endpoints_have_typed_errors_without_echo() {
    assert_eq!("".parse::<Endpoint>(), Err(EndpointError::Empty));
    assert!(matches!(
        "contoso.communication.azure.com".parse::<Endpoint>(),
        Err(EndpointError::Invalid { .. })
    ));
    assert_eq!(
        "ftp://contoso.com".parse::<Endpoint>(),
        Err(EndpointError::UnsupportedScheme {
            scheme: "ftp".into()
        })
    );
    let with_secret = "https://user:SECRETPASS@contoso.com";
    let error = with_secret.parse::<Endpoint>().expect_err("credentials");
    assert_eq!(error, EndpointError::Credentials);
    assert!(!format!("{error} {error:?}").contains("SECRETPASS"));
    assert_eq!(
        "https://contoso.com/?a=b".parse::<Endpoint>(),
        Err(EndpointError::QueryOrFragment)
    );
    assert_eq!(
        "https://contoso.com/#x".parse::<Endpoint>(),
        Err(EndpointError::QueryOrFragment)
    );
    assert!("mailto:someone@example.com".parse::<Endpoint>().is_err());
}

#[test]
fn expires_on_keeps_seven_digit_fractions_and_offsets() {
    let utc = parse_expires_on("2034-10-04T10:21:29.4729393+00:00").expect("utc");
    assert_eq!(utc, datetime!(2034-10-04 10:21:29.4729393 UTC));
    let minus7 = parse_expires_on("2034-10-04T10:21:29.4729393-07:00").expect("offset");
    assert_eq!(minus7, datetime!(2034-10-04 17:21:29.4729393 UTC));
    assert_eq!(minus7.offset().whole_hours(), -7);
    let z = parse_expires_on("2034-10-04T10:21:29.4729393Z").expect("z");
    assert_eq!(z, utc);
    let no_fraction = parse_expires_on("2034-10-04T10:21:29+05:30").expect("no fraction");
    assert_eq!(no_fraction, datetime!(2034-10-04 04:51:29 UTC));
    let no_offset = parse_expires_on("2034-10-04T10:21:29.1").expect("assumed UTC");
    assert_eq!(no_offset, datetime!(2034-10-04 10:21:29.1 UTC));
}

#[test]
fn bad_expires_on_is_a_typed_error() {
    for bad in [
        "",
        "tomorrow",
        "2034-13-04T10:21:29Z",
        "2034-10-04",
        "1700000000",
        "2034-10-04T25:00:00Z",
    ] {
        assert!(parse_expires_on(bad).is_err(), "{bad:?} must be rejected");
    }
}

#[test]
fn expires_on_round_trips_through_the_acs_format() {
    let at = datetime!(2034-10-04 10:21:29.4729393 -07:00);
    let text = format_expires_on(at);
    assert_eq!(text, "2034-10-04T10:21:29.4729393-07:00");
    assert_eq!(parse_expires_on(&text).expect("round trip"), at);
}

#[test]
fn token_response_converts_and_redacts() {
    let body: TokenResponse = serde_json::from_str(
        r#"{"token":"SECRET.TOKEN.TEXT","expiresOn":"2034-10-04T10:21:29.4729393+02:00"}"#,
    )
    .expect("token response");
    assert!(!format!("{body:?}").contains("SECRET"));
    let token = AccessToken::from(body.clone());
    assert_eq!(token.token(), "SECRET.TOKEN.TEXT");
    assert_eq!(
        token.expires_on(),
        datetime!(2034-10-04 08:21:29.4729393 UTC)
    );
    let json = serde_json::to_value(&body).expect("serialize");
    assert_eq!(json["expiresOn"], "2034-10-04T10:21:29.4729393+02:00");

    let bad = serde_json::from_str::<TokenResponse>(r#"{"token":"t","expiresOn":"soon"}"#)
        .expect_err("bad expiresOn");
    assert!(bad.to_string().contains("invalid expiresOn"), "{bad}");
}

#[test]
fn error_bodies_parse_with_optional_fields() {
    let minimal =
        AcsErrorResponse::from_slice(br#"{"error":{"code":"Forbidden"}}"#).expect("minimal");
    assert_eq!(minimal.error.code.as_deref(), Some("Forbidden"));
    assert_eq!(minimal.error.message, None);
    assert!(AcsErrorResponse::from_slice(b"<html>").is_none());
    assert!(AcsErrorResponse::from_slice(br#"{"message":"x"}"#).is_none());
    let written = serde_json::to_string(&AcsErrorResponse::new("BadRequest", "Invalid request."))
        .expect("json");
    assert_eq!(
        written,
        r#"{"error":{"code":"BadRequest","message":"Invalid request."}}"#
    );
}

#[test]
fn error_bodies_with_explicit_nulls_keep_their_code_and_message() {
    // Services that serialize every field write `null` for the ones they leave empty, at
    // any depth; the code and message must survive that.
    let body = br#"{"error":{"code":"IdentityNotFound","message":"Not found.","target":null,
        "details":[{"code":"Inner","message":null,"details":null,"innererror":null}],
        "innererror":{"code":"Deeper","innererror":null}}}"#;
    let parsed = AcsErrorResponse::from_slice(body).expect("an ACS error body");
    assert_eq!(parsed.error.code.as_deref(), Some("IdentityNotFound"));
    assert_eq!(parsed.error.message.as_deref(), Some("Not found."));
    assert_eq!(parsed.error.target, None);
    assert_eq!(parsed.error.details.len(), 1);
    assert_eq!(parsed.error.details[0].code.as_deref(), Some("Inner"));
    assert!(parsed.error.details[0].details.is_empty());
    assert_eq!(
        parsed
            .error
            .inner_error
            .and_then(|inner| inner.code)
            .as_deref(),
        Some("Deeper")
    );

    let top_level_null =
        br#"{"error":{"code":"BadRequest","message":"Invalid request.","details":null}}"#;
    let parsed = AcsErrorResponse::from_slice(top_level_null).expect("an ACS error body");
    assert_eq!(parsed.error.code.as_deref(), Some("BadRequest"));
    assert!(parsed.error.details.is_empty());
}

#[test]
fn retry_after_forms() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let at = |value: &'static str| {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static(value));
        retry_after(&headers, now)
    };
    assert_eq!(at("0"), Some(Duration::ZERO));
    assert_eq!(at("120"), Some(Duration::from_secs(120)));
    assert_eq!(at("1.5"), Some(Duration::from_millis(1500)));
    // 1_000_000_000 is Sun, 09 Sep 2001 01:46:40 GMT.
    assert_eq!(
        at("Sun, 09 Sep 2001 01:47:10 GMT"),
        Some(Duration::from_secs(30))
    );
    assert_eq!(at("Sun, 09 Sep 2001 01:00:00 GMT"), Some(Duration::ZERO));
    // The two obsolete forms RFC 9110 §5.6.7 requires recipients to accept.
    assert_eq!(
        at("Sunday, 09-Sep-01 01:47:10 GMT"),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        at("Sun Sep  9 01:47:10 2001"),
        Some(Duration::from_secs(30))
    );
    assert_eq!(at("Sunday, 09-Sep-2001 01:47:10 GMT"), None);
    assert_eq!(at("Sunday, 09-Sep-1 01:47:10 GMT"), None);
    assert_eq!(at("-5"), None);
    assert_eq!(at("soon"), None);
    assert_eq!(at("NaN"), None);
    assert_eq!(retry_after(&HeaderMap::new(), now), None);
    assert_eq!(
        acs_http::format_http_date(now).as_deref(),
        Some("Sun, 09 Sep 2001 01:46:40 GMT")
    );
}

#[test]
fn a_two_digit_year_is_the_one_at_most_50_years_ahead() {
    // Now: Wed, 25 Nov 2026 00:00:00 GMT.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_564_800);
    let at = |value: &'static str| {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static(value));
        retry_after(&headers, now)
    };
    // 2027 is ahead; 2076 is exactly 50 years ahead, still this century; 77 would be 51 years
    // ahead, so it is 1977 (past: no wait); 99 is 1999.
    let to_2027 = Duration::from_secs(1_798_761_600 - 1_795_564_800);
    assert_eq!(at("Friday, 01-Jan-27 00:00:00 GMT"), Some(to_2027));
    let to_2076 = Duration::from_secs(3_345_062_400 - 1_795_564_800);
    assert_eq!(at("Wednesday, 01-Jan-76 00:00:00 GMT"), Some(to_2076));
    assert_eq!(at("Saturday, 01-Jan-77 00:00:00 GMT"), Some(Duration::ZERO));
    assert_eq!(at("Friday, 01-Jan-99 00:00:00 GMT"), Some(Duration::ZERO));
}

#[test]
fn instants_beyond_four_digit_years_give_none_instead_of_panicking() {
    let far_future = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
    // Year 10000 and later have no IMF-fixdate.
    let year_10000 = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800);
    let before_year_0 = SystemTime::UNIX_EPOCH - Duration::from_secs(62_167_219_201);
    for at in [far_future, year_10000, before_year_0] {
        assert_eq!(acs_http::format_http_date(at), None, "{at:?}");
    }
    let last_second = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    assert_eq!(
        acs_http::format_http_date(last_second).as_deref(),
        Some("Fri, 31 Dec 9999 23:59:59 GMT")
    );
    // Before 1970 is outside httpdate's range: no date rather than a panic.
    let year_0 = SystemTime::UNIX_EPOCH - Duration::from_secs(62_167_219_200);
    assert_eq!(acs_http::format_http_date(year_0), None);
    let before_1970 = SystemTime::UNIX_EPOCH - Duration::from_secs(1);
    assert_eq!(acs_http::format_http_date(before_1970), None);
    assert_eq!(
        acs_http::format_http_date(SystemTime::UNIX_EPOCH).as_deref(),
        Some("Thu, 01 Jan 1970 00:00:00 GMT")
    );

    // A date header cannot be compared with a `now` time cannot hold: it is ignored.
    let mut headers = HeaderMap::new();
    headers.insert(
        "retry-after",
        HeaderValue::from_static("Sun, 09 Sep 2001 01:47:10 GMT"),
    );
    assert_eq!(retry_after(&headers, far_future), None);
    let before_year_minus_9999 = SystemTime::UNIX_EPOCH - Duration::from_secs(400_000_000_000);
    assert_eq!(retry_after(&headers, before_year_minus_9999), None);
    // Delay-seconds need no `now`.
    headers.insert("retry-after", HeaderValue::from_static("3"));
    assert_eq!(
        retry_after(&headers, far_future),
        Some(Duration::from_secs(3))
    );
}

#[test]
fn jittered_delays_saturate_instead_of_overflowing() {
    let policy = acs_http::RetryPolicy::default()
        .initial_delay(Duration::MAX)
        .max_delay(Duration::MAX);
    // Jitter draws a factor up to 1.2: many draws make one above 1 near-certain.
    for retry in 1..=200 {
        let delay = policy.delay_for_retry(retry);
        assert!(delay >= Duration::MAX.mul_f64(0.79), "{delay:?}");
    }
    let capped = acs_http::RetryPolicy::default()
        .initial_delay(Duration::MAX)
        .max_delay(Duration::from_secs(60));
    let delay = capped.delay_for_retry(1);
    assert!(
        delay >= Duration::from_secs(48) && delay <= Duration::from_secs(60),
        "{delay:?}"
    );
}
