//! `x-ms-client-request-id` on every attempt, in errors, and the one way to the service error
//! (`ServiceErrorSource`), `Retry-After` included.

use std::time::Duration;

use acs_http::test_util::{Reply, TestServer};
use acs_http::{HttpClient, HttpError, RetryPolicy, ServiceError, ServiceErrorSource};
use http::StatusCode;

fn client(policy: RetryPolicy) -> HttpClient {
    HttpClient::builder()
        .request_timeout(Duration::from_secs(5))
        .retry_policy(policy.without_jitter())
        .build()
        .expect("client")
}

async fn post(http: &HttpClient, server: &TestServer) -> Result<acs_http::Response, HttpError> {
    let url = format!("{}/identities", server.url());
    http.send(|c| c.post(&url).body("{}").build()).await
}

fn sent_ids(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            r.header("x-ms-client-request-id")
                .expect("every attempt carries x-ms-client-request-id")
                .to_owned()
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn every_attempt_of_one_operation_sends_the_same_fresh_uuid() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(503));
    server.enqueue(Reply::status(500));
    server.enqueue(Reply::status(200));
    server.enqueue(Reply::status(200));
    let http = client(RetryPolicy::default());

    let first = post(&http, &server).await.expect("first operation");
    let second = post(&http, &server).await.expect("second operation");

    let ids = sent_ids(&server);
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_ne!(ids[2], ids[3], "each operation gets its own id");
    for id in &ids {
        let parsed = uuid::Uuid::parse_str(id).expect("a UUID");
        assert_eq!(parsed.get_version_num(), 4);
    }
    // The test server does not echo the id: the response still reports the one sent.
    assert_eq!(first.client_request_id(), Some(ids[0].as_str()));
    assert_eq!(second.client_request_id(), Some(ids[3].as_str()));
}

#[tokio::test(start_paused = true)]
async fn a_service_error_carries_the_sent_id_when_the_service_does_not_echo_it() {
    let server = TestServer::start().await;
    server.enqueue(Reply::acs_error(404, "IdentityNotFound", "gone"));
    let error = post(&client(RetryPolicy::default()), &server)
        .await
        .expect_err("404");
    let sent = &sent_ids(&server)[0];
    assert_eq!(error.client_request_id(), Some(sent.as_str()));
    assert_eq!(
        error
            .service_error()
            .and_then(ServiceError::client_request_id),
        Some(sent.as_str())
    );
    assert!(error.to_string().contains(sent.as_str()), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_without_any_response_carries_the_sent_id() {
    let server = TestServer::start().await;
    server.respond_with(|_| Reply::never());
    let error = post(
        &client(RetryPolicy::default().max_retries(1).total_timeout(None)),
        &server,
    )
    .await
    .expect_err("timeout");
    assert!(matches!(error, HttpError::Timeout { .. }), "{error:?}");
    let ids = sent_ids(&server);
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
    assert_eq!(error.client_request_id(), Some(ids[0].as_str()));
    assert!(error.to_string().contains(ids[0].as_str()), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_deadline_and_a_refused_connection_carry_the_id() {
    let server = TestServer::start().await;
    server.respond_with(|_| Reply::never());
    let error = post(
        &client(RetryPolicy::default().total_timeout(Some(Duration::from_secs(1)))),
        &server,
    )
    .await
    .expect_err("deadline");
    assert!(
        matches!(error, HttpError::DeadlineExceeded { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.client_request_id(),
        Some(sent_ids(&server)[0].as_str())
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/x", listener.local_addr().expect("addr"));
    drop(listener);
    let error = client(RetryPolicy::no_retries())
        .send(|c| c.get(&url).build())
        .await
        .expect_err("refused");
    assert!(matches!(error, HttpError::Transport { .. }), "{error:?}");
    let id = error
        .client_request_id()
        .expect("an id though nothing answered");
    uuid::Uuid::parse_str(id).expect("a UUID");
}

#[tokio::test(start_paused = true)]
async fn an_id_set_by_the_builder_is_kept_and_reported() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(503));
    server.enqueue(Reply::status(400));
    let url = format!("{}/x", server.url());
    let error = client(RetryPolicy::default())
        .send(|c| {
            c.post(&url)
                .header("x-ms-client-request-id", "my-own-id")
                .build()
        })
        .await
        .expect_err("400");
    assert_eq!(sent_ids(&server), ["my-own-id", "my-own-id"]);
    assert_eq!(error.client_request_id(), Some("my-own-id"));
}

#[tokio::test(start_paused = true)]
async fn an_echoed_id_is_what_the_error_reports() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(409).header("x-ms-client-request-id", "echoed"));
    let error = post(&client(RetryPolicy::default()), &server)
        .await
        .expect_err("409");
    assert_eq!(error.client_request_id(), Some("echoed"));
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_300_reports_the_delay() {
    let server = TestServer::start().await;
    server.respond_with(|_| {
        Reply::acs_error(429, "TooManyRequests", "slow down").header("retry-after", "300")
    });
    // The delay passes the default 120 s total bound: one attempt, then the 429 comes back.
    let error = post(&client(RetryPolicy::default()), &server)
        .await
        .expect_err("429");
    assert_eq!(server.request_count(), 1);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(300)));
    let service = ServiceErrorSource::service_error(&error).expect("service error");
    assert_eq!(service.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(service.retry_after(), Some(Duration::from_secs(300)));
    assert!(error.to_string().contains("retry after 300s"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_kept_only_for_429_and_503() {
    for (status, expected) in [
        (429, Some(Duration::from_secs(2))),
        (503, Some(Duration::from_secs(2))),
        (500, None),
        (400, None),
    ] {
        let server = TestServer::start().await;
        server.respond_with(move |_| Reply::status(status).header("retry-after", "2"));
        let error = post(&client(RetryPolicy::no_retries()), &server)
            .await
            .expect_err("error status");
        assert_eq!(error.retry_after(), expected, "status {status}");
    }
}

#[derive(Debug, thiserror::Error)]
#[error("outer")]
struct Outer(#[source] Middle);

#[derive(Debug, thiserror::Error)]
#[error("middle")]
struct Middle(#[source] HttpError);

#[derive(Debug, thiserror::Error)]
#[error("bare")]
struct Bare(#[source] ServiceError);

#[derive(Debug, thiserror::Error)]
#[error("boxed")]
struct Boxed(#[source] Box<ServiceError>);

#[test]
fn the_service_error_is_found_through_any_source_chain() {
    let throttled = ServiceError::new(StatusCode::TOO_MANY_REQUESTS)
        .with_retry_after(Duration::from_secs(300))
        .with_client_request_id("cid");
    let error = Outer(Middle(HttpError::from(throttled.clone())));
    assert_eq!(error.service_error(), Some(&throttled));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(300)));

    // Through the boxed forms a credential or refresher hands on.
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
    assert_eq!(boxed.service_error(), Some(&throttled));
    assert_eq!(boxed.retry_after(), Some(Duration::from_secs(300)));
    let plain: &(dyn std::error::Error + 'static) = &*boxed;
    assert_eq!(
        plain.service_error().and_then(|e| e.client_request_id()),
        Some("cid")
    );

    // A bare ServiceError, itself or as a source.
    assert_eq!(
        ServiceErrorSource::service_error(&throttled),
        Some(&throttled)
    );
    assert_eq!(Bare(throttled.clone()).service_error(), Some(&throttled));
    assert_eq!(
        Boxed(Box::new(throttled.clone())).service_error(),
        Some(&throttled)
    );
}

#[test]
fn errors_without_a_service_answer_have_none() {
    let io = std::io::Error::other("disk full");
    assert!(io.service_error().is_none());
    assert!(io.retry_after().is_none());
    let endpoint = HttpError::from(acs_http::EndpointError::Empty);
    assert!(ServiceErrorSource::service_error(&endpoint).is_none());
    assert_eq!(endpoint.client_request_id(), None);
    let boxed: Box<dyn std::error::Error + Send + Sync> = "a plain message".into();
    assert!(boxed.service_error().is_none());
}

/// An error whose `source()` is itself (a bug in some error type: a cycle), counting the
/// steps taken along its chain. After `CUT` steps it ends the chain, so that a walk without a
/// bound fails the test below instead of spinning forever.
#[derive(Debug, Default)]
struct CyclicError(std::sync::atomic::AtomicUsize);

impl CyclicError {
    const CUT: usize = 100_000;
}

impl std::fmt::Display for CyclicError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an error that is its own source")
    }
}

impl std::error::Error for CyclicError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let steps = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (steps < Self::CUT).then_some(self as &(dyn std::error::Error + 'static))
    }
}

#[test]
fn a_source_chain_that_loops_is_walked_a_bounded_number_of_steps() {
    let cyclic = CyclicError::default();
    assert!(cyclic.service_error().is_none());
    assert!(cyclic.retry_after().is_none());
    let steps = cyclic.0.load(std::sync::atomic::Ordering::SeqCst);
    assert!(steps < 1000, "walked {steps} steps of the cycle");
}

#[tokio::test(start_paused = true)]
async fn a_callers_own_id_is_sent_on_every_attempt_even_when_only_its_first_request_sets_it() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(503));
    server.enqueue(Reply::status(503));
    let http = client(RetryPolicy::default().max_retries(1));
    let url = format!("{}/identities", server.url());
    let attempts = std::sync::atomic::AtomicUsize::new(0);
    let error = http
        .send(|c| {
            let mut request = c.post(&url).body("{}");
            if attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                request = request.header("x-ms-client-request-id", "the-callers-id");
            }
            request.build()
        })
        .await
        .expect_err("503 twice");
    assert_eq!(sent_ids(&server), ["the-callers-id", "the-callers-id"]);
    assert_eq!(error.client_request_id(), Some("the-callers-id"));
}
