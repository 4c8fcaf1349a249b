//! Every operation's method, path, api-version, headers and body on the wire, and how its answer
//! is read.

use acs_chat::{
    API_VERSION_2025_03_15, ChatClient, ChatError, ChatMessageType, ChatParticipant,
    ChatRetentionPolicy, CommunicationIdentifier, CreateChatThreadOptions, SendChatMessageOptions,
    UpdateChatMessageOptions, UpdateChatThreadOptions,
};
use acs_http::test_util::{RecordedRequest, Reply, TestServer};
use http::Method;
use serde_json::json;
use time::macros::datetime;

use crate::common::Inspect as _;
use crate::common::{
    THREAD_ID, THREAD_PATH, bearer, client, identifier_json, jwt, message_json, raw_id,
    static_credential, thread, thread_json,
};

fn user(n: u32) -> CommunicationIdentifier {
    CommunicationIdentifier::from_raw_id(&raw_id(n))
}

/// The checks every request passes: method, path, api-version, bearer token, Accept.
fn assert_request(request: &RecordedRequest, method: Method, path: &str) {
    assert_eq!(request.method, method);
    assert_eq!(request.path, path);
    assert_eq!(request.query.as_deref(), Some("api-version=2024-03-07"));
    assert_eq!(bearer(request), jwt(1));
    assert_eq!(request.header("accept"), Some("application/json"));
}

fn only_request(server: &TestServer) -> RecordedRequest {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one request expected");
    requests.into_iter().next().unwrap()
}

#[tokio::test]
async fn create_chat_thread_sends_topic_participants_and_a_uuid_repeatability_id() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(201, json!({"chatThread": thread_json()})));

    let result = client(&server)
        .create_chat_thread(
            CreateChatThreadOptions::new("Lunch")
                .participant(ChatParticipant::new(user(1)).display_name("User A"))
                .participant(
                    ChatParticipant::new(user(2))
                        .display_name("User B")
                        .share_history_time(datetime!(2020-01-01 01:00 +01:00)),
                ),
        )
        .await
        .expect("created");

    let request = only_request(&server);
    assert_request(&request, Method::POST, "/chat/threads");
    assert_eq!(request.header("content-type"), Some("application/json"));
    let id = request
        .header("repeatability-request-id")
        .expect("repeatability id");
    let uuid = uuid::Uuid::parse_str(id).expect("a UUID");
    assert_eq!(uuid.get_version_num(), 4);
    assert_eq!(
        request.json(),
        json!({
            "topic": "Lunch",
            "participants": [
                {"communicationIdentifier": {"rawId": raw_id(1), "communicationUser": {"id": raw_id(1)}}, "displayName": "User A"},
                {"communicationIdentifier": {"rawId": raw_id(2), "communicationUser": {"id": raw_id(2)}}, "displayName": "User B", "shareHistoryTime": "2020-01-01T00:00:00.000Z"},
            ]
        })
    );
    assert_eq!(result.thread.id, THREAD_ID);
    assert_eq!(result.thread.topic, "Lunch");
    assert_eq!(result.thread.created_by, user(1));
    assert_eq!(result.thread.created_on, datetime!(2024-05-01 10:00 UTC));
    assert!(result.failed_participants.is_empty());
}

#[tokio::test]
async fn create_chat_thread_sends_the_callers_idempotency_token_and_reports_invalid_participants() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(
        201,
        json!({
            "chatThread": thread_json(),
            "invalidParticipants": [
                {"target": raw_id(3), "code": "403", "message": "Permissions check failed"},
                {"target": raw_id(9), "code": "404", "message": "Not found"},
            ]
        }),
    ));
    let third = ChatParticipant::new(user(3)).display_name("C");

    let result = client(&server)
        .create_chat_thread(
            CreateChatThreadOptions::new("Lunch")
                .participants([ChatParticipant::new(user(1)), third.clone()])
                .idempotency_token("my-token-1"),
        )
        .await
        .expect("a partial failure is a result");

    let request = only_request(&server);
    assert_eq!(
        request.header("repeatability-request-id"),
        Some("my-token-1")
    );
    let failed = &result.failed_participants;
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].participant.as_ref(), Some(&third));
    assert_eq!(failed[0].target.as_deref(), Some(raw_id(3).as_str()));
    assert_eq!(failed[0].code(), Some("403"));
    assert_eq!(failed[0].status(), Some(http::StatusCode::FORBIDDEN));
    assert_eq!(failed[0].message(), Some("Permissions check failed"));
    assert_eq!(failed[0].identifier(), Some(user(3)));
    assert_eq!(result.retry_list(), vec![third.clone()]);
    // A target that matches no requested participant keeps the error, without a participant.
    assert_eq!(failed[1].participant, None);
    assert_eq!(failed[1].identifier(), Some(user(9)));
    assert_eq!(failed[1].status(), Some(http::StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn delete_chat_thread_percent_encodes_the_thread_id() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(204));

    client(&server)
        .delete_chat_thread(THREAD_ID)
        .await
        .expect("deleted");

    assert_request(&only_request(&server), Method::DELETE, THREAD_PATH);
}

#[tokio::test]
async fn properties_reads_seven_fraction_digits_offsets_and_2025_fields() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(
        200,
        json!({
            "id": THREAD_ID,
            "topic": "Lunch",
            "createdOn": "2020-06-25T17:44:37.6830000Z",
            "createdByCommunicationIdentifier": {"rawId": raw_id(1), "communicationUser": {"id": raw_id(1)}},
            "deletedOn": "2020-06-26T10:00:00+02:00",
            "metadata": {"room": "4"},
            "retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": 40},
            "someFutureField": true,
        }),
    ));

    let properties = thread(&server).properties().await.expect("properties");

    assert_request(&only_request(&server), Method::GET, THREAD_PATH);
    assert_eq!(
        properties.created_on,
        datetime!(2020-06-25 17:44:37.683 UTC)
    );
    assert_eq!(properties.deleted_on, Some(datetime!(2020-06-26 08:00 UTC)));
    assert_eq!(
        properties.metadata.get("room").map(String::as_str),
        Some("4")
    );
    assert_eq!(
        properties.retention_policy,
        Some(ChatRetentionPolicy::ThreadCreationDate {
            delete_thread_after_days: 40
        })
    );
}

#[tokio::test]
async fn an_unknown_retention_policy_kind_is_read_as_unknown() {
    let server = TestServer::start().await;
    let mut body = thread_json();
    body["retentionPolicy"] = json!({"kind": "somethingNew", "days": 3});
    server.enqueue(Reply::json(200, body));

    let properties = thread(&server).properties().await.expect("properties");

    assert_eq!(
        properties.retention_policy,
        Some(ChatRetentionPolicy::Unknown)
    );
}

#[tokio::test]
async fn update_topic_sends_a_merge_patch() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(204));

    thread(&server)
        .update_topic("Dinner")
        .await
        .expect("updated");

    let request = only_request(&server);
    assert_request(&request, Method::PATCH, THREAD_PATH);
    assert_eq!(
        request.header("content-type"),
        Some("application/merge-patch+json")
    );
    assert_eq!(request.json(), json!({"topic": "Dinner"}));
}

#[tokio::test]
async fn metadata_and_retention_policy_need_api_version_2025_03_15() {
    let server = TestServer::start().await;
    let old = thread(&server);
    let error = old
        .update_properties(UpdateChatThreadOptions::new().metadata([("a".into(), "b".into())]))
        .await
        .expect_err("2024-03-07 has no thread metadata");
    assert!(
        matches!(
            error,
            ChatError::UnsupportedByApiVersion {
                required: "2025-03-15",
                ..
            }
        ),
        "{error:?}"
    );
    let error = client(&server)
        .create_chat_thread(
            CreateChatThreadOptions::new("t").retention_policy(ChatRetentionPolicy::None),
        )
        .await
        .expect_err("2024-03-07 has no retention policy");
    assert!(matches!(error, ChatError::UnsupportedByApiVersion { .. }));
    assert_eq!(server.request_count(), 0);

    server.enqueue(Reply::status(204));
    server.enqueue(Reply::json(201, json!({"chatThread": thread_json()})));
    let newer = ChatClient::builder(&server.url(), static_credential())
        .api_version(API_VERSION_2025_03_15)
        .build()
        .unwrap();
    newer
        .chat_thread_client(THREAD_ID)
        .unwrap()
        .update_properties(
            UpdateChatThreadOptions::new()
                .topic("t2")
                .metadata([("a".into(), "b".into())])
                .retention_policy(ChatRetentionPolicy::ThreadCreationDate {
                    delete_thread_after_days: 30,
                }),
        )
        .await
        .expect("updated");
    newer
        .create_chat_thread(
            CreateChatThreadOptions::new("t")
                .metadata("k", "v")
                .retention_policy(ChatRetentionPolicy::None)
                .participant(ChatParticipant::new(user(1)).metadata("role", "host")),
        )
        .await
        .expect("created");

    let requests = server.requests();
    assert_eq!(requests[0].query.as_deref(), Some("api-version=2025-03-15"));
    assert_eq!(
        requests[0].json(),
        json!({"topic": "t2", "metadata": {"a": "b"}, "retentionPolicy": {"kind": "threadCreationDate", "deleteThreadAfterDays": 30}})
    );
    assert_eq!(
        requests[1].json(),
        json!({
            "topic": "t",
            "participants": [{"communicationIdentifier": {"rawId": raw_id(1), "communicationUser": {"id": raw_id(1)}}, "metadata": {"role": "host"}}],
            "metadata": {"k": "v"},
            "retentionPolicy": {"kind": "none"},
        })
    );
}

#[tokio::test]
async fn send_message_sends_content_type_display_name_and_metadata() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(201, json!({"id": "1700000000001"})));
    server.enqueue(Reply::json(201, json!({"id": "1700000000002"})));
    let thread = thread(&server);

    let sent = thread
        .send_message(
            SendChatMessageOptions::new("hi")
                .sender_display_name("User A")
                .metadata("k", "v"),
        )
        .await
        .expect("sent");
    thread
        .send_message(SendChatMessageOptions::new("<b>hi</b>").html())
        .await
        .expect("sent");

    assert_eq!(sent.id, "1700000000001");
    let requests = server.requests();
    assert_request(
        &requests[0],
        Method::POST,
        &format!("{THREAD_PATH}/messages"),
    );
    assert_eq!(
        requests[0].json(),
        json!({"content": "hi", "senderDisplayName": "User A", "type": "text", "metadata": {"k": "v"}})
    );
    assert_eq!(requests[0].header("repeatability-request-id"), None);
    assert_eq!(
        requests[1].json(),
        json!({"content": "<b>hi</b>", "type": "html"})
    );
}

#[tokio::test]
async fn get_update_and_delete_message() {
    let server = TestServer::start().await;
    let mut message = message_json(7);
    message["editedOn"] = json!("2024-05-01T11:00:00Z");
    message["metadata"] = json!({"k": "v"});
    server.enqueue(Reply::json(200, message));
    server.enqueue(Reply::status(204));
    server.enqueue(Reply::status(204));
    let thread = thread(&server);

    let message = thread.get_message("1700000000007").await.expect("message");
    thread
        .update_message(
            "1700000000007",
            UpdateChatMessageOptions::new()
                .content("edited")
                .metadata([("k".into(), "w".into())]),
        )
        .await
        .expect("updated");
    thread
        .delete_message("1700000000007")
        .await
        .expect("deleted");

    assert_eq!(message.id, "1700000000007");
    assert_eq!(message.message_type, ChatMessageType::Text);
    assert_eq!(message.sequence_number(), Some(7));
    assert_eq!(message.text(), Some("message 7"));
    assert_eq!(message.sender, Some(user(1)));
    assert_eq!(message.sender_display_name.as_deref(), Some("Ada"));
    assert_eq!(message.edited_on, Some(datetime!(2024-05-01 11:00 UTC)));
    assert_eq!(message.metadata.get("k").map(String::as_str), Some("v"));
    let requests = server.requests();
    let path = format!("{THREAD_PATH}/messages/1700000000007");
    assert_request(&requests[0], Method::GET, &path);
    assert_request(&requests[1], Method::PATCH, &path);
    assert_eq!(
        requests[1].header("content-type"),
        Some("application/merge-patch+json")
    );
    assert_eq!(
        requests[1].json(),
        json!({"content": "edited", "metadata": {"k": "w"}})
    );
    assert_request(&requests[2], Method::DELETE, &path);
}

#[tokio::test]
async fn system_messages_and_unknown_types_are_read() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(
        200,
        json!({
            "id": "1", "type": "participantAdded", "sequenceId": "1", "version": "1",
            "createdOn": "2024-05-01T10:00:00Z",
            "content": {
                "participants": [{"communicationIdentifier": identifier_json(2), "displayName": "B", "shareHistoryTime": "1970-01-01T00:00:00Z"}],
                "initiatorCommunicationIdentifier": identifier_json(1),
            },
        }),
    ));
    server.enqueue(Reply::json(
        200,
        json!({"id": "2", "type": "somethingNew", "sequenceId": "2", "version": "2", "createdOn": "2024-05-01T10:00:00Z"}),
    ));
    let thread = thread(&server);

    let added = thread.get_message("1").await.expect("message");
    let unknown = thread.get_message("2").await.expect("message");

    assert!(added.message_type.is_system());
    let content = added.content.expect("content");
    assert_eq!(content.participants[0].identifier, user(2));
    assert_eq!(
        content.participants[0].share_history_time,
        Some(time::OffsetDateTime::UNIX_EPOCH)
    );
    assert_eq!(content.initiator, Some(user(1)));
    assert_eq!(added.sender, None);
    assert_eq!(
        unknown.message_type,
        ChatMessageType::Other("somethingNew".into())
    );
}

#[tokio::test]
async fn add_participants_reports_a_clean_success_and_partial_failures() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(201, json!({})));
    server.enqueue(Reply::json(
        201,
        json!({"invalidParticipants": [{"target": raw_id(9), "code": "404", "message": "Not found"}]}),
    ));
    let thread = thread(&server);
    let ghost = ChatParticipant::new(user(9)).display_name("Ghost");

    let clean = thread
        .add_participants([ChatParticipant::new(user(2)).display_name("B")])
        .await
        .expect("added");
    let partial = thread
        .add_participants([ChatParticipant::new(user(3)), ghost.clone()])
        .await
        .expect("a partial failure is a result");

    assert!(clean.is_complete());
    assert!(!partial.is_complete());
    assert_eq!(partial.retry_list(), vec![ghost]);
    let requests = server.requests();
    assert_request(
        &requests[0],
        Method::POST,
        &format!("{THREAD_PATH}/participants/:add"),
    );
    assert_eq!(
        requests[0].json(),
        json!({"participants": [{"communicationIdentifier": {"rawId": raw_id(2), "communicationUser": {"id": raw_id(2)}}, "displayName": "B"}]})
    );
}

#[tokio::test]
async fn remove_participant_sends_the_bare_identifier_model() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(204));
    server.enqueue(Reply::status(204));
    let thread = thread(&server);

    thread.remove_participant(&user(2)).await.expect("removed");
    let phone = CommunicationIdentifier::from_raw_id("4:+14255550123");
    thread.remove_participant(&phone).await.expect("removed");

    let requests = server.requests();
    assert_request(
        &requests[0],
        Method::POST,
        &format!("{THREAD_PATH}/participants/:remove"),
    );
    assert_eq!(
        requests[0].json(),
        json!({"rawId": raw_id(2), "communicationUser": {"id": raw_id(2)}})
    );
    assert_eq!(
        requests[1].json(),
        json!({"rawId": "4:+14255550123", "phoneNumber": {"value": "+14255550123"}})
    );
}

#[tokio::test]
async fn typing_notification_and_read_receipt_bodies() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(200));
    server.enqueue(Reply::status(200));
    let thread = thread(&server);

    assert!(
        thread
            .send_typing_notification(Some("User A"))
            .await
            .unwrap()
    );
    thread
        .send_read_receipt("1700000000001")
        .await
        .expect("sent");

    let requests = server.requests();
    assert_request(&requests[0], Method::POST, &format!("{THREAD_PATH}/typing"));
    assert_eq!(requests[0].json(), json!({"senderDisplayName": "User A"}));
    assert_request(
        &requests[1],
        Method::POST,
        &format!("{THREAD_PATH}/readReceipts"),
    );
    assert_eq!(
        requests[1].json(),
        json!({"chatMessageId": "1700000000001"})
    );
}

#[tokio::test]
async fn a_typing_notification_without_a_name_sends_an_empty_object() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(200));

    assert!(
        thread(&server)
            .send_typing_notification(None)
            .await
            .unwrap()
    );

    assert_eq!(only_request(&server).json(), json!({}));
}

#[tokio::test]
async fn arguments_are_checked_before_sending() {
    let server = TestServer::start().await;
    let client = client(&server);
    let thread = thread(&server);

    let errors = [
        client
            .create_chat_thread(CreateChatThreadOptions::new("  "))
            .await
            .unwrap_err(),
        client
            .create_chat_thread(CreateChatThreadOptions::new("t").idempotency_token(""))
            .await
            .unwrap_err(),
        client.delete_chat_thread("").await.unwrap_err(),
        client.chat_thread_client("").unwrap_err(),
        thread.send_message("").await.unwrap_err(),
        thread.get_message("").await.unwrap_err(),
        thread.delete_message(" ").await.unwrap_err(),
        thread
            .update_message("1", UpdateChatMessageOptions::new().content(""))
            .await
            .unwrap_err(),
        thread.update_topic("").await.unwrap_err(),
        thread.add_participants([]).await.unwrap_err(),
        thread
            .add_participants([ChatParticipant::new(CommunicationIdentifier::from_raw_id(
                "",
            ))])
            .await
            .unwrap_err(),
        thread
            .remove_participant(&CommunicationIdentifier::from_raw_id(""))
            .await
            .unwrap_err(),
        thread.send_read_receipt("").await.unwrap_err(),
        thread
            .update_properties(
                UpdateChatThreadOptions::new().retention_policy(ChatRetentionPolicy::Unknown),
            )
            .await
            .unwrap_err(),
    ];
    for error in &errors {
        assert!(error.is_client_side(), "{error:?}");
        assert_eq!(error.status(), None);
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn a_share_history_time_whose_utc_is_past_year_9999_is_refused_not_a_panic() {
    let server = TestServer::start().await;
    let participant =
        ChatParticipant::new(user(2)).share_history_time(datetime!(9999-12-31 23:59 -01:00));
    let error = thread(&server)
        .add_participants([participant])
        .await
        .expect_err("refused");
    assert!(
        matches!(error, ChatError::InvalidArgument { .. }),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 0);
}
