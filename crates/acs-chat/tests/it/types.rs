//! The clients are cheap to clone, `Send + Sync`, and their futures and streams can be spawned.

use acs_chat::{
    ChatClient, ChatError, ChatItems, ChatMessage, ChatPages, ChatThreadClient,
    CreateChatThreadOptions, ListOptions,
};
use acs_http::test_util::TestServer;

fn send_sync<T: Send + Sync + Clone + 'static>() {}
fn spawnable<T: Send + 'static>(_: &T) {}
fn stream<T: futures::Stream + Send + Unpin + 'static>(_: &T) {}

#[tokio::test]
async fn clients_futures_and_streams_can_cross_threads() {
    send_sync::<ChatClient>();
    send_sync::<ChatThreadClient>();
    fn error<E: std::error::Error + Send + Sync + 'static>() {}
    error::<ChatError>();

    let server = TestServer::start().await;
    let client = crate::common::client(&server);
    let thread = crate::common::thread(&server);
    let create = {
        let client = client.clone();
        async move {
            client
                .create_chat_thread(CreateChatThreadOptions::new("t"))
                .await
        }
    };
    spawnable(&create);
    let send = {
        let thread = thread.clone();
        async move { thread.send_message("hi").await }
    };
    spawnable(&send);
    let typing = {
        let thread = thread.clone();
        async move { thread.send_typing_notification(None).await }
    };
    spawnable(&typing);
    let messages: ChatItems<ChatMessage> = thread.list_messages(ListOptions::new());
    stream(&messages);
    let pages: ChatPages<ChatMessage> = messages.by_page();
    stream(&pages);
    // Spawning one for real: the list fails (nothing scripted), on another task.
    let listed = tokio::spawn(async move {
        futures::TryStreamExt::try_collect::<Vec<_>>(thread.list_messages(ListOptions::new())).await
    });
    assert!(listed.await.unwrap().is_err());
}
