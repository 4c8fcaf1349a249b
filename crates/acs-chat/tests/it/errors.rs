//! Typed errors: ACS error code, message, status and request ids; malformed success answers;
//! endpoint and credential failures.

use acs_chat::{ChatClient, ChatError, ChatOperation, CreateChatThreadOptions, ServiceErrorSource};
use acs_http::test_util::{Reply, TestServer};
use serde_json::json;

use crate::common::Inspect as _;
use crate::common::{client, identifier_json, static_credential, thread, thread_json};

#[tokio::test]
async fn a_service_error_keeps_code_message_status_and_request_ids() {
    let server = TestServer::start().await;
    server.enqueue(
        Reply::acs_error(404, "NotFound", "The message was not found.")
            .header("x-ms-request-id", "req-404")
            .header("x-ms-client-request-id", "client-404"),
    );

    let error = thread(&server).get_message("42").await.expect_err("404");

    assert!(matches!(
        error,
        ChatError::Request {
            operation: ChatOperation::GetMessage,
            ..
        }
    ));
    assert_eq!(error.operation(), Some(ChatOperation::GetMessage));
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
    assert_eq!(error.code(), Some("NotFound"));
    assert_eq!(error.message(), Some("The message was not found."));
    assert_eq!(error.request_id(), Some("req-404"));
    assert_eq!(error.client_request_id(), Some("client-404"));
    assert_eq!(error.attempts(), Some(1));
    assert!(error.is_not_found());
    assert!(!error.is_client_side());
    assert_eq!(error.to_string(), "get_message failed: HTTP 404 NotFound");
    let source = std::error::Error::source(&error).expect("the HttpError");
    assert!(source.to_string().contains("The message was not found."));
    assert!(source.to_string().contains("req-404"));
    // The one way to the service's answer, also through a boxed error.
    let service = ServiceErrorSource::service_error(&error).expect("a service error");
    assert_eq!(service.status(), http::StatusCode::NOT_FOUND);
    assert_eq!(
        service.detail().and_then(|d| d.code.as_deref()),
        Some("NotFound")
    );
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
    assert_eq!(
        boxed.service_error().and_then(|e| e.request_id()),
        Some("req-404")
    );
}

#[tokio::test(start_paused = true)]
async fn a_throttled_answers_retry_after_is_reachable() {
    let server = TestServer::start().await;
    for _ in 0..4 {
        server.enqueue(
            Reply::acs_error(429, "TooManyRequests", "Rate limit exceeded.")
                .header("retry-after", "30"),
        );
    }

    let error = thread(&server).send_message("hi").await.unwrap_err();

    assert_eq!(
        ServiceErrorSource::retry_after(&error),
        Some(std::time::Duration::from_secs(30))
    );
}

#[tokio::test]
async fn a_removed_participant_gets_forbidden() {
    let server = TestServer::start().await;
    server.enqueue(Reply::acs_error(
        403,
        "Forbidden",
        "User is not allowed to perform specified action.",
    ));

    let mut pages = thread(&server).list_messages(Default::default()).by_page();
    let error = futures::TryStreamExt::try_next(&mut pages)
        .await
        .expect_err("403");

    assert!(error.is_unauthorized());
    assert_eq!(error.code(), Some("Forbidden"));
}

#[tokio::test]
async fn an_error_status_without_a_body_still_has_its_status() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(409).body("<html>conflict</html>"));

    let error = client(&server)
        .delete_chat_thread("19:x@thread.v2")
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(http::StatusCode::CONFLICT));
    assert_eq!(error.code(), None);
    assert_eq!(error.to_string(), "delete_chat_thread failed: HTTP 409");
}

#[tokio::test]
async fn a_created_thread_without_chat_thread_or_id_is_an_invalid_response() {
    let server = TestServer::start().await;
    server.enqueue(
        Reply::json(201, json!({"invalidParticipants": []})).header("x-ms-request-id", "r1"),
    );
    let mut empty_id = thread_json();
    empty_id["id"] = json!("");
    server.enqueue(Reply::json(201, json!({"chatThread": empty_id})));
    let client = client(&server);

    for expected in ["chatThread", "empty id"] {
        let error = client
            .create_chat_thread(CreateChatThreadOptions::new("t"))
            .await
            .expect_err("unusable answer");
        assert!(
            matches!(
                error,
                ChatError::InvalidResponse {
                    operation: ChatOperation::CreateChatThread,
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(error.status(), Some(http::StatusCode::CREATED));
        let source = std::error::Error::source(&error).unwrap().to_string();
        let cause = std::error::Error::source(std::error::Error::source(&error).unwrap())
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            source.contains(expected) || cause.contains(expected),
            "{source:?} / {cause:?} should mention {expected:?}"
        );
    }
}

#[tokio::test]
async fn a_sent_message_without_an_id_and_a_bad_identifier_are_invalid_responses() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(201, json!({})));
    server.enqueue(Reply::json(201, json!({"id": " "})));
    let mut thread_props = thread_json();
    thread_props["createdByCommunicationIdentifier"] = json!({"communicationUser": {}});
    server.enqueue(Reply::json(200, thread_props));
    let mut receipt = json!({"senderCommunicationIdentifier": identifier_json(1), "chatMessageId": "1", "readOn": "yesterday"});
    server.enqueue(Reply::json(200, json!({"value": [receipt.take()]})));
    let thread = thread(&server);

    for error in [
        thread.send_message("hi").await.unwrap_err(),
        thread.send_message("hi").await.unwrap_err(),
        thread.properties().await.unwrap_err(),
        futures::TryStreamExt::try_collect::<Vec<_>>(thread.list_read_receipts(Default::default()))
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(error, ChatError::InvalidResponse { .. }),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn endpoints_follow_the_acs_http_rules() {
    for (endpoint, expected) in [
        ("http://contoso.communication.azure.com", "InsecureHttp"),
        ("", "Empty"),
        (
            "https://user:pass@contoso.communication.azure.com",
            "Credentials",
        ),
        (
            "https://contoso.communication.azure.com/?x=1",
            "QueryOrFragment",
        ),
    ] {
        let error = ChatClient::new(endpoint, static_credential()).expect_err(endpoint);
        assert!(matches!(error, ChatError::Endpoint(_)), "{error:?}");
        assert!(format!("{error:?}").contains(expected), "{error:?}");
        assert!(!format!("{error:?} {error}").contains("pass"), "{error:?}");
    }
    assert!(ChatClient::new("http://127.0.0.1:8080", static_credential()).is_ok());
    assert!(
        ChatClient::new(
            "https://contoso.communication.azure.com",
            static_credential()
        )
        .is_ok()
    );
    let error = ChatClient::builder(
        "https://contoso.communication.azure.com",
        static_credential(),
    )
    .api_version(" ")
    .build()
    .unwrap_err();
    assert!(matches!(
        error,
        ChatError::InvalidArgument {
            argument: "api_version",
            ..
        }
    ));
}

#[tokio::test]
async fn a_closed_credential_is_a_credential_error_and_nothing_is_sent() {
    let server = TestServer::start().await;
    let credential = static_credential();
    let client = crate::common::client_with(&server, credential.clone());
    credential.close();

    let error = client
        .delete_chat_thread("19:x@thread.v2")
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            ChatError::Credential {
                operation: ChatOperation::DeleteChatThread,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn garbage_success_bodies_are_invalid_responses_for_every_operation_that_reads_one() {
    use futures::TryStreamExt;

    let bodies = [
        "",
        "null",
        "[]",
        "{",
        "\"text\"",
        "{\"value\":{},\"chatThread\":1,\"id\":2,\"invalidParticipants\":3}",
        "\u{0}\u{1}",
    ];
    let server = TestServer::start().await;
    let client = client(&server);
    let thread = thread(&server);
    for body in bodies {
        let reply = || {
            Reply::status(200)
                .header("content-type", "application/json")
                .body(body)
        };
        let mut errors = Vec::new();
        server.enqueue(reply());
        errors.push(
            client
                .create_chat_thread(CreateChatThreadOptions::new("t"))
                .await
                .map(drop),
        );
        server.enqueue(reply());
        errors.push(thread.properties().await.map(drop));
        server.enqueue(reply());
        errors.push(thread.send_message("hi").await.map(drop));
        server.enqueue(reply());
        errors.push(thread.get_message("1").await.map(drop));
        server.enqueue(reply());
        errors.push(
            thread
                .add_participants([acs_chat::ChatParticipant::new(
                    acs_chat::CommunicationIdentifier::from_raw_id("8:acs:r_u2"),
                )])
                .await
                .map(drop),
        );
        for list in 0..4 {
            server.enqueue(reply());
            let result = match list {
                0 => client
                    .list_chat_threads(Default::default())
                    .try_collect::<Vec<_>>()
                    .await
                    .map(drop),
                1 => thread
                    .list_messages(Default::default())
                    .try_collect::<Vec<_>>()
                    .await
                    .map(drop),
                2 => thread
                    .list_participants(Default::default())
                    .try_collect::<Vec<_>>()
                    .await
                    .map(drop),
                _ => thread
                    .list_read_receipts(Default::default())
                    .try_collect::<Vec<_>>()
                    .await
                    .map(drop),
            };
            errors.push(result);
        }
        for result in errors {
            let error = result.expect_err(body);
            assert!(
                matches!(error, ChatError::InvalidResponse { .. }),
                "{body:?}: {error:?}"
            );
            assert_eq!(error.status(), Some(http::StatusCode::OK));
        }
    }
}
