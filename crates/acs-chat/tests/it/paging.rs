//! Lists: the first request's query, following nextLinks (absolute, relative, without
//! api-version), pages and continuation tokens, and malformed pages.

use acs_chat::{ChatError, ChatOperation, ListOptions};
use acs_http::test_util::{Reply, TestServer};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use time::macros::datetime;

use crate::common::Inspect as _;
use crate::common::{THREAD_PATH, client, identifier_json, message_json, thread};

#[tokio::test]
async fn list_messages_sends_page_size_and_start_time_then_follows_an_absolute_next_link() {
    let server = TestServer::start().await;
    let next = format!(
        "{}/chat/threads/19:a9c2f6d4e1b54c0f8d3e7a6b5c4d3e2f@thread.v2/messages?syncState=abc123&maxPageSize=2&api-version=2024-03-07",
        server.url()
    );
    server.enqueue(Reply::json(
        200,
        json!({"value": [message_json(4), message_json(3)], "nextLink": next}),
    ));
    server.enqueue(Reply::json(200, json!({"value": [message_json(2)]})));

    let messages: Vec<_> = thread(&server)
        .list_messages(
            ListOptions::new()
                .max_page_size(2)
                .start_time(datetime!(2024-01-02 04:04:05.12 +01:00)),
        )
        .try_collect()
        .await
        .expect("messages");

    let sequence: Vec<_> = messages.iter().map(|m| m.sequence_number()).collect();
    assert_eq!(sequence, [Some(4), Some(3), Some(2)]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, format!("{THREAD_PATH}/messages"));
    assert_eq!(
        requests[0].query.as_deref(),
        Some("api-version=2024-03-07&maxPageSize=2&startTime=2024-01-02T03%3A04%3A05.120Z")
    );
    // The nextLink is followed as given: the raw thread id, its own query.
    assert_eq!(
        requests[1].path,
        "/chat/threads/19:a9c2f6d4e1b54c0f8d3e7a6b5c4d3e2f@thread.v2/messages"
    );
    assert_eq!(
        requests[1].query.as_deref(),
        Some("syncState=abc123&maxPageSize=2&api-version=2024-03-07")
    );
}

#[tokio::test]
async fn pages_carry_continuation_tokens_that_resume_the_list() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(
        200,
        json!({"value": [{"communicationIdentifier": identifier_json(1)}, {"communicationIdentifier": identifier_json(2)}],
               "nextLink": "/chat/threads/t/participants?skip=2&maxPageSize=2&api-version=2024-03-07"}),
    ));
    let thread = thread(&server);

    let mut pages = thread
        .list_participants(ListOptions::new().max_page_size(2).skip(0))
        .by_page();
    let first = pages
        .try_next()
        .await
        .expect("a page")
        .expect("a first page");
    drop(pages);

    assert_eq!(first.items().len(), 2);
    let token = first.continuation_token().expect("more pages").to_owned();
    assert_eq!(
        token,
        format!(
            "{}/chat/threads/t/participants?skip=2&maxPageSize=2&api-version=2024-03-07",
            server.url()
        )
    );
    assert_eq!(
        server.requests()[0].query.as_deref(),
        Some("api-version=2024-03-07&maxPageSize=2&skip=0")
    );

    // Resume in a new listing from the token.
    server.enqueue(Reply::json(
        200,
        json!({"value": [{"communicationIdentifier": identifier_json(3), "displayName": "C"}], "nextLink": ""}),
    ));
    let mut rest = thread
        .list_participants(ListOptions::new().continuation_token(&token))
        .by_page();
    let last = rest.try_next().await.unwrap().expect("the last page");
    assert_eq!(last.items()[0].display_name.as_deref(), Some("C"));
    assert_eq!(
        last.continuation_token(),
        None,
        "an empty nextLink ends the list"
    );
    assert!(rest.next().await.is_none());
    let requests = server.requests();
    assert_eq!(requests[1].path, "/chat/threads/t/participants");
    assert_eq!(
        requests[1].query.as_deref(),
        Some("skip=2&maxPageSize=2&api-version=2024-03-07")
    );
}

#[tokio::test]
async fn a_next_link_without_api_version_gets_the_clients() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(
        200,
        json!({"value": [{"id": "t1", "topic": "a"}], "nextLink": "/chat/threads?syncState=x"}),
    ));
    server.enqueue(Reply::json(
        200,
        json!({"value": [{"id": "t2", "topic": "b", "lastMessageReceivedOn": "2024-05-01T10:00:00Z"}]}),
    ));

    let threads: Vec<_> = client(&server)
        .list_chat_threads(ListOptions::new())
        .try_collect()
        .await
        .expect("threads");

    assert_eq!(threads.len(), 2);
    assert_eq!(
        threads[1].last_message_received_on,
        Some(datetime!(2024-05-01 10:00 UTC))
    );
    let requests = server.requests();
    assert_eq!(requests[0].query.as_deref(), Some("api-version=2024-03-07"));
    assert_eq!(
        requests[1].query.as_deref(),
        Some("syncState=x&api-version=2024-03-07")
    );
}

#[tokio::test]
async fn read_receipts_are_listed() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(
        200,
        json!({"value": [{"senderCommunicationIdentifier": identifier_json(2), "chatMessageId": "17", "readOn": "2024-05-01T10:00:00Z"}]}),
    ));

    let receipts: Vec<_> = thread(&server)
        .list_read_receipts(ListOptions::new().max_page_size(5).skip(1))
        .try_collect()
        .await
        .expect("receipts");

    assert_eq!(receipts[0].chat_message_id, "17");
    let request = &server.requests()[0];
    assert_eq!(request.path, format!("{THREAD_PATH}/readReceipts"));
    assert_eq!(
        request.query.as_deref(),
        Some("api-version=2024-03-07&maxPageSize=5&skip=1")
    );
}

async fn first_error(server: &TestServer) -> ChatError {
    thread(server)
        .list_messages(ListOptions::new())
        .try_collect::<Vec<_>>()
        .await
        .expect_err("the list fails")
}

fn assert_invalid_response(error: &ChatError, needle: &str) {
    assert!(
        matches!(
            error,
            ChatError::InvalidResponse {
                operation: ChatOperation::ListMessages,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(http::StatusCode::OK));
    let mut chain = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(current) = source {
        chain.push_str(&format!("{current} / "));
        source = current.source();
    }
    assert!(
        chain.contains(needle),
        "{chain:?} should mention {needle:?}"
    );
}

#[tokio::test]
async fn a_page_without_value_is_an_invalid_response_with_the_request_id() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(200, json!({"nextLink": "/x"})).header("x-ms-request-id", "req-17"));

    let error = first_error(&server).await;

    assert_invalid_response(&error, "value");
    assert_eq!(error.request_id(), Some("req-17"));
}

#[tokio::test]
async fn truncated_json_and_null_value_are_invalid_responses() {
    let server = TestServer::start().await;
    server.enqueue(Reply::status(200).body(r#"{"value":[{"id":"1","ty"#));
    assert_invalid_response(&first_error(&server).await, "EOF");

    server.enqueue(Reply::json(200, json!({"value": null})));
    assert_invalid_response(&first_error(&server).await, "");

    server.enqueue(Reply::json(200, json!({"value": [{"id": "1"}]})));
    assert_invalid_response(&first_error(&server).await, "missing field");
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_and_not_requested() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(
        200,
        json!({"value": [message_json(1)], "nextLink": "https://elsewhere.invalid/chat/threads/t/messages?syncState=1"}),
    ));

    let mut messages = thread(&server).list_messages(ListOptions::new());
    assert!(messages.try_next().await.expect("first page").is_some());
    let error = messages
        .try_next()
        .await
        .expect_err("the second page is refused");
    assert!(
        messages.next().await.is_none(),
        "the list ends after an error"
    );

    assert_invalid_response(&error, "endpoint");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_bad_or_repeating_next_link_is_an_invalid_response() {
    let server = TestServer::start().await;
    server.enqueue(Reply::json(
        200,
        json!({"value": [], "nextLink": "not a url"}),
    ));
    assert_invalid_response(&first_error(&server).await, "not a URL");
    // The page with the bad link is delivered; the error comes with the next one.
    server.enqueue(Reply::json(
        200,
        json!({"value": [message_json(5)], "nextLink": "not a url"}),
    ));
    let mut pages = thread(&server).list_messages(ListOptions::new()).by_page();
    let page = pages.try_next().await.expect("the page").expect("a page");
    assert_eq!(page.items().len(), 1);
    assert_eq!(page.continuation_token(), None);
    assert!(pages.try_next().await.is_err());

    let same = format!(
        "{}{THREAD_PATH}/messages?api-version=2024-03-07",
        server.url()
    );
    server.enqueue(Reply::json(200, json!({"value": [], "nextLink": same})));
    assert_invalid_response(&first_error(&server).await, "repeats");

    let other_port = "http://127.0.0.1:1/chat/threads?api-version=2024-03-07";
    server.enqueue(Reply::json(
        200,
        json!({"value": [], "nextLink": other_port}),
    ));
    assert_invalid_response(&first_error(&server).await, "endpoint");
    assert_eq!(server.request_count(), 4);
}

#[tokio::test]
async fn bad_list_options_fail_the_first_item_without_a_request() {
    let server = TestServer::start().await;
    let thread = thread(&server);

    let cases = [
        thread.list_messages(ListOptions::new().skip(1)),
        thread.list_messages(ListOptions::new().max_page_size(0)),
        thread.list_messages(ListOptions::new().continuation_token("https://elsewhere.invalid/x")),
        thread.list_messages(ListOptions::new().continuation_token("garbage")),
    ];
    for list in cases {
        let error = list.try_collect::<Vec<_>>().await.expect_err("refused");
        assert!(
            matches!(error, ChatError::InvalidArgument { .. }),
            "{error:?}"
        );
    }
    let error = thread
        .list_participants(ListOptions::new().start_time(time::OffsetDateTime::UNIX_EPOCH))
        .try_collect::<Vec<_>>()
        .await
        .expect_err("participants take no start time");
    assert!(matches!(
        error,
        ChatError::InvalidArgument {
            argument: "start_time",
            ..
        }
    ));
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn service_next_links_are_followed_verbatim() {
    // The forms the service sends (recordings): percent-encoded values, base64 state.
    let server = TestServer::start().await;
    let links = [
        "/chat/threads/19:a9c2f6d4e1b54c0f8d3e7a6b5c4d3e2f@thread.v2/messages?syncState=8f3a&startTime=1%2F1%2F1970%2012%3A00%3A00%20AM%20%2B00%3A00&maxPageSize=2&api-version=2021-09-07",
        "/chat/threads?syncState=eyJhIjoxfQ+/x==&api-version=2024-03-07&maxPageSize=5",
    ];
    for link in links {
        server.enqueue(Reply::json(200, json!({"value": [], "nextLink": link})));
        server.enqueue(Reply::json(200, json!({"value": []})));
    }
    let thread = thread(&server);

    for _ in links {
        let pages: Vec<_> = thread
            .list_messages(ListOptions::new())
            .by_page()
            .try_collect()
            .await
            .expect("pages");
        assert_eq!(pages.len(), 2);
    }

    let requests = server.requests();
    for (n, link) in links.iter().enumerate() {
        let followed = &requests[2 * n + 1];
        let (path, query) = link.split_once('?').unwrap();
        assert_eq!(followed.path, path);
        assert_eq!(followed.query.as_deref(), Some(query));
    }
}

#[tokio::test]
async fn a_start_time_whose_utc_is_past_year_9999_is_refused_not_a_panic() {
    let server = TestServer::start().await;
    let thread = thread(&server);
    // Within the year 9999 in its own offset, in the year 10000 in UTC.
    let error = thread
        .list_messages(ListOptions::new().start_time(datetime!(9999-12-31 23:59 -01:00)))
        .try_collect::<Vec<_>>()
        .await
        .expect_err("refused");
    assert!(
        matches!(
            error,
            ChatError::InvalidArgument {
                argument: "start_time",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn a_next_link_back_to_an_earlier_page_is_an_invalid_response_not_a_loop() {
    let server = TestServer::start().await;
    let first = format!(
        "{}{THREAD_PATH}/messages?api-version=2024-03-07",
        server.url()
    );
    let second = format!("{THREAD_PATH}/messages?syncState=b&api-version=2024-03-07");
    // Page 1 links to page 2, which links back to page 1: followed, a list never ends.
    server.enqueue(Reply::json(
        200,
        json!({"value": [message_json(2)], "nextLink": second}),
    ));
    server.enqueue(Reply::json(
        200,
        json!({"value": [message_json(1)], "nextLink": first}),
    ));
    server.enqueue(Reply::json(
        200,
        json!({"value": [message_json(2)], "nextLink": second}),
    ));

    let error = first_error(&server).await;

    assert_invalid_response(&error, "repeats");
    assert_eq!(server.request_count(), 2);
}
