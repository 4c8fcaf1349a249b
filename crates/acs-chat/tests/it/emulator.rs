//! End to end against the in-process emulator's chat service: the whole journey of the
//! reference's checklist, idempotent create, and a revoked token replaced after a 401.

use crate::common::Inspect as _;
use acs_chat::{
    ChatClient, ChatMessageType, ChatParticipant, CommunicationIdentifier,
    CommunicationTokenCredential, CreateChatThreadOptions, ListOptions, SendChatMessageOptions,
    UpdateChatMessageOptions,
};
use acs_emulator::{Emulator, RunningEmulator};
use acs_identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_refresh::CommunicationTokenRefreshOptions;
use futures::TryStreamExt;

struct User {
    id: CommunicationIdentifier,
    chat: ChatClient,
}

async fn user(emulator: &RunningEmulator, identity: &CommunicationIdentityClient) -> User {
    let (user, token) = identity
        .create_user_and_token([CommunicationTokenScope::Chat], None)
        .await
        .expect("user");
    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(
            identity.refresher(user.clone(), [CommunicationTokenScope::Chat]),
        )
        .initial_token(token),
    );
    User {
        id: user.into(),
        chat: ChatClient::new(emulator.endpoint(), credential).expect("chat client"),
    }
}

async fn set_up() -> (RunningEmulator, CommunicationIdentityClient, User, User) {
    let emulator = Emulator::start().await.expect("emulator");
    let identity =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
            .expect("identity client");
    let ada = user(&emulator, &identity).await;
    let grace = user(&emulator, &identity).await;
    (emulator, identity, ada, grace)
}

#[tokio::test]
async fn the_whole_journey_against_the_emulator() {
    let (_emulator, _identity, ada, grace) = set_up().await;

    let created = ada
        .chat
        .create_chat_thread(
            CreateChatThreadOptions::new("chat check")
                .participant(ChatParticipant::new(ada.id.clone()).display_name("User A"))
                .participant(
                    ChatParticipant::new(grace.id.clone())
                        .display_name("User B")
                        .share_history_time(time::OffsetDateTime::UNIX_EPOCH),
                ),
        )
        .await
        .expect("created");
    assert!(created.failed_participants.is_empty());
    assert_eq!(created.thread.created_by, ada.id);
    let thread_id = created.thread.id.clone();
    let ada_thread = ada.chat.chat_thread_client(thread_id.clone()).unwrap();
    let grace_thread = grace.chat.chat_thread_client(thread_id.clone()).unwrap();

    assert_eq!(ada_thread.properties().await.unwrap().topic, "chat check");
    ada_thread.update_topic("renamed").await.unwrap();
    assert_eq!(grace_thread.properties().await.unwrap().topic, "renamed");

    let sent = ada_thread
        .send_message(SendChatMessageOptions::new("hello").sender_display_name("User A"))
        .await
        .unwrap();

    // Grace lists by pages of 2: newest first, system messages included.
    let mut pages = grace_thread
        .list_messages(ListOptions::new().max_page_size(2))
        .by_page();
    let mut messages = Vec::new();
    while let Some(page) = pages.try_next().await.unwrap() {
        assert!(page.items().len() <= 2);
        messages.extend(page.into_items());
    }
    let sequence: Vec<u64> = messages
        .iter()
        .filter_map(|m| m.sequence_number())
        .collect();
    assert!(
        sequence.windows(2).all(|pair| pair[0] > pair[1]),
        "{sequence:?}"
    );
    assert_eq!(messages[0].id, sent.id);
    assert_eq!(messages[0].text(), Some("hello"));
    assert!(
        messages
            .iter()
            .any(|m| m.message_type == ChatMessageType::ParticipantAdded)
    );
    assert!(
        messages
            .iter()
            .any(|m| m.message_type == ChatMessageType::TopicUpdated)
    );

    ada_thread
        .update_message(
            &sent.id,
            UpdateChatMessageOptions::new().content("hello, edited"),
        )
        .await
        .unwrap();
    let edited = grace_thread.get_message(&sent.id).await.unwrap();
    assert_eq!(edited.text(), Some("hello, edited"));
    assert!(edited.edited_on.is_some());
    ada_thread.delete_message(&sent.id).await.unwrap();

    // Participants by page; an unknown user is a partial failure targeted at it.
    let participants: Vec<_> = ada_thread
        .list_participants(ListOptions::new().max_page_size(1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(participants.len(), 2);
    let unknown =
        CommunicationIdentifier::from_raw_id("8:acs:nobody_00000000-0000-0000-0000-000000000000");
    let added = ada_thread
        .add_participants([ChatParticipant::new(unknown.clone())])
        .await
        .unwrap();
    assert_eq!(added.failed_participants.len(), 1);
    assert_eq!(
        added.failed_participants[0].target.as_deref(),
        Some(unknown.raw_id())
    );
    assert_eq!(added.retry_list().len(), 1);

    assert!(
        ada_thread
            .send_typing_notification(Some("User A"))
            .await
            .unwrap()
    );
    let reply = grace_thread.send_message("hi back").await.unwrap();
    ada_thread.send_read_receipt(&reply.id).await.unwrap();
    let receipts: Vec<_> = grace_thread
        .list_read_receipts(ListOptions::new())
        .try_collect()
        .await
        .unwrap();
    assert!(
        receipts
            .iter()
            .any(|r| r.sender == ada.id && r.chat_message_id == reply.id)
    );

    ada_thread.remove_participant(&grace.id).await.unwrap();
    let error = grace_thread.properties().await.unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::FORBIDDEN));

    let threads: Vec<_> = ada
        .chat
        .list_chat_threads(ListOptions::new())
        .try_collect()
        .await
        .unwrap();
    assert!(threads.iter().any(|t| t.id == thread_id));
    ada.chat.delete_chat_thread(&thread_id).await.unwrap();
}

#[tokio::test]
async fn the_same_idempotency_token_returns_the_same_thread() {
    let (_emulator, _identity, ada, _grace) = set_up().await;
    let options = CreateChatThreadOptions::new("once")
        .participant(ChatParticipant::new(ada.id.clone()))
        .idempotency_token("3f1f3c1e-3c55-4e2c-9a6e-6a0c0e7e6a51");

    let first = ada.chat.create_chat_thread(options.clone()).await.unwrap();
    let second = ada.chat.create_chat_thread(options).await.unwrap();

    assert_eq!(first.thread.id, second.thread.id);
    let threads: Vec<_> = ada
        .chat
        .list_chat_threads(ListOptions::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(threads.iter().filter(|t| t.topic == "once").count(), 1);
}

#[tokio::test]
async fn a_revoked_token_is_replaced_after_the_401() {
    let (emulator, identity, ada, _grace) = set_up().await;
    let created = ada
        .chat
        .create_chat_thread(
            CreateChatThreadOptions::new("t").participant(ChatParticipant::new(ada.id.clone())),
        )
        .await
        .unwrap();
    let CommunicationIdentifier::CommunicationUser(user) = &ada.id else {
        unreachable!("users are ACS users")
    };

    identity.revoke_tokens(user).await.unwrap();
    let thread = ada.chat.chat_thread_client(created.thread.id).unwrap();

    // The cached token is refused; the credential gets a new one and the request goes through.
    thread
        .send_message("after revocation")
        .await
        .expect("sent with a new token");
    let sends: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.route == Some(acs_emulator::Route::SendChatMessage))
        .map(|r| r.status.as_u16())
        .collect();
    assert_eq!(
        sends,
        [401, 201],
        "refused once, then sent with the new token"
    );
}
