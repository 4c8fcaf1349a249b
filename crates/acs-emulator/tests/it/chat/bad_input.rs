//! Malformed requests get the service's status and an error body, never a panic or a hang;
//! limits keep memory bounded with a clear 4xx.

use acs_emulator::ChatLimits;
use http::Method;
use serde_json::json;

use super::support::{Chat, participant, thread_path};

#[tokio::test]
async fn bad_json_and_wrong_types_are_400() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    let path = thread_path(&thread);
    let authorization = format!("Bearer {}", alice.token);
    let headers = [
        ("authorization", authorization.as_str()),
        ("content-type", "application/json"),
    ];
    let cases: Vec<(Method, String, &str)> = vec![
        (Method::POST, "/chat/threads".into(), "{"),
        (Method::POST, "/chat/threads".into(), "[]"),
        (Method::POST, "/chat/threads".into(), r#"{"topic":5}"#),
        (
            Method::POST,
            "/chat/threads".into(),
            r#"{"topic":"t","participants":{}}"#,
        ),
        (
            Method::POST,
            "/chat/threads".into(),
            r#"{"topic":"t","participants":[{"communicationIdentifier":"x"}]}"#,
        ),
        (Method::POST, format!("{path}/messages"), "not json"),
        (
            Method::POST,
            format!("{path}/messages"),
            r#"{"content":["x"]}"#,
        ),
        (
            Method::POST,
            format!("{path}/messages"),
            r#"{"content":"x","metadata":{"k":1}}"#,
        ),
        (
            Method::PATCH,
            path.clone(),
            r#"{"topic":null,"metadata":"x"}"#,
        ),
        (
            Method::POST,
            format!("{path}/readReceipts"),
            r#"{"chatMessageId":12}"#,
        ),
        (
            Method::POST,
            format!("{path}/participants/:remove"),
            r#"{"rawId":false}"#,
        ),
        (Method::POST, format!("{path}/typing"), "\u{0}"),
    ];
    for (method, route, body) in cases {
        let answer = chat
            .raw(
                method,
                &format!("{route}?api-version=2024-03-07"),
                &headers,
                body.as_bytes().to_vec(),
            )
            .await;
        answer.assert_error(400, "BadRequest", "InvalidRequestBody");
        assert_eq!(answer.json["error"]["target"], "body", "{route} {body}");
    }
}

#[tokio::test]
async fn missing_and_invalid_fields_are_400_naming_them() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    let path = thread_path(&thread);
    let cases = [
        (
            "/chat/threads".to_owned(),
            json!({}),
            "topic",
            "MissingField",
        ),
        (
            "/chat/threads".to_owned(),
            json!({ "topic": "  " }),
            "topic",
            "MissingField",
        ),
        (
            "/chat/threads".to_owned(),
            json!({ "topic": "t", "participants": [{}] }),
            "participants[0].communicationIdentifier",
            "InvalidIdentifier",
        ),
        (
            "/chat/threads".to_owned(),
            json!({ "topic": "t", "participants": [{ "communicationIdentifier": { "rawId": alice.id }, "shareHistoryTime": "soon" }] }),
            "participants[0].shareHistoryTime",
            "InvalidDateTime",
        ),
        (
            "/chat/threads".to_owned(),
            json!({ "topic": "x".repeat(1025) }),
            "topic",
            "TooLong",
        ),
        (
            format!("{path}/messages"),
            json!({}),
            "content",
            "MissingField",
        ),
        (
            format!("{path}/messages"),
            json!({ "content": "x", "type": "topicUpdated" }),
            "type",
            "InvalidMessageType",
        ),
        (
            format!("{path}/messages"),
            json!({ "content": "x".repeat(28 * 1024 + 1) }),
            "content",
            "MessageTooLarge",
        ),
        (
            format!("{path}/readReceipts"),
            json!({}),
            "chatMessageId",
            "MissingField",
        ),
        (
            format!("{path}/readReceipts"),
            json!({ "chatMessageId": "abc" }),
            "chatMessageId",
            "InvalidMessageId",
        ),
        (
            format!("{path}/participants/:add"),
            json!({}),
            "participants",
            "MissingField",
        ),
        (
            format!("{path}/participants/:remove"),
            json!({}),
            "body",
            "InvalidIdentifier",
        ),
        (
            format!("{path}/typing"),
            json!({ "senderDisplayName": "n".repeat(257) }),
            "senderDisplayName",
            "TooLong",
        ),
    ];
    for (route, body, target, inner) in cases {
        let answer = chat.post(&alice, &route, body).await;
        answer.assert_error(400, "BadRequest", inner);
        assert_eq!(answer.json["error"]["target"], target, "{}", answer.text);
    }
    chat.call(&alice, Method::PATCH, &path, Some(json!({ "topic": "" })))
        .await
        .assert_error(400, "BadRequest", "InvalidTopic");
}

#[tokio::test]
async fn unknown_messages_are_404() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    let path = thread_path(&thread);
    for message in ["1", "not-a-number", "99999999999999999999999"] {
        chat.get(&alice, &format!("{path}/messages/{message}"))
            .await
            .assert_error(404, "NotFound", "<none>");
        chat.call(
            &alice,
            Method::DELETE,
            &format!("{path}/messages/{message}"),
            None,
        )
        .await
        .assert_error(404, "NotFound", "<none>");
    }
    chat.post(
        &alice,
        &format!("{path}/readReceipts"),
        json!({ "chatMessageId": "1" }),
    )
    .await
    .assert_error(404, "NotFound", "<none>");
}

#[tokio::test]
async fn api_versions_are_checked() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let authorization = format!("Bearer {}", alice.token);
    let headers = [("authorization", authorization.as_str())];
    let missing = chat
        .raw(Method::GET, "/chat/threads", &headers, Vec::new())
        .await;
    missing.assert_error(400, "MissingApiVersionParameter", "<none>");
    for version in ["2099-01-01", "2023-10-01", "2021-04-05-preview6"] {
        let unknown = chat
            .raw(
                Method::GET,
                &format!("/chat/threads?api-version={version}"),
                &headers,
                Vec::new(),
            )
            .await;
        unknown.assert_error(400, "UnsupportedApiVersion", "<none>");
        assert_eq!(unknown.json["error"]["target"], "api-version");
    }
}

#[tokio::test]
async fn wrong_methods_and_paths_are_405_and_404() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let answer = chat.call(&alice, Method::PUT, "/chat/threads", None).await;
    answer.assert_error(405, "MethodNotAllowed", "<none>");
    let answer = chat.get(&alice, "/chat/threads/x/unknown").await;
    answer.assert_error(404, "NotFound", "<none>");
}

#[tokio::test]
async fn a_body_past_the_limit_is_413() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    let body = json!({ "content": "x".repeat(300 * 1024) });
    chat.post(&alice, &format!("{}/messages", thread_path(&thread)), body)
        .await
        .assert_error(413, "RequestBodyTooLarge", "<none>");
}

#[tokio::test]
async fn page_options_out_of_range_are_400() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    let path = thread_path(&thread);
    for query in [
        "maxPageSize=0",
        "maxPageSize=201",
        "maxPageSize=-1",
        "maxPageSize=x",
    ] {
        chat.get(&alice, &format!("{path}/messages?{query}"))
            .await
            .assert_error(400, "BadRequest", "InvalidPageSize");
    }
    chat.get(&alice, &format!("{path}/participants?skip=-1"))
        .await
        .assert_error(400, "BadRequest", "InvalidSkip");
    chat.get(&alice, &format!("{path}/messages?startTime=yesterday"))
        .await
        .assert_error(400, "BadRequest", "InvalidDateTime");
    for state in ["zz", "41", "3120"] {
        chat.get(&alice, &format!("{path}/messages?syncState={state}"))
            .await
            .assert_error(400, "BadRequest", "InvalidSyncState");
        chat.get(&alice, &format!("/chat/threads?syncState={state}"))
            .await
            .assert_error(400, "BadRequest", "InvalidSyncState");
    }
    // The largest page size is accepted.
    chat.get(&alice, &format!("{path}/messages?maxPageSize=200"))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn limits_answer_400_limit_exceeded() {
    let chat = Chat::with_limits(
        ChatLimits::default()
            .max_threads(1)
            .max_messages_per_thread(3)
            .max_participants_per_thread(2)
            .max_page_size(5),
    )
    .await;
    let alice = chat.user().await;
    let bob = chat.user().await;
    let carol = chat.user().await;
    let thread = chat.thread(&alice, &[&bob]).await;
    let path = thread_path(&thread);
    chat.post(&alice, "/chat/threads", json!({ "topic": "two" }))
        .await
        .assert_error(400, "BadRequest", "LimitExceeded");
    chat.post(
        &alice,
        &format!("{path}/participants/:add"),
        json!({ "participants": [participant(&carol.id)] }),
    )
    .await
    .assert_error(400, "BadRequest", "LimitExceeded");
    // Two system messages and one more fit.
    chat.send(&alice, &thread, "1").await;
    let full = chat
        .post(
            &alice,
            &format!("{path}/messages"),
            json!({ "content": "2" }),
        )
        .await;
    full.assert_error(400, "BadRequest", "LimitExceeded");
    assert!(
        full.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("3 messages per thread")
    );
    chat.get(&alice, &format!("{path}/messages?maxPageSize=6"))
        .await
        .assert_error(400, "BadRequest", "InvalidPageSize");
    // Deleting the thread frees room.
    chat.call(&alice, Method::DELETE, &path, None)
        .await
        .assert_status(204);
    chat.post(&alice, "/chat/threads", json!({ "topic": "two" }))
        .await
        .assert_status(201);
}

#[tokio::test]
async fn unemulated_acs_services_are_named_in_their_404() {
    let chat = Chat::start().await;
    for (path, service) in [
        ("/sms?api-version=2021-03-07", "SMS"),
        ("/rooms?api-version=2023-06-14", "Rooms"),
        (
            "/calling/callConnections?api-version=2023-10-15",
            "Call Automation",
        ),
        ("/emails:send?api-version=2023-03-31", "Email"),
        ("/phoneNumbers?api-version=2022-12-01", "Phone Numbers"),
        (
            "/chat/threads/19:x@thread.v2/images?api-version=2025-03-15",
            "Chat inline images",
        ),
    ] {
        let answer = chat.raw(Method::POST, path, &[], Vec::new()).await;
        answer.assert_error(404, "NotFound", "ServiceNotEmulated");
        let message = answer.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("ACS {service} service")),
            "{message}"
        );
        assert!(
            message.contains("Identity") && message.contains("Chat"),
            "{message}"
        );
    }
    let answer = chat.raw(Method::POST, "/nothing", &[], Vec::new()).await;
    answer.assert_error(404, "NotFound", "<none>");
}

#[tokio::test]
async fn a_share_history_time_whose_utc_is_past_year_9999_is_answered_not_a_panic() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let bob = chat.user().await;
    // Valid RFC 3339, but 9999-12-31T23:59:59-01:00 is in the year 10000 in UTC.
    let created = chat
        .post(
            &alice,
            "/chat/threads",
            json!({ "topic": "t", "participants": [
                { "communicationIdentifier": { "rawId": alice.id } },
                { "communicationIdentifier": { "rawId": bob.id }, "shareHistoryTime": "9999-12-31T23:59:59-01:00" },
            ] }),
        )
        .await;
    created.assert_error(400, "BadRequest", "InvalidDateTime");
    assert_eq!(
        created.json["error"]["target"],
        "participants[1].shareHistoryTime"
    );
    // Nothing was stored that could not be written back: the thread's lists answer.
    let thread = chat.thread(&alice, &[&bob]).await;
    let path = thread_path(&thread);
    chat.post(
        &alice,
        &format!("{path}/participants/:add"),
        json!({ "participants": [{ "communicationIdentifier": { "rawId": bob.id }, "shareHistoryTime": "9999-12-31T23:59:59-01:00" }] }),
    )
    .await
    .assert_error(400, "BadRequest", "InvalidDateTime");
    chat.get(
        &alice,
        &format!("{path}/messages?startTime=9999-12-31T23:59:59-01:00"),
    )
    .await
    .assert_error(400, "BadRequest", "InvalidDateTime");
    chat.get(&alice, &format!("{path}/participants"))
        .await
        .assert_status(200);
    chat.get(&alice, &format!("{path}/messages"))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_change_refused_by_a_limit_is_not_made() {
    let chat = Chat::with_limits(ChatLimits::default().max_messages_per_thread(3)).await;
    let alice = chat.user().await;
    let bob = chat.user().await;
    let carol = chat.user().await;
    let thread = chat.thread(&alice, &[&bob]).await;
    let path = thread_path(&thread);
    // Two system messages and one more: the thread is full, so no system message fits.
    chat.send(&alice, &thread, "1").await;
    let topic_before = chat.get(&alice, &path).await.json["topic"].clone();

    chat.call(
        &alice,
        Method::PATCH,
        &path,
        Some(json!({ "topic": "renamed" })),
    )
    .await
    .assert_error(400, "BadRequest", "LimitExceeded");
    chat.post(
        &alice,
        &format!("{path}/participants/:add"),
        json!({ "participants": [participant(&carol.id)] }),
    )
    .await
    .assert_error(400, "BadRequest", "LimitExceeded");
    chat.post(
        &alice,
        &format!("{path}/participants/:remove"),
        json!({ "rawId": bob.id }),
    )
    .await
    .assert_error(400, "BadRequest", "LimitExceeded");

    assert_eq!(chat.get(&alice, &path).await.json["topic"], topic_before);
    let members = chat.get(&alice, &format!("{path}/participants")).await;
    let mut ids: Vec<String> = members.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["communicationIdentifier"]["rawId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    let mut expected = vec![alice.id.clone(), bob.id.clone()];
    expected.sort();
    assert_eq!(ids, expected);
    // Carol was not added, so she cannot read the thread.
    chat.get(&carol, &path).await.assert_status(403);
}

#[tokio::test]
async fn an_edit_cannot_grow_a_message_past_its_size_limit() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    let path = thread_path(&thread);
    let sent = chat
        .post(
            &alice,
            &format!("{path}/messages"),
            json!({ "content": "x".repeat(20 * 1024), "metadata": { "k": "v".repeat(4 * 1024) } }),
        )
        .await;
    sent.assert_status(201);
    let message = format!("{path}/messages/{}", sent.json["id"].as_str().unwrap());
    // Each edit alone is small enough; the message it would make is not.
    for edit in [
        json!({ "metadata": { "k": "w".repeat(10 * 1024) } }),
        json!({ "content": "y".repeat(25 * 1024) }),
    ] {
        chat.call(&alice, Method::PATCH, &message, Some(edit))
            .await
            .assert_error(400, "BadRequest", "MessageTooLarge");
    }
    let kept = chat.get(&alice, &message).await;
    assert_eq!(
        kept.json["content"]["message"].as_str().map(str::len),
        Some(20 * 1024)
    );
    // An edit that keeps it within the limit is taken.
    chat.call(
        &alice,
        Method::PATCH,
        &message,
        Some(json!({ "content": "z".repeat(20 * 1024) })),
    )
    .await
    .assert_status(204);
}
