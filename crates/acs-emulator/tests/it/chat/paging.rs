//! Paging: exact page sizes, self-contained nextLinks (followed as JS does, verbatim, and as
//! Python does, with its own api-version), startTime, and thread ordering.

use serde_json::Value;
use time::Duration;

use super::support::{Chat, User, path_of, thread_path, with_version};

/// Every page from `first`, following nextLinks verbatim; the page sizes and items.
async fn pages(chat: &Chat, user: &User, first: &str) -> (Vec<usize>, Vec<Value>) {
    let mut sizes = Vec::new();
    let mut items = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(path) = next {
        let page = chat.get(user, &path).await;
        page.assert_status(200);
        let values = page.json["value"]
            .as_array()
            .expect("value is always there");
        sizes.push(values.len());
        items.extend(values.iter().cloned());
        next = page.json["nextLink"].as_str().map(|link| {
            assert!(
                link.starts_with(&format!("http://{}/", chat.emulator.local_addr())),
                "{link}"
            );
            let path = path_of(link);
            assert!(path.contains("api-version="), "self-contained: {link}");
            // Values are unreserved characters only.
            let query = path.split_once('?').unwrap().1;
            assert!(
                query
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~=&".contains(&b)),
                "{link}"
            );
            path
        });
    }
    (sizes, items)
}

#[tokio::test]
async fn messages_come_in_exact_pages_newest_first() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    for index in 0..9 {
        chat.send(&alice, &thread, &format!("m{index}")).await;
    }
    let path = thread_path(&thread);
    let (sizes, items) = pages(
        &chat,
        &alice,
        &format!("{path}/messages?maxPageSize=4&api-version=2025-03-15"),
    )
    .await;
    assert_eq!(sizes, [4, 4, 3], "11 messages: 9 and 2 system ones");
    let sequences: Vec<u64> = items
        .iter()
        .map(|m| m["sequenceId"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(sequences, (1..=11).rev().collect::<Vec<u64>>());
    // Exactly divisible: no empty trailing page.
    let (sizes, _) = pages(&chat, &alice, &format!("{path}/messages?maxPageSize=11")).await;
    assert_eq!(sizes, [11]);
}

#[tokio::test]
async fn a_next_link_keeps_working_with_another_api_version_as_python_sends_it() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    for index in 0..3 {
        chat.send(&alice, &thread, &format!("m{index}")).await;
    }
    let first = chat
        .get(
            &alice,
            &format!(
                "{}/messages?maxPageSize=2&api-version=2025-03-15",
                thread_path(&thread)
            ),
        )
        .await;
    let link = path_of(first.json["nextLink"].as_str().unwrap());
    let python_style =
        with_version(&link.replace("api-version=2025-03-15", ""), "2024-03-07").replace("&&", "&");
    let second = chat.get(&alice, &python_style).await;
    second.assert_status(200);
    assert_eq!(second.json["value"].as_array().unwrap().len(), 2);
    assert_eq!(second.json["value"][0]["content"]["message"], "m0");
}

#[tokio::test]
async fn start_time_keeps_only_what_came_at_or_after_it() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    for index in 0..5 {
        chat.clock.advance(Duration::minutes(1));
        chat.send(&alice, &thread, &format!("m{index}")).await;
    }
    // m2 was sent at START + 3 minutes.
    let path = thread_path(&thread);
    let (sizes, items) = pages(
        &chat,
        &alice,
        &format!("{path}/messages?maxPageSize=2&startTime=2031-02-03T04%3A08%3A06.000Z"),
    )
    .await;
    assert_eq!(sizes, [2, 1]);
    let texts: Vec<&str> = items
        .iter()
        .map(|m| m["content"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["m4", "m3", "m2"]);
}

#[tokio::test]
async fn threads_are_listed_by_latest_activity_in_pages() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let mut threads = Vec::new();
    for _ in 0..5 {
        chat.clock.advance(Duration::seconds(1));
        threads.push(chat.thread(&alice, &[]).await);
    }
    chat.clock.advance(Duration::seconds(1));
    chat.send(&alice, &threads[1], "bump").await;
    let (sizes, items) = pages(&chat, &alice, "/chat/threads?maxPageSize=2").await;
    assert_eq!(sizes, [2, 2, 1]);
    let ids: Vec<&str> = items.iter().map(|t| t["id"].as_str().unwrap()).collect();
    let expected = [
        &threads[1],
        &threads[4],
        &threads[3],
        &threads[2],
        &threads[0],
    ];
    assert_eq!(ids, expected.map(String::as_str));
    // startTime: only threads active since then.
    let (_, recent) = pages(
        &chat,
        &alice,
        "/chat/threads?startTime=2031-02-03T04:05:10Z",
    )
    .await;
    assert_eq!(
        recent.len(),
        3,
        "active at 04:05:10, :11 and :12: {recent:?}"
    );
}

#[tokio::test]
async fn participants_and_receipts_page_by_skip() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let mut others = Vec::new();
    for _ in 0..4 {
        others.push(chat.user().await);
    }
    let members: Vec<&User> = others.iter().collect();
    let thread = chat.thread(&alice, &members).await;
    let message = chat.send(&alice, &thread, "read me").await;
    for user in &others {
        chat.post(
            user,
            &format!("{}/readReceipts", thread_path(&thread)),
            serde_json::json!({ "chatMessageId": message }),
        )
        .await
        .assert_status(200);
    }
    let path = thread_path(&thread);
    let (sizes, items) = pages(&chat, &alice, &format!("{path}/participants?maxPageSize=2")).await;
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(
        items[0]["communicationIdentifier"]["rawId"],
        alice.id.as_str()
    );
    let (sizes, receipts) =
        pages(&chat, &alice, &format!("{path}/readReceipts?maxPageSize=3")).await;
    assert_eq!(sizes, [3, 1]);
    assert!(
        receipts
            .iter()
            .all(|r| r["chatMessageId"] == message.as_str())
    );
    let (sizes, _) = pages(&chat, &alice, &format!("{path}/participants?skip=4")).await;
    assert_eq!(sizes, [1]);
}
