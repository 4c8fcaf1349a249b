//! Fault injection, the request log, and stopping.

use crate::common;

use std::time::Duration;

use crate::common::{Auth, control, encode, hmac_now, send};
use acs_emulator::{Emulator, Fault, Route, RunningEmulator};
use http::{Method, StatusCode};
use serde_json::json;

const CREATE: &str = "/identities?api-version=2025-06-30";

async fn create(emulator: &RunningEmulator) -> common::Answer {
    send(emulator, Method::POST, CREATE, b"{}", hmac_now()).await
}

#[tokio::test]
async fn a_status_fault_answers_n_times_then_the_route_works_again() {
    let emulator = Emulator::start().await.unwrap();
    let id = create(&emulator).await.json["identity"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    emulator.inject(
        Fault::status(503)
            .retry_after(Duration::ZERO)
            .times(2)
            .on(Route::IssueAccessToken),
    );
    assert_eq!(emulator.pending_faults(), 1);
    let path = format!(
        "/identities/{}/:issueAccessToken?api-version=2025-06-30",
        encode(&id)
    );
    let body = json!({"scopes": ["chat"]}).to_string();
    for _ in 0..2 {
        // Other routes are untouched by a fault aimed at one route.
        assert_eq!(create(&emulator).await.status, StatusCode::CREATED);
        let answer = send(&emulator, Method::POST, &path, body.as_bytes(), hmac_now()).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.headers["retry-after"], "0");
        assert_eq!(answer.error_code(), "ServiceUnavailable");
    }
    assert_eq!(emulator.pending_faults(), 0);
    let answer = send(&emulator, Method::POST, &path, body.as_bytes(), hmac_now()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!answer.headers.contains_key("retry-after"));
    assert_eq!(emulator.tokens_issued(&id), 1);

    let log: Vec<(Option<Route>, u16, bool)> = emulator
        .requests()
        .iter()
        .map(|record| (record.route, record.status.as_u16(), record.injected))
        .collect();
    let issue = Some(Route::IssueAccessToken);
    let create = Some(Route::CreateIdentity);
    assert_eq!(
        log,
        [
            (create, 201, false),
            (create, 201, false),
            (issue, 503, true),
            (create, 201, false),
            (issue, 503, true),
            (issue, 200, false),
        ]
    );
    assert_eq!(emulator.request_count(Route::IssueAccessToken), 3);
}

#[tokio::test]
async fn a_fault_is_answered_before_authentication_and_validation() {
    let emulator = Emulator::builder()
        .fault(Fault::status(429).retry_after(Duration::from_secs(7)))
        .start()
        .await
        .unwrap();
    let answer = send(&emulator, Method::POST, "/identities", b"{", Auth::None).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.headers["retry-after"], "7");
    assert_eq!(answer.error_code(), "TooManyRequests");
    // Used up: the same request now fails on its own merits.
    let answer = send(&emulator, Method::POST, "/identities", b"{", Auth::None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn faults_are_used_in_order_and_can_be_cleared() {
    let emulator = Emulator::start().await.unwrap();
    emulator.inject(Fault::status(500));
    emulator.inject(Fault::status(502).times(3));
    emulator.inject(Fault::status(504).times(0));
    assert_eq!(emulator.pending_faults(), 2);
    assert_eq!(
        create(&emulator).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(create(&emulator).await.status, StatusCode::BAD_GATEWAY);
    emulator.clear_faults();
    assert_eq!(emulator.pending_faults(), 0);
    assert_eq!(create(&emulator).await.status, StatusCode::CREATED);
}

#[tokio::test(start_paused = true)]
async fn a_delay_fault_holds_the_request_then_serves_it() {
    let emulator = Emulator::start().await.unwrap();
    emulator.inject(Fault::delay(Duration::from_secs(30)).on(Route::CreateIdentity));
    let started = tokio::time::Instant::now();
    let answer = create(&emulator).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert!(
        started.elapsed() >= Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(!emulator.requests()[0].injected);

    // A delay combined with a status.
    emulator.inject(Fault::status(503).with_delay(Duration::from_secs(5)));
    let started = tokio::time::Instant::now();
    assert_eq!(
        create(&emulator).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(started.elapsed() >= Duration::from_secs(5));
    let started = tokio::time::Instant::now();
    assert_eq!(create(&emulator).await.status, StatusCode::CREATED);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn faults_over_http() {
    let emulator = Emulator::start().await.unwrap();
    let fault =
        json!({"status": 429, "retryAfterSeconds": 2, "times": 1, "route": "createIdentity"});
    let answer = control(
        &emulator,
        Method::POST,
        "/_emulator/faults",
        fault.to_string().as_bytes(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    let limited = create(&emulator).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers["retry-after"], "2");
    assert_eq!(create(&emulator).await.status, StatusCode::CREATED);

    for bad in [
        json!({"status": 503, "route": "nope"}),
        json!({"times": 2}),
        json!({"status": 42}),
        json!({"status": 101}),
        json!({"status": 600}),
        json!({"delayMs": 18_446_744_073_709_551_615_u64, "times": 4_294_967_295_u32}),
        json!({"status": 503, "delayMs": 60_001}),
        json!({"status": 503, "times": 1001}),
        json!({"status": 503, "retryAfterSeconds": 3601}),
        json!({"status": 503, "extra": true}),
    ] {
        let answer = control(
            &emulator,
            Method::POST,
            "/_emulator/faults",
            bad.to_string().as_bytes(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let queue = json!({"status": 500, "times": 5});
    control(
        &emulator,
        Method::POST,
        "/_emulator/faults",
        queue.to_string().as_bytes(),
    )
    .await;
    assert_eq!(emulator.pending_faults(), 1);
    let cleared = control(&emulator, Method::DELETE, "/_emulator/faults", b"").await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    assert_eq!(emulator.pending_faults(), 0);
    assert_eq!(create(&emulator).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let emulator = Emulator::start().await.unwrap();
    let address = emulator.local_addr();
    assert_eq!(create(&emulator).await.status, StatusCode::CREATED);
    emulator.shutdown().await;
    assert!(tokio::net::TcpStream::connect(address).await.is_err());

    let emulator = Emulator::start().await.unwrap();
    let address = emulator.local_addr();
    drop(emulator);
    // The server task notices the signal at its next poll; give it that poll.
    let mut stopped = false;
    for _ in 0..100 {
        tokio::task::yield_now().await;
        if tokio::net::TcpStream::connect(address).await.is_err() {
            stopped = true;
            break;
        }
    }
    assert!(stopped, "the emulator still accepts connections after drop");
}

#[tokio::test]
async fn two_emulators_run_side_by_side() {
    let first = Emulator::start().await.unwrap();
    let second = Emulator::start().await.unwrap();
    assert_ne!(first.local_addr(), second.local_addr());
    assert_ne!(first.resource_id(), second.resource_id());
    assert_ne!(first.connection_string(), second.connection_string());
    let id = create(&first).await.json["identity"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(id.contains(first.resource_id()));
    assert!(second.identities().is_empty());
}
