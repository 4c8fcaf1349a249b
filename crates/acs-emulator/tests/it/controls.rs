//! The control routes (`/_emulator/*`), strict authentication, and the bounded request record.

use acs_emulator::{CONTROL_HEADER, Emulator, Fault, RECORDED_PATH_LIMIT, Route, TokenStatus};
use acs_token::test_util::TokenBuilder;
use http::{Method, StatusCode};
use time::OffsetDateTime;

use crate::common::{Auth, control, hmac_now, raw, send};

const CREATE: &str = "/identities?api-version=2025-06-30";
/// The body of the reproduced cross-origin request: a delay and a count at their types' maxima.
const HANG_EVERYTHING: &str = r#"{"delayMs":18446744073709551615,"times":4294967295}"#;

/// A web page can send a "simple" cross-origin POST (`text/plain`, no custom header) without a
/// preflight: the control route refuses it, and refuses a preflight too.
#[tokio::test]
async fn a_cross_origin_simple_request_cannot_queue_a_fault() {
    let emulator = Emulator::start().await.unwrap();
    let port = emulator.local_addr().port();
    let simple = format!(
        "POST /_emulator/faults HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://example.test\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{HANG_EVERYTHING}",
        HANG_EVERYTHING.len()
    );
    let answer = raw(&emulator, &simple).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("MissingControlHeader"), "{answer}");

    // With the header but not as JSON: still refused.
    let plain = simple.replace(
        "Content-Type: text/plain",
        &format!("Content-Type: text/plain\r\n{CONTROL_HEADER}: 1"),
    );
    let answer = raw(&emulator, &plain).await;
    assert!(answer.starts_with("HTTP/1.1 415"), "{answer}");

    // The preflight a browser would need for the custom header is not answered with CORS.
    let preflight = format!(
        "OPTIONS /_emulator/faults HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://example.test\r\n\
         Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: {CONTROL_HEADER}\r\n\
         Connection: close\r\n\r\n"
    );
    let answer = raw(&emulator, &preflight).await;
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("access-control-allow"),
        "{answer}"
    );

    assert_eq!(emulator.pending_faults(), 0);
    let created = send(&emulator, Method::POST, CREATE, b"{}", hmac_now()).await;
    assert_eq!(created.status, StatusCode::CREATED);

    // Even from a local tool, the reproduced body is out of range.
    let answer = control(
        &emulator,
        Method::POST,
        "/_emulator/faults",
        HANG_EVERYTHING.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.inner_code(), "InvalidDelay");
    assert_eq!(emulator.pending_faults(), 0);
}

/// A page on another name that resolves to 127.0.0.1 (DNS rebinding) sends its own `Host`.
#[tokio::test]
async fn control_routes_answer_only_loopback_hosts() {
    let emulator = Emulator::start().await.unwrap();
    let port = emulator.local_addr().port();
    let fault = r#"{"status":503}"#;
    for (host, allowed) in [
        (format!("127.0.0.1:{port}"), true),
        (format!("localhost:{port}"), true),
        ("LOCALHOST".to_owned(), true),
        (format!("[::1]:{port}"), true),
        (format!("rebound.example.test:{port}"), false),
        ("127.0.0.1.example.test".to_owned(), false),
    ] {
        let request = format!(
            "POST /_emulator/faults HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             {CONTROL_HEADER}: 1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{fault}",
            fault.len()
        );
        let answer = raw(&emulator, &request).await;
        let expected = if allowed {
            "HTTP/1.1 204"
        } else {
            "HTTP/1.1 403"
        };
        assert!(answer.starts_with(expected), "{host}: {answer}");
        let health =
            format!("GET /_emulator/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        let expected = if allowed {
            "HTTP/1.1 200"
        } else {
            "HTTP/1.1 403"
        };
        assert!(
            raw(&emulator, &health).await.starts_with(expected),
            "{host}"
        );
    }
    assert_eq!(emulator.pending_faults(), 4);
}

#[tokio::test]
async fn faults_are_capped() {
    let emulator = Emulator::start().await.unwrap();
    for _ in 0..100 {
        let answer = control(
            &emulator,
            Method::POST,
            "/_emulator/faults",
            br#"{"status":500,"route":"deleteIdentity"}"#,
        )
        .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT);
    }
    let answer = control(
        &emulator,
        Method::POST,
        "/_emulator/faults",
        br#"{"status":500}"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.error_code(), "TooManyFaults");
    let answer = control(&emulator, Method::DELETE, "/_emulator/faults", b"").await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(emulator.pending_faults(), 0);

    // A status a client cannot be handed (101 came out as a bare `101 Switching Protocols`)
    // is answered as 500 when queued from the library.
    emulator.inject(Fault::status(101));
    let answer = send(&emulator, Method::POST, CREATE, b"{}", hmac_now()).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.error_code(), "InternalServerError");
}

#[tokio::test]
async fn health_says_ready_with_counts() {
    let emulator = Emulator::start().await.unwrap();
    send(&emulator, Method::POST, CREATE, b"{}", hmac_now()).await;
    let answer = send(&emulator, Method::GET, "/_emulator/health", b"", Auth::None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json["status"], "ready");
    assert_eq!(answer.json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(answer.json["identities"], 1);
    assert_eq!(answer.json["recordedRequests"], 1);
    assert_eq!(answer.json["persistent"], false);
    assert!(answer.json["uptimeSeconds"].is_u64());
    let answer = send(
        &emulator,
        Method::POST,
        "/_emulator/health",
        b"",
        Auth::None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn strict_auth_takes_hmac_on_identity_routes_and_entra_shaped_tokens_on_exchanges() {
    let emulator = Emulator::builder().strict_auth(true).start().await.unwrap();
    let bearer = send(
        &emulator,
        Method::POST,
        CREATE,
        b"{}",
        Auth::Bearer("anything".into()),
    )
    .await;
    assert_eq!(bearer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bearer.inner_code(), "BearerNotAccepted");
    let signed = send(&emulator, Method::POST, CREATE, b"{}", hmac_now()).await;
    assert_eq!(signed.status, StatusCode::CREATED);

    let entra = "/access/entra/:exchangeAccessToken?api-version=2025-03-02-preview";
    let exp = (OffsetDateTime::now_utc() + time::Duration::hours(1)).unix_timestamp();
    let shaped = TokenBuilder::new()
        .claim("tid", "45ab2481-1c1c-4005-be24-0ffb879b1130")
        .claim("oid", "207ffef6-9444-41fb-92ab-20eacaae2768")
        .exp(exp)
        .build();
    let no_tid = TokenBuilder::new()
        .claim("oid", "207ffef6-9444-41fb-92ab-20eacaae2768")
        .exp(exp)
        .build();
    for garbage in ["opaque-garbage", no_tid.as_str(), "a.b.c"] {
        let answer = send(
            &emulator,
            Method::POST,
            entra,
            b"{}",
            Auth::Bearer(garbage.into()),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{garbage}");
        assert_eq!(answer.inner_code(), "InvalidToken");
    }
    let answer = send(&emulator, Method::POST, entra, b"{}", Auth::Bearer(shaped)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    // Garbage made no identity: only the one created with HMAC is stored; the exchanged one is
    // live without being stored.
    assert_eq!(emulator.identities().len(), 1);
    let exchanged = answer.json["identity"]["id"].as_str().unwrap();
    assert_eq!(
        emulator.identity_state(exchanged),
        Some(acs_emulator::IdentityState::Active)
    );

    // The default stays lenient (documented): a bearer token is taken on identity routes.
    let lenient = Emulator::start().await.unwrap();
    let answer = send(
        &lenient,
        Method::POST,
        CREATE,
        b"{}",
        Auth::Bearer("anything".into()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
}

/// 2 000 requests for 60 KB paths kept 120 MB (here 50 of them): 404s are no longer recorded, kept paths are cut,
/// and the record keeps only the latest requests.
#[tokio::test]
async fn the_request_record_is_bounded() {
    let emulator = Emulator::builder()
        .request_log_capacity(3)
        .start()
        .await
        .unwrap();
    let long = format!("/{}", "x".repeat(60 * 1024));
    let client = reqwest::Client::new();
    for _ in 0..50 {
        let url = format!("http://{}{long}", emulator.local_addr());
        let status = client.get(url).send().await.unwrap().status();
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert!(emulator.requests().is_empty());

    let long_identity = format!(
        "/identities/{}/:issueAccessToken?api-version=2025-06-30",
        "a".repeat(5000)
    );
    let answer = send(&emulator, Method::POST, &long_identity, b"{}", Auth::None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let recorded = &emulator.requests()[0];
    assert!(
        recorded.path.len() <= RECORDED_PATH_LIMIT,
        "{}",
        recorded.path.len()
    );
    assert!(recorded.path.starts_with("/identities/"));

    for _ in 0..5 {
        send(&emulator, Method::POST, CREATE, b"{}", hmac_now()).await;
    }
    let kept = emulator.requests();
    assert_eq!(kept.len(), 3);
    assert!(
        kept.iter()
            .all(|record| record.route == Some(Route::CreateIdentity))
    );
    assert_eq!(emulator.request_count(Route::CreateIdentity), 3);
}

/// Minted tokens are not remembered one by one: a token's status comes from its signature and
/// claims, so memory does not grow with tokens minted, and a forged or foreign token is unknown.
#[tokio::test]
async fn token_status_needs_no_per_token_memory() {
    let emulator = Emulator::start().await.unwrap();
    let other = Emulator::start().await.unwrap();
    let body = br#"{"createTokenWithScopes":["chat"]}"#;
    let mine = send(&emulator, Method::POST, CREATE, body, hmac_now()).await;
    let theirs = send(&other, Method::POST, CREATE, body, hmac_now()).await;
    let token = mine.json["accessToken"]["token"].as_str().unwrap();
    assert_eq!(emulator.token_status(token), TokenStatus::Valid);
    let foreign = theirs.json["accessToken"]["token"].as_str().unwrap();
    assert_eq!(emulator.token_status(foreign), TokenStatus::Unknown);
    // The payload of one, the signature of the other.
    let (head, _) = token.rsplit_once('.').unwrap();
    let (_, signature) = foreign.rsplit_once('.').unwrap();
    assert_eq!(
        emulator.token_status(&format!("{head}.{signature}")),
        TokenStatus::Unknown
    );
}
