//! Retries, Retry-After, time bounds and typed errors, against a server on 127.0.0.1 under
//! tokio's paused clock (so every delay is exact and the tests take no real time).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use acs_http::test_util::{Reply, TestServer};
use acs_http::{HttpClient, HttpError, RetryPolicy, format_http_date};
use tokio::time::Instant;

fn client(policy: RetryPolicy) -> HttpClient {
    HttpClient::builder()
        .request_timeout(Duration::from_secs(5))
        .retry_policy(policy)
        .build()
        .expect("client")
}

fn exact() -> RetryPolicy {
    RetryPolicy::default().without_jitter()
}

async fn post(http: &HttpClient, server: &TestServer) -> Result<acs_http::Response, HttpError> {
    let url = format!("{}/identities?api-version=2025-06-30", server.url());
    http.send(|c| c.post(&url).json(&serde_json::json!({})).build())
        .await
}

fn gaps(server: &TestServer) -> Vec<Duration> {
    let requests = server.requests();
    requests
        .windows(2)
        .map(|pair| pair[1].received_at - pair[0].received_at)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn retries_retriable_statuses_with_exponential_delays_then_succeeds() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(503));
    server.enqueue(Reply::status(500));
    server.enqueue(Reply::status(408));
    server.enqueue(Reply::json(
        201,
        serde_json::json!({"identity": {"id": "8:acs:x"}}),
    ));
    let http = client(exact());

    let response = post(&http, &server).await.expect("success after retries");

    assert_eq!(response.status(), 201);
    assert_eq!(response.attempts(), 4);
    assert_eq!(server.request_count(), 4);
    assert_eq!(
        gaps(&server),
        [800, 1600, 3200].map(Duration::from_millis).to_vec()
    );
}

#[tokio::test(start_paused = true)]
async fn four_503s_fail_after_exactly_four_attempts() {
    let server = TestServer::start().await;
    for _ in 0..6 {
        server.enqueue(
            Reply::acs_error(503, "ServiceUnavailable", "try later")
                .header("retry-after", "0")
                .header("x-ms-request-id", "req-4"),
        );
    }
    let http = client(RetryPolicy::default());

    let error = post(&http, &server).await.expect_err("must fail");

    assert_eq!(server.request_count(), 4);
    let service = error.service_error().expect("service error");
    assert_eq!(service.status(), 503);
    assert_eq!(service.attempts(), 4);
    assert_eq!(error.attempts(), Some(4));
    assert_eq!(service.code(), Some("ServiceUnavailable"));
    assert_eq!(service.request_id(), Some("req-4"));
    // Retry-After: 0 means no wait at all.
    assert!(gaps(&server).iter().all(|gap| gap.is_zero()));
}

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_replaces_the_computed_delay() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(429).header("Retry-After", "7"));
    server.enqueue(Reply::status(200));
    let response = post(&client(exact()), &server).await.expect("success");
    assert_eq!(response.attempts(), 2);
    assert_eq!(gaps(&server), vec![Duration::from_secs(7)]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_milliseconds_headers_are_honoured() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(503).header("x-ms-retry-after-ms", "250"));
    server.enqueue(Reply::status(503).header("retry-after-ms", "1500"));
    server.enqueue(Reply::status(200));
    post(&client(exact()), &server).await.expect("success");
    assert_eq!(
        gaps(&server),
        vec![Duration::from_millis(250), Duration::from_millis(1500)]
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_http_date_is_honoured() {
    let server = TestServer::start().await;
    // The date has whole seconds, so the wait is between 4 and 5 s of the wall clock.
    let date =
        format_http_date(SystemTime::now() + Duration::from_secs(5)).expect("a 4-digit year");
    server.enqueue(Reply::status(503).header("retry-after", &date));
    server.enqueue(Reply::status(200));
    post(&client(exact()), &server).await.expect("success");
    let gap = gaps(&server)[0];
    assert!(
        gap > Duration::from_secs(3) && gap <= Duration::from_secs(5),
        "waited {gap:?} for {date}"
    );
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried_and_carry_the_acs_error() {
    for status in [400, 401, 403, 404] {
        let server = TestServer::start().await;
        server.enqueue(
            Reply::json(
                status,
                serde_json::json!({"error": {
                    "code": "BadRequest",
                    "message": "Invalid request.",
                    "target": "scopes",
                    "details": [{"code": "Inner", "message": "more"}],
                    "innererror": {"code": "InvalidScope", "innererror": {"code": "Deeper"}}
                }}),
            )
            .header("x-ms-request-id", "rid-1")
            .header("x-ms-client-request-id", "cid-1"),
        );
        let error = post(&client(exact()), &server)
            .await
            .expect_err("client error");
        assert_eq!(
            server.request_count(),
            1,
            "status {status} must not be retried"
        );
        let service = error.service_error().expect("service error");
        assert_eq!(service.status(), status);
        assert_eq!(service.code(), Some("BadRequest"));
        assert_eq!(service.message(), Some("Invalid request."));
        assert_eq!(service.request_id(), Some("rid-1"));
        assert_eq!(service.client_request_id(), Some("cid-1"));
        assert_eq!(service.attempts(), 1);
        // The same parts through the HttpError accessors higher-level errors delegate to.
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.code(), Some("BadRequest"));
        assert_eq!(error.message(), Some("Invalid request."));
        assert_eq!(error.request_id(), Some("rid-1"));
        assert_eq!(error.client_request_id(), Some("cid-1"));
        assert_eq!(error.attempts(), Some(1));
        assert_eq!(error.summary(), Some(format!("HTTP {status} BadRequest")));
        let detail = service.detail().expect("detail");
        assert_eq!(detail.target.as_deref(), Some("scopes"));
        assert_eq!(detail.details.len(), 1);
        let inner = detail.inner_error.as_ref().expect("innererror");
        assert_eq!(inner.code.as_deref(), Some("InvalidScope"));
        assert_eq!(
            inner.inner_error.as_ref().and_then(|i| i.code.as_deref()),
            Some("Deeper")
        );
        let text = error.to_string();
        assert!(
            text.contains("BadRequest") && text.contains("Invalid request."),
            "{text}"
        );
        assert!(text.contains("rid-1"), "{text}");
    }
}

#[tokio::test(start_paused = true)]
async fn error_code_header_is_used_when_the_body_has_none() {
    let server = TestServer::start().await;
    server.enqueue(
        Reply::status(409)
            .header("x-ms-error-code", "Conflict")
            .body("not json"),
    );
    let error = post(&client(exact()), &server).await.expect_err("conflict");
    let service = error.service_error().expect("service error");
    assert_eq!(service.code(), Some("Conflict"));
    assert_eq!(service.message(), None);
}

#[tokio::test(start_paused = true)]
async fn a_retry_that_would_pass_the_total_bound_is_not_made() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(503).header("retry-after", "30"));
    server.enqueue(Reply::status(200));
    let http = client(exact().total_timeout(Some(Duration::from_secs(10))));
    let start = Instant::now();

    let error = post(&http, &server).await.expect_err("gives up");

    assert_eq!(server.request_count(), 1);
    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "it must not sleep for nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn a_total_bound_too_large_for_the_clock_is_no_bound() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(503));
    server.enqueue(Reply::status(503));
    server.enqueue(Reply::status(200));
    let http = client(exact().total_timeout(Some(Duration::MAX)));
    let start = Instant::now();

    let response = post(&http, &server).await.expect("success after retries");

    assert_eq!(response.attempts(), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(800 + 1600));
}

#[tokio::test(start_paused = true)]
async fn huge_computed_delays_neither_panic_nor_pass_the_bound() {
    // Doubling and jitter on a delay of Duration::MAX would overflow; with a total bound the
    // retry cannot fit, so the first error comes back at once.
    let server = TestServer::start().await;
    server.enqueue(Reply::status(503));
    server.enqueue(Reply::status(200));
    let policy = RetryPolicy::default()
        .initial_delay(Duration::MAX)
        .max_delay(Duration::MAX)
        .total_timeout(Some(Duration::from_secs(60)));
    let start = Instant::now();

    let error = post(&client(policy), &server)
        .await
        .expect_err("the retry would pass the bound");

    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.request_count(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_without_a_bound_waits_on_the_paused_clock_without_panicking() {
    let server = TestServer::start().await;
    // About 1000 years (the longest Retry-After read): the paused clock jumps over it.
    server.enqueue(Reply::status(503).header("retry-after", "31536000000"));
    server.enqueue(Reply::status(200));
    let http = client(exact().total_timeout(None));

    let response = post(&http, &server).await.expect("success after the wait");

    assert_eq!(response.attempts(), 2);
    assert!(gaps(&server)[0] > Duration::from_secs(365 * 24 * 3600));
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_with_a_bound_is_not_waited_for() {
    let server = TestServer::start().await;
    server.enqueue(
        Reply::status(503)
            .header("retry-after", "31536000000")
            .header("x-ms-request-id", "r1"),
    );
    server.enqueue(Reply::status(200));
    let ten_years = Duration::from_secs(10 * 365 * 24 * 3600);
    let http = client(exact().total_timeout(Some(ten_years)));
    let start = Instant::now();

    let error = post(&http, &server).await.expect_err("503");

    assert_eq!(error.request_id(), Some("r1"));
    assert_eq!(server.request_count(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn an_attempt_in_flight_is_cut_off_at_the_total_bound() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(503));
    server.enqueue(Reply::status(200).delay(Duration::from_secs(4)));
    let http = HttpClient::builder()
        .request_timeout(Duration::from_secs(60))
        .retry_policy(exact().total_timeout(Some(Duration::from_secs(3))))
        .build()
        .expect("client");
    let start = Instant::now();

    let error = post(&http, &server).await.expect_err("deadline");

    assert!(
        matches!(error, HttpError::DeadlineExceeded { attempts: 2, .. }),
        "{error:?}"
    );
    assert!(error.is_timeout());
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_hits_the_request_timeout_on_every_attempt() {
    let server = TestServer::start().await;
    server.respond_with(|_| Reply::never());
    let http = client(exact().total_timeout(None));
    let start = Instant::now();

    let error = post(&http, &server).await.expect_err("timeout");

    assert!(
        matches!(error, HttpError::Timeout { attempts: 4, .. }),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 4);
    // 4 attempts of 5 s plus 0.8 + 1.6 + 3.2 s of back-off.
    assert_eq!(start.elapsed(), Duration::from_millis(4 * 5000 + 5600));
}

#[tokio::test(start_paused = true)]
async fn connection_refused_is_a_retried_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/x", listener.local_addr().expect("addr"));
    drop(listener);
    let http = client(exact());
    let built = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&built);

    let error = http
        .send(move |c| {
            counter.fetch_add(1, Ordering::SeqCst);
            c.get(&url).build()
        })
        .await
        .expect_err("refused");

    assert!(
        matches!(error, HttpError::Transport { attempts: 4, .. }),
        "{error:?}"
    );
    assert_eq!(
        built.load(Ordering::SeqCst),
        4,
        "one fresh request per attempt"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test(start_paused = true)]
async fn each_attempt_is_built_afresh() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(502));
    server.enqueue(Reply::status(200));
    let attempt = AtomicU32::new(0);
    let url = format!("{}/signed", server.url());
    let http = client(exact());
    http.send(|c| {
        let n = attempt.fetch_add(1, Ordering::SeqCst) + 1;
        c.post(&url)
            .header("x-signature", format!("sig-{n}"))
            .build()
    })
    .await
    .expect("success");
    let signatures: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.header("x-signature").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(signatures, ["sig-1", "sig-2"]);
}

#[tokio::test(start_paused = true)]
async fn a_builder_error_is_returned_without_sending() {
    let server = TestServer::start().await;
    let error = client(exact())
        .send(|_| Err::<reqwest::Request, _>("signer has no key"))
        .await
        .expect_err("builder error");
    assert!(
        matches!(error, HttpError::BuildRequest { attempt: 1, .. }),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn no_retries_policy_makes_one_attempt() {
    let server = TestServer::start().await;
    server.respond_with(|_| Reply::status(503));
    let error = post(&client(RetryPolicy::no_retries()), &server)
        .await
        .expect_err("503");
    assert_eq!(error.attempts(), Some(1));
    assert_eq!(server.request_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn jittered_delays_stay_within_twenty_percent() {
    let server = TestServer::start().await;
    for _ in 0..3 {
        server.enqueue(Reply::status(503));
    }
    server.enqueue(Reply::status(200));
    post(&client(RetryPolicy::default()), &server)
        .await
        .expect("success");
    for (gap, base) in gaps(&server).into_iter().zip([800u64, 1600, 3200]) {
        let base = Duration::from_millis(base);
        assert!(
            gap >= base.mul_f64(0.8) && gap <= base.mul_f64(1.2),
            "{gap:?} vs {base:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn send_json_decodes_and_reports_bad_bodies_without_echoing_them() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        count: u32,
    }
    let server = TestServer::start().await;
    server.enqueue(Reply::json(200, serde_json::json!({"count": 3})));
    server.enqueue(
        Reply::json(200, serde_json::json!({"count": "SECRET-VALUE-1234"}))
            .header("x-ms-request-id", "r9")
            .header("x-ms-client-request-id", "c9"),
    );
    server.enqueue(Reply::json(200, serde_json::json!({})));
    server.enqueue(Reply::status(200).body("{not json"));
    let http = client(exact());
    let url = format!("{}/x", server.url());

    let ok: Body = http
        .send_json(|c| c.get(&url).build())
        .await
        .expect("decodes");
    assert_eq!(ok.count, 3);

    let wrong_type = http
        .send_json::<Body, _, _>(|c| c.get(&url).build())
        .await
        .expect_err("type");
    let rendered = format!(
        "{wrong_type} {wrong_type:?} {}",
        std::error::Error::source(&wrong_type)
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(!rendered.contains("SECRET-VALUE"), "{rendered}");
    assert!(matches!(&wrong_type, HttpError::Decode { request_id: Some(id), .. } if id == "r9"));
    assert_eq!(wrong_type.request_id(), Some("r9"));
    assert_eq!(wrong_type.client_request_id(), Some("c9"));
    assert_eq!(wrong_type.code(), None);
    assert_eq!(wrong_type.summary(), None);
    assert!(
        wrong_type
            .to_string()
            .ends_with("[x-ms-request-id: r9, x-ms-client-request-id: c9]"),
        "{wrong_type}"
    );

    let missing = http
        .send_json::<Body, _, _>(|c| c.get(&url).build())
        .await
        .expect_err("missing");
    let source = std::error::Error::source(&missing)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(source.contains("missing field `count`"), "{source}");

    let syntax = http
        .send_json::<Body, _, _>(|c| c.get(&url).build())
        .await
        .expect_err("syntax");
    assert_eq!(syntax.status(), Some(http::StatusCode::OK));
}

#[tokio::test(start_paused = true)]
async fn errors_never_show_the_bearer_token() {
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.SECRETPAYLOAD.SECRETSIGNATURE";
    let server = TestServer::start().await;
    server.respond_with(|_| {
        Reply::acs_error(
            401,
            "InvalidAccessToken",
            "Provided access token is not valid.",
        )
    });
    let http = client(exact());
    let url = format!("{}/x", server.url());
    let unauthorized = http
        .send(|c| c.get(&url).bearer_auth(TOKEN).build())
        .await
        .expect_err("401");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let refused_url = format!("http://{}/x", listener.local_addr().expect("addr"));
    drop(listener);
    let refused = http
        .send(|c| c.get(&refused_url).bearer_auth(TOKEN).build())
        .await
        .expect_err("refused");

    for error in [unauthorized, refused] {
        let mut rendered = format!("{error} {error:?}");
        let mut source = std::error::Error::source(&error);
        while let Some(s) = source {
            rendered.push_str(&format!(" {s} {s:?}"));
            source = s.source();
        }
        assert!(!rendered.contains("SECRET"), "{rendered}");
    }
}
