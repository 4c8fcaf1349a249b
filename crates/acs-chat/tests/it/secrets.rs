//! No token text reaches Debug, Display, error text or a log line.

use acs_chat::{ChatClient, CreateChatThreadOptions, ListOptions};
use acs_http::test_util::{Reply, TestServer};
use acs_refresh::test_util::LogCapture;
use futures::TryStreamExt;
use serde_json::json;

use crate::common::{bearer, client_with, counting_credential, jwt, message_json, thread_json};

fn assert_free_of_tokens(text: &str) {
    for n in 1..=3 {
        let token = jwt(n);
        assert!(!text.contains(&token), "a token leaked into: {text}");
        // Not even its signature or payload part.
        for part in token.split('.').skip(1) {
            assert!(!text.contains(part), "a token part leaked into: {text}");
        }
    }
}

#[tokio::test]
async fn debug_display_errors_and_logs_hold_no_token() {
    let (logs, _guard) = LogCapture::install();
    let server = TestServer::start().await;
    let (credential, _) = counting_credential();
    let client = client_with(&server, credential.clone());
    let thread = client.chat_thread_client("19:x@thread.v2").unwrap();
    let mut seen = vec![
        format!("{client:?}"),
        format!("{thread:?}"),
        format!(
            "{:?}",
            ChatClient::builder(&server.url(), credential.clone())
        ),
    ];

    // Successes, retried failures, a 401 and malformed answers.
    server.enqueue(Reply::acs_error(503, "ServiceUnavailable", "later").header("retry-after", "0"));
    server.enqueue(Reply::json(201, json!({"chatThread": thread_json()})));
    let created = client
        .create_chat_thread(CreateChatThreadOptions::new("t"))
        .await
        .unwrap();
    seen.push(format!("{created:?}"));
    // Whatever is not scripted is refused with 401 (one or two requests, with a new token).
    server.respond_with(|_| Reply::acs_error(401, "Unauthorized", "Request is not authorized."));
    let error = thread.properties().await.unwrap_err();
    seen.push(format!("{error:?} {error}"));
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = source {
        seen.push(format!("{current} {current:?}"));
        source = current.source();
    }
    server.enqueue(Reply::json(
        200,
        json!({"value": [message_json(1)], "nextLink": "https://elsewhere.invalid/x"}),
    ));
    let error = thread
        .list_messages(ListOptions::new())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    seen.push(format!("{error:?} {error}"));
    server.enqueue(Reply::status(200).body("{\"value\": [tru"));
    let mut pages = thread.list_messages(ListOptions::new()).by_page();
    seen.push(format!("{pages:?}"));
    let error = pages.try_next().await.unwrap_err();
    seen.push(format!("{error:?} {error}"));

    // The test is only meaningful if tokens were on the wire.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| bearer(r).starts_with("ey"))
    );
    seen.push(logs.text());
    assert!(
        logs.text().contains("401"),
        "the 401 is logged: {}",
        logs.text()
    );
    for text in &seen {
        assert_free_of_tokens(text);
    }
}

#[tokio::test]
async fn a_journey_against_the_emulator_logs_no_token() {
    use acs_chat::{ChatParticipant, CommunicationTokenCredential};
    use acs_identity::{CommunicationIdentityClient, CommunicationTokenScope};

    let (logs, _guard) = LogCapture::install();
    let emulator = acs_emulator::Emulator::start().await.unwrap();
    let identity =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string()).unwrap();
    let (user, token) = identity
        .create_user_and_token([CommunicationTokenScope::Chat], None)
        .await
        .unwrap();
    let credential = CommunicationTokenCredential::with_refresh(
        acs_refresh::CommunicationTokenRefreshOptions::new(
            identity.refresher(user.clone(), [CommunicationTokenScope::Chat]),
        )
        .initial_token(token.clone()),
    );
    let chat = ChatClient::new(emulator.endpoint(), credential.clone()).unwrap();
    let created = chat
        .create_chat_thread(
            CreateChatThreadOptions::new("t").participant(ChatParticipant::new(user.clone())),
        )
        .await
        .unwrap();
    let thread = chat.chat_thread_client(created.thread.id.clone()).unwrap();
    thread.send_message("hi").await.unwrap();
    // A revoked token: a 401, a forced refresh, a resend.
    identity.revoke_tokens(&user).await.unwrap();
    thread.send_message("again").await.unwrap();
    let newer = credential.get_token().await.unwrap();
    let messages: Vec<_> = thread
        .list_messages(ListOptions::new().max_page_size(1))
        .try_collect()
        .await
        .unwrap();
    let mut seen = vec![
        logs.text(),
        format!("{chat:?} {thread:?} {messages:?} {created:?}"),
    ];
    let error = thread.get_message("nope").await.unwrap_err();
    seen.push(format!("{error:?} {error}"));

    assert_ne!(token.token(), newer.token(), "the 401 brought a new token");
    for text in &seen {
        for secret in [token.token(), newer.token()] {
            assert!(!text.contains(secret), "a token leaked into: {text}");
            let signature = secret.rsplit('.').next().unwrap();
            assert!(
                !text.contains(signature),
                "a token signature leaked into: {text}"
            );
        }
    }
}
