//! Who may call what: tokens the emulator issued (signature, expiry, revocation, deleted
//! identity) and the three chat scopes.

use http::Method;
use serde_json::json;
use time::Duration;

use super::support::{Chat, User, participant, thread_path};

#[tokio::test]
async fn a_request_without_a_usable_bearer_token_is_401() {
    let chat = Chat::start().await;
    let url = "/chat/threads?api-version=2024-03-07";
    chat.raw(Method::GET, url, &[], Vec::new())
        .await
        .assert_error(401, "Unauthorized", "MissingAuthorization");
    for value in [
        "Bearer ",
        "Basic dXNlcjpwdw==",
        "HMAC-SHA256 SignedHeaders=x&Signature=y",
    ] {
        chat.raw(Method::GET, url, &[("authorization", value)], Vec::new())
            .await
            .assert_error(401, "Unauthorized", "MalformedAuthorization");
    }
    for token in ["not-a-jwt", "a.b.c"] {
        chat.raw(
            Method::GET,
            url,
            &[("authorization", &format!("Bearer {token}"))],
            Vec::new(),
        )
        .await
        .assert_error(401, "Unauthorized", "InvalidToken");
    }
    // The service's words.
    let answer = chat.raw(Method::GET, url, &[], Vec::new()).await;
    assert_eq!(
        answer.json["error"]["message"],
        "Request is not authorized."
    );
}

#[tokio::test]
async fn a_token_of_another_emulator_is_401() {
    let chat = Chat::start().await;
    let other = Chat::start().await;
    let stranger = other.user().await;
    chat.get(&stranger, "/chat/threads")
        .await
        .assert_error(401, "Unauthorized", "InvalidToken");
}

#[tokio::test]
async fn expired_revoked_and_deleted_users_tokens_are_401() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    chat.get(&alice, &thread_path(&thread))
        .await
        .assert_status(200);

    // The default lifetime is 24 hours, on the emulator's clock.
    chat.clock.advance(Duration::hours(24));
    chat.get(&alice, &thread_path(&thread))
        .await
        .assert_error(401, "Unauthorized", "TokenExpired");
    chat.clock.advance(Duration::hours(-24));

    let bob = chat.user().await;
    chat.revoke(&bob).await;
    chat.get(&bob, "/chat/threads")
        .await
        .assert_error(401, "Unauthorized", "TokenRevoked");

    let carol = chat.user().await;
    chat.delete_identity(&carol).await;
    chat.get(&carol, "/chat/threads")
        .await
        .assert_error(401, "Unauthorized", "IdentityDeleted");
}

#[tokio::test]
async fn a_token_without_a_chat_scope_is_403() {
    let chat = Chat::start().await;
    let caller = chat.user_with(&["voip"]).await;
    let answer = chat.get(&caller, "/chat/threads").await;
    answer.assert_error(403, "Forbidden", "MissingChatScope");
    assert_eq!(
        answer.json["error"]["message"],
        "User is not allowed to perform specified action."
    );
}

#[tokio::test]
async fn chat_join_cannot_create_update_or_delete_threads() {
    let chat = Chat::start().await;
    let host = chat.user().await;
    let guest = chat.user_with(&["chat.join"]).await;
    guest_may_not(
        &chat,
        &guest,
        Method::POST,
        "/chat/threads",
        Some(json!({ "topic": "t" })),
    )
    .await;
    let thread = chat.thread(&host, &[&guest]).await;
    let path = thread_path(&thread);
    guest_may_not(
        &chat,
        &guest,
        Method::PATCH,
        &path,
        Some(json!({ "topic": "x" })),
    )
    .await;
    guest_may_not(&chat, &guest, Method::DELETE, &path, None).await;
    // But it chats, and adds and removes participants.
    chat.send(&guest, &thread, "hi").await;
    let other = chat.user().await;
    chat.post(
        &guest,
        &format!("{path}/participants/:add"),
        json!({ "participants": [participant(&other.id)] }),
    )
    .await
    .assert_status(201);
    chat.post(
        &guest,
        &format!("{path}/participants/:remove"),
        json!({ "rawId": other.id }),
    )
    .await
    .assert_status(204);
}

#[tokio::test]
async fn chat_join_limited_cannot_add_or_remove_participants_either() {
    let chat = Chat::start().await;
    let host = chat.user().await;
    let guest = chat.user_with(&["chat.join.limited", "voip"]).await;
    let thread = chat.thread(&host, &[&guest]).await;
    let path = thread_path(&thread);
    let other = chat.user().await;
    guest_may_not(
        &chat,
        &guest,
        Method::POST,
        &format!("{path}/participants/:add"),
        Some(json!({ "participants": [participant(&other.id)] })),
    )
    .await;
    guest_may_not(
        &chat,
        &guest,
        Method::POST,
        &format!("{path}/participants/:remove"),
        Some(json!({ "rawId": host.id })),
    )
    .await;
    guest_may_not(
        &chat,
        &guest,
        Method::PATCH,
        &path,
        Some(json!({ "topic": "x" })),
    )
    .await;
    // Everything else works.
    let message = chat.send(&guest, &thread, "hi").await;
    chat.post(
        &guest,
        &format!("{path}/readReceipts"),
        json!({ "chatMessageId": message }),
    )
    .await
    .assert_status(200);
    chat.get(&guest, &format!("{path}/participants"))
        .await
        .assert_status(200);
    chat.post(&guest, &format!("{path}/typing"), json!({}))
        .await
        .assert_status(200);
}

async fn guest_may_not(
    chat: &Chat,
    guest: &User,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) {
    chat.call(guest, method, path, body)
        .await
        .assert_error(403, "Forbidden", "InsufficientScope");
}

#[tokio::test]
async fn non_participants_get_403_and_unknown_threads_404() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let mallory = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    let path = thread_path(&thread);
    let message = chat.send(&alice, &thread, "secret").await;
    for (method, route, body) in [
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), Some(json!({ "topic": "x" }))),
        (Method::DELETE, path.clone(), None),
        (Method::GET, format!("{path}/messages"), None),
        (
            Method::POST,
            format!("{path}/messages"),
            Some(json!({ "content": "x" })),
        ),
        (Method::GET, format!("{path}/messages/{message}"), None),
        (
            Method::PATCH,
            format!("{path}/messages/{message}"),
            Some(json!({ "content": "x" })),
        ),
        (Method::DELETE, format!("{path}/messages/{message}"), None),
        (Method::GET, format!("{path}/participants"), None),
        (
            Method::POST,
            format!("{path}/participants/:add"),
            Some(json!({ "participants": [participant(&mallory.id)] })),
        ),
        (
            Method::POST,
            format!("{path}/participants/:remove"),
            Some(json!({ "rawId": alice.id })),
        ),
        (Method::POST, format!("{path}/typing"), Some(json!({}))),
        (
            Method::POST,
            format!("{path}/readReceipts"),
            Some(json!({ "chatMessageId": message })),
        ),
        (Method::GET, format!("{path}/readReceipts"), None),
    ] {
        chat.call(&mallory, method, &route, body)
            .await
            .assert_error(403, "Forbidden", "NotAParticipant");
    }
    // Nothing changed.
    assert_eq!(chat.get(&alice, &path).await.json["topic"], "test");
    let unknown = thread_path("19:00000000000000000000000000000000@thread.v2");
    chat.get(&alice, &unknown)
        .await
        .assert_error(404, "NotFound", "<none>");
    chat.post(
        &alice,
        &format!("{unknown}/messages"),
        json!({ "content": "x" }),
    )
    .await
    .assert_error(404, "NotFound", "<none>");
    // A Mallory thread does not show Alice's.
    assert_eq!(
        chat.get(&mallory, "/chat/threads").await.json["value"],
        json!([])
    );
}

#[tokio::test]
async fn no_token_reaches_an_answer_or_the_request_log() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let (header, rest) = alice.token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let forged = User {
        id: alice.id.clone(),
        token: format!("{header}.{payload}.{}", "B".repeat(43)),
    };
    let thread = chat.thread(&alice, &[]).await;
    let mallory = chat.user().await;
    for answer in [
        chat.get(&forged, "/chat/threads").await,
        chat.get(&mallory, &thread_path(&thread)).await,
        chat.post(&alice, "/chat/threads", json!({ "topic": 1 }))
            .await,
    ] {
        for secret in [payload, signature, &mallory.token[..40]] {
            assert!(!answer.text.contains(secret), "{}", answer.text);
            assert!(!format!("{:?}", answer.headers).contains(secret));
        }
    }
    let log = format!("{:?}", chat.emulator.requests());
    assert!(!log.contains(payload) && !log.contains(signature));
    assert!(!format!("{:?}", chat.emulator).contains(payload));
}
