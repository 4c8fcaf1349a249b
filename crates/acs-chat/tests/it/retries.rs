//! Retries come from acs-http; the repeatability id stays across them; a 401 makes the client
//! ask the credential for a new token once.

use std::sync::atomic::Ordering;
use std::time::Duration;

use acs_chat::{ChatError, CreateChatThreadOptions};
use acs_http::test_util::{Reply, TestServer};
use serde_json::json;

use crate::common::Inspect as _;
use crate::common::{bearer, client, client_with, counting_credential, jwt, thread, thread_json};

fn gaps(server: &TestServer) -> Vec<Duration> {
    server
        .requests()
        .windows(2)
        .map(|pair| pair[1].received_at - pair[0].received_at)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_retried_create_resends_the_same_repeatability_id_and_token() {
    let server = TestServer::start().await;
    server.enqueue(Reply::acs_error(503, "ServiceUnavailable", "later"));
    server.enqueue(Reply::status(500));
    server.enqueue(Reply::json(201, json!({"chatThread": thread_json()})));
    let client = client(&server);

    client
        .create_chat_thread(CreateChatThreadOptions::new("t"))
        .await
        .expect("created after retries");
    client
        .create_chat_thread(CreateChatThreadOptions::new("t"))
        .await
        .expect_err("nothing scripted: 404");

    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    let ids: Vec<_> = requests
        .iter()
        .map(|r| r.header("repeatability-request-id").unwrap().to_owned())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_ne!(ids[2], ids[3], "each create call has its own id");
    let client_ids: Vec<_> = requests
        .iter()
        .map(|r| r.header("x-ms-client-request-id").unwrap().to_owned())
        .collect();
    uuid::Uuid::parse_str(&client_ids[0]).expect("a UUID");
    assert_eq!(
        client_ids[0], client_ids[2],
        "one operation, one client request id"
    );
    assert_ne!(client_ids[2], client_ids[3]);
    assert!(requests.iter().all(|r| bearer(r) == jwt(1)));
    assert_eq!(
        gaps(&server)[..2],
        [Duration::from_millis(800), Duration::from_millis(1600)]
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_on_429_is_honoured_and_the_last_error_is_returned() {
    let server = TestServer::start().await;
    for _ in 0..4 {
        server.enqueue(
            Reply::acs_error(429, "TooManyRequests", "Rate limit exceeded.")
                .header("retry-after", "7"),
        );
    }

    let error = thread(&server).send_message("hi").await.unwrap_err();

    assert_eq!(error.status(), Some(http::StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(error.attempts(), Some(4));
    assert_eq!(gaps(&server), vec![Duration::from_secs(7); 3]);
}

#[tokio::test(start_paused = true)]
async fn a_401_with_a_fixed_token_is_returned_after_one_request() {
    let server = TestServer::start().await;
    server.enqueue(Reply::acs_error(
        401,
        "Unauthorized",
        "Request is not authorized.",
    ));

    let error = thread(&server).properties().await.unwrap_err();

    assert!(matches!(error, ChatError::Request { .. }), "{error:?}");
    assert_eq!(error.status(), Some(http::StatusCode::UNAUTHORIZED));
    assert_eq!(error.code(), Some("Unauthorized"));
    assert!(error.to_string().contains("HTTP 401 Unauthorized"));
    assert_eq!(server.request_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_401_forces_one_refresh_and_the_request_is_resent_with_the_new_token() {
    let server = TestServer::start().await;
    server.enqueue(Reply::acs_error(
        401,
        "Unauthorized",
        "Request is not authorized.",
    ));
    server.enqueue(Reply::json(201, json!({"chatThread": thread_json()})));
    let (credential, calls) = counting_credential();
    let client = client_with(&server, credential);

    client
        .create_chat_thread(CreateChatThreadOptions::new("t"))
        .await
        .expect("created with the new token");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(bearer(&requests[0]), jwt(1));
    assert_eq!(bearer(&requests[1]), jwt(2));
    assert_eq!(
        requests[0].header("repeatability-request-id"),
        requests[1].header("repeatability-request-id"),
        "the resend is the same create"
    );
    assert_eq!(
        requests[0].header("x-ms-client-request-id"),
        requests[1].header("x-ms-client-request-id"),
        "and the same operation in the service's logs"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_second_401_is_returned_as_the_error() {
    let server = TestServer::start().await;
    server.enqueue(Reply::acs_error(401, "Unauthorized", "first"));
    server.enqueue(Reply::acs_error(401, "Unauthorized", "second"));
    let (credential, calls) = counting_credential();
    let thread = client_with(&server, credential)
        .chat_thread_client("19:x@thread.v2")
        .unwrap();

    let error = thread.properties().await.unwrap_err();

    assert_eq!(error.status(), Some(http::StatusCode::UNAUTHORIZED));
    assert_eq!(error.message(), Some("second"));
    assert_eq!(server.request_count(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn concurrent_401s_with_the_same_token_share_one_refresh() {
    let server = TestServer::start().await;
    let refused = format!("Bearer {}", jwt(1));
    server.respond_with(move |request| {
        if request.header("authorization") == Some(refused.as_str()) {
            Reply::acs_error(401, "Unauthorized", "old token")
        } else {
            Reply::status(204)
        }
    });
    let (credential, calls) = counting_credential();
    let client = client_with(&server, credential);

    let deletes = (0..8).map(|i| {
        let client = client.clone();
        async move {
            client
                .delete_chat_thread(&format!("19:{i}@thread.v2"))
                .await
        }
    });
    for result in futures::future::join_all(deletes).await {
        result.expect("deleted with the refreshed token");
    }

    // One refresh for the first token, one forced refresh shared by all eight 401s.
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 16);
    assert_eq!(requests.iter().filter(|r| bearer(r) == jwt(2)).count(), 8);
}

#[tokio::test(start_paused = true)]
async fn a_token_refreshed_between_retries_is_used_by_the_next_attempt() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(503));
    server.enqueue(Reply::status(204));
    let (credential, _) = counting_credential();
    let client = client_with(&server, credential.clone());
    let first = credential.get_token().await.unwrap();

    // Between the attempts, another request gets the token refused and replaces it.
    let replace = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        credential.refresh_rejected(&first).await.unwrap()
    };
    let (deleted, replaced) = tokio::join!(client.delete_chat_thread("19:x@thread.v2"), replace);

    deleted.expect("deleted on the retry");
    let requests = server.requests();
    assert_eq!(bearer(&requests[0]), jwt(1));
    assert_eq!(bearer(&requests[1]), replaced.token());
    assert_eq!(replaced.token(), jwt(2));
}

#[tokio::test(start_paused = true)]
async fn a_refresher_failure_after_a_401_is_a_credential_error() {
    let server = TestServer::start().await;
    server.respond_with(|_| Reply::acs_error(401, "Unauthorized", "no"));
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = std::sync::Arc::clone(&calls);
    let refresher = move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Ok(jwt(1))
            } else {
                Err(std::io::Error::other("the token service is down"))
            }
        }
    };
    let credential = acs_chat::CommunicationTokenCredential::with_refresh(
        acs_refresh::CommunicationTokenRefreshOptions::new(refresher),
    );
    let client = client_with(&server, credential);

    let error = client
        .delete_chat_thread("19:x@thread.v2")
        .await
        .unwrap_err();

    assert!(matches!(error, ChatError::Credential { .. }), "{error:?}");
    assert_eq!(server.request_count(), 1);
}
