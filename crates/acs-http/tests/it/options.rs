//! `HttpClientOptions`: how a shared client, a retry policy and timeouts combine, checked
//! against a server on 127.0.0.1 under tokio's paused clock.

use std::time::Duration;

use acs_http::test_util::{Reply, TestServer};
use acs_http::{HttpClient, HttpClientOptions, HttpError, RetryPolicy};
use tokio::time::Instant;

fn once() -> RetryPolicy {
    RetryPolicy::default().without_jitter().max_retries(0)
}

/// Sends one request to a server that never answers; the error and the time it took.
async fn time_out(http: &HttpClient) -> (HttpError, Duration) {
    let server = TestServer::start().await;
    server.respond_with(|_| Reply::never());
    let url = format!("{}/x", server.url());
    let start = Instant::now();
    let error = http
        .send(|c| c.get(&url).build())
        .await
        .expect_err("timeout");
    (error, start.elapsed())
}

#[test]
fn without_settings_the_client_has_the_default_retry_policy() {
    let http = HttpClientOptions::default().build().expect("client");

    assert_eq!(
        http.retry_policy().retries(),
        RetryPolicy::default().retries()
    );
}

#[tokio::test(start_paused = true)]
async fn a_new_client_gets_the_set_retry_policy_and_request_timeout() {
    let http = HttpClientOptions::default()
        .retry_policy(once())
        .request_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(1))
        .build()
        .expect("client");

    let (error, elapsed) = time_out(&http).await;

    assert!(
        matches!(error, HttpError::Timeout { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(elapsed, Duration::from_secs(2));
}

#[test]
fn a_shared_client_is_used_with_its_own_retry_policy() {
    let shared = HttpClient::builder()
        .retry_policy(RetryPolicy::default().max_retries(7))
        .build()
        .expect("client");

    let http = HttpClientOptions::default()
        .http_client(shared)
        .build()
        .expect("client");

    assert_eq!(http.retry_policy().retries(), 7);
}

#[tokio::test(start_paused = true)]
async fn a_shared_client_keeps_its_timeouts_and_takes_the_set_retry_policy() {
    let shared = HttpClient::builder()
        .request_timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::default().max_retries(7))
        .build()
        .expect("client");

    let http = HttpClientOptions::default()
        .http_client(shared)
        .retry_policy(once())
        .request_timeout(Duration::from_secs(1))
        .build()
        .expect("client");

    assert_eq!(http.retry_policy().retries(), 0);
    let (error, elapsed) = time_out(&http).await;
    assert!(
        matches!(error, HttpError::Timeout { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(elapsed, Duration::from_secs(5));
}
