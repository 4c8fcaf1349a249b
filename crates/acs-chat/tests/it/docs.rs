//! Produces the chat errors docs/troubleshooting.md describes and checks that the page quotes
//! each one (and each error of its `source()` chain) word for word.

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use acs_chat::{
    CommunicationTokenCredential, CreateChatThreadOptions, ListOptions, UpdateChatThreadOptions,
};
use acs_http::test_util::{DocQuotes, Reply, TestServer};
use acs_refresh::CommunicationTokenRefreshOptions;
use futures::TryStreamExt;
use serde_json::json;

use crate::common::{client, client_with, jwt, message_json, thread};

const PAGE: &str = include_str!("../../../../docs/troubleshooting.md");

#[tokio::test]
async fn chat_errors_are_documented() {
    let mut page = DocQuotes::new(PAGE);
    let server = TestServer::start().await;

    server.enqueue(Reply::acs_error(
        401,
        "Unauthorized",
        "Request is not authorized.",
    ));
    page.quotes(&thread(&server).properties().await.unwrap_err());

    server.enqueue(Reply::acs_error(
        403,
        "Forbidden",
        "User is not allowed to perform specified action.",
    ));
    page.quotes(
        &thread(&server)
            .list_messages(ListOptions::new())
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err(),
    );

    server.enqueue(Reply::acs_error(
        404,
        "NotFound",
        "whatever the service says",
    ));
    page.quotes_text(
        &thread(&server)
            .get_message("1")
            .await
            .unwrap_err()
            .to_string(),
    );

    for _ in 0..4 {
        server.enqueue(
            Reply::acs_error(429, "TooManyRequests", "Rate limit exceeded.")
                .header("retry-after", "1"),
        );
    }
    page.quotes(&thread(&server).send_message("hi").await.unwrap_err());

    server.enqueue(Reply::json(
        200,
        json!({"value": [message_json(1)], "nextLink": "https://elsewhere.invalid/x"}),
    ));
    page.quotes(
        &thread(&server)
            .list_messages(ListOptions::new())
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err(),
    );

    // A refresher that works once, then fails: the 401's forced refresh fails.
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let refresher = move || {
        let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
        async move {
            if first {
                Ok(jwt(1))
            } else {
                Err(std::io::Error::other("my token server is down"))
            }
        }
    };
    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(refresher),
    );
    server.enqueue(Reply::acs_error(
        401,
        "Unauthorized",
        "Request is not authorized.",
    ));
    let error = client_with(&server, credential)
        .chat_thread_client("19:x@thread.v2")
        .unwrap()
        .properties()
        .await
        .unwrap_err();
    page.quotes_text(&error.to_string());
    page.quotes_text(&error.source().unwrap().to_string());

    page.quotes(
        &client(&server)
            .create_chat_thread(CreateChatThreadOptions::new(""))
            .await
            .unwrap_err(),
    );
    page.quotes(
        &thread(&server)
            .update_properties(UpdateChatThreadOptions::new().metadata([("k".into(), "v".into())]))
            .await
            .unwrap_err(),
    );
    page.quotes(
        &thread(&server)
            .list_messages(ListOptions::new().continuation_token("https://elsewhere.invalid/x"))
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err(),
    );
    page.check();
}
