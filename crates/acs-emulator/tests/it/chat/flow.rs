//! Reference §11's flow, operation by operation, with the answers' shapes checked.

use http::Method;
use serde_json::json;
use time::Duration;

use super::support::{Chat, V2025, participant, path_of, thread_path};

#[tokio::test]
async fn the_whole_flow_of_reference_section_11() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let bob = chat.user().await;

    // Create, with a second user, a display name and a share-history time.
    let created = chat
        .post(
            &alice,
            "/chat/threads",
            json!({
                "topic": "chat check",
                "participants": [
                    { "communicationIdentifier": { "rawId": alice.id, "communicationUser": { "id": alice.id } }, "displayName": "User A" },
                    { "communicationIdentifier": { "rawId": bob.id, "communicationUser": { "id": bob.id } }, "displayName": "User B", "shareHistoryTime": "2020-01-01T00:00:00.000Z" },
                ]
            }),
        )
        .await;
    created.assert_status(201);
    let thread = created.json["chatThread"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        thread.starts_with("19:") && thread.ends_with("@thread.v2"),
        "{thread}"
    );
    assert!(
        created.json.get("invalidParticipants").is_none(),
        "{}",
        created.text
    );
    assert_eq!(created.json["chatThread"]["topic"], "chat check");
    assert_eq!(
        created.json["chatThread"]["createdOn"],
        "2031-02-03T04:05:06Z"
    );
    assert_eq!(
        created.json["chatThread"]["createdByCommunicationIdentifier"],
        json!({ "kind": "communicationUser", "rawId": alice.id, "communicationUser": { "id": alice.id } })
    );
    let location = created.headers["location"].to_str().unwrap();
    assert!(
        location.ends_with(&thread_path(&thread)) && location.starts_with("http://127.0.0.1:"),
        "{location}"
    );
    assert!(
        created.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    // Get, rename.
    let path = thread_path(&thread);
    let properties = chat.get(&bob, &path).await;
    properties.assert_status(200);
    assert_eq!(properties.json["id"], thread.as_str());
    chat.clock.advance(Duration::seconds(1));
    chat.call(
        &alice,
        Method::PATCH,
        &path,
        Some(json!({ "topic": "renamed" })),
    )
    .await
    .assert_status(204);
    // An empty update is a successful no-op (Python's update_topic() with no topic).
    chat.call(&alice, Method::PATCH, &path, Some(json!({})))
        .await
        .assert_status(204);
    assert_eq!(chat.get(&bob, &path).await.json["topic"], "renamed");

    // Send.
    chat.clock.advance(Duration::seconds(1));
    let sent = chat
        .post(
            &alice,
            &format!("{path}/messages"),
            json!({ "content": "hi", "senderDisplayName": "User A", "type": "text", "metadata": { "k": "v" } }),
        )
        .await;
    sent.assert_status(201);
    let message = sent.json["id"].as_str().unwrap().to_owned();
    assert!(
        sent.headers["location"]
            .to_str()
            .unwrap()
            .ends_with(&format!("/messages/{message}"))
    );
    // JS sends no type: text.
    let second = chat
        .post(
            &bob,
            &format!("{path}/messages"),
            json!({ "content": "hello" }),
        )
        .await;
    second.assert_status(201);

    // The second user lists by page of 2: newest first, system messages included.
    let first_page = chat
        .get(&bob, &format!("{path}/messages?maxPageSize=2"))
        .await;
    first_page.assert_status(200);
    let items = first_page.json["value"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["content"]["message"], "hello");
    assert_eq!(items[0]["type"], "text");
    assert_eq!(items[0]["senderDisplayName"], "", "none was given");
    assert_eq!(items[1]["id"], message.as_str());
    assert_eq!(items[1]["metadata"], json!({ "k": "v" }));
    assert_eq!(
        items[1]["senderCommunicationIdentifier"]["rawId"],
        alice.id.as_str()
    );
    let link = first_page.json["nextLink"].as_str().unwrap();
    assert!(link.starts_with("http://127.0.0.1:"), "{link}");
    assert!(
        link.contains("maxPageSize=2") && link.contains("api-version=2024-03-07"),
        "{link}"
    );
    let mut all = items.clone();
    let mut next = Some(path_of(link));
    while let Some(page_path) = next {
        let page = chat.get(&bob, &page_path).await;
        page.assert_status(200);
        let items = page.json["value"].as_array().unwrap();
        assert!(items.len() <= 2);
        all.extend(items.iter().cloned());
        next = page.json["nextLink"].as_str().map(path_of);
    }
    let types: Vec<&str> = all.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "text",
            "text",
            "topicUpdated",
            "topicUpdated",
            "participantAdded"
        ]
    );
    let sequences: Vec<u64> = all
        .iter()
        .map(|m| m["sequenceId"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(sequences, [5, 4, 3, 2, 1], "strictly descending");
    let added = &all[4];
    assert_eq!(
        added["content"]["participants"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        added["content"]["initiatorCommunicationIdentifier"]["rawId"],
        alice.id.as_str()
    );
    assert!(added.get("senderCommunicationIdentifier").is_none());
    assert_eq!(
        added["content"]["participants"][0]["shareHistoryTime"],
        "1970-01-01T00:00:00Z"
    );
    assert_eq!(
        added["content"]["participants"][1]["shareHistoryTime"],
        "2020-01-01T00:00:00Z"
    );
    assert_eq!(all[3]["content"]["topic"], "chat check");
    assert_eq!(all[2]["content"]["topic"], "renamed");

    // Get, edit, delete a message.
    let message_path = format!("{path}/messages/{message}");
    let got = chat.get(&bob, &message_path).await;
    got.assert_status(200);
    assert_eq!(got.json["version"], message.as_str());
    chat.clock.advance(Duration::seconds(1));
    chat.call(
        &alice,
        Method::PATCH,
        &message_path,
        Some(json!({ "content": "edited" })),
    )
    .await
    .assert_status(204);
    let edited = chat.get(&bob, &message_path).await;
    assert_eq!(edited.json["content"]["message"], "edited");
    assert_eq!(edited.json["editedOn"], "2031-02-03T04:05:09Z");
    assert_eq!(
        edited.json["metadata"],
        json!({ "k": "v" }),
        "kept when not sent"
    );
    assert_eq!(edited.json["sequenceId"], got.json["sequenceId"]);
    let version: u64 = edited.json["version"].as_str().unwrap().parse().unwrap();
    assert!(version > message.parse::<u64>().unwrap());
    chat.call(&alice, Method::DELETE, &message_path, None)
        .await
        .assert_status(204);
    let deleted = chat.get(&bob, &message_path).await;
    deleted.assert_status(200);
    assert_eq!(deleted.json["deletedOn"], "2031-02-03T04:05:09Z");
    assert!(deleted.json.get("content").is_none(), "{}", deleted.text);
    // A system message cannot be edited.
    let system = all[4]["id"].as_str().unwrap();
    chat.call(
        &alice,
        Method::PATCH,
        &format!("{path}/messages/{system}"),
        Some(json!({ "content": "x" })),
    )
    .await
    .assert_error(403, "Forbidden", "SystemMessage");

    // Participants by page.
    let participants = chat
        .get(&bob, &format!("{path}/participants?maxPageSize=1"))
        .await;
    participants.assert_status(200);
    assert_eq!(participants.json["value"].as_array().unwrap().len(), 1);
    assert_eq!(participants.json["value"][0]["displayName"], "User A");
    let next = participants.json["nextLink"].as_str().unwrap();
    assert!(
        next.contains("skip=1") && next.contains("maxPageSize=1"),
        "{next}"
    );
    let rest = chat.get(&bob, &path_of(next)).await;
    assert_eq!(
        rest.json["value"][0]["communicationIdentifier"]["rawId"],
        bob.id.as_str()
    );
    assert!(rest.json.get("nextLink").is_none());

    // Add an unknown user: exactly one partial error, targeted at it.
    let carol = chat.user().await;
    let unknown = format!(
        "8:acs:{}_00000027-0000-0000-0000-000000000000",
        chat.emulator.resource_id()
    );
    let add = chat
        .post(
            &alice,
            &format!("{path}/participants/:add"),
            json!({ "participants": [participant(&carol.id), participant(&unknown)] }),
        )
        .await;
    add.assert_status(201);
    assert_eq!(
        add.json,
        json!({ "invalidParticipants": [{ "code": "404", "message": "Not found", "target": unknown }] })
    );
    // A clean add is `{}`; adding someone present changes nothing.
    let again = chat
        .post(
            &alice,
            &format!("{path}/participants/:add"),
            json!({ "participants": [participant(&carol.id)] }),
        )
        .await;
    again.assert_status(201);
    assert_eq!(again.json, json!({}));
    chat.get(&carol, &path).await.assert_status(200);

    // Typing and read receipts.
    chat.post(
        &bob,
        &format!("{path}/typing"),
        json!({ "senderDisplayName": "User B" }),
    )
    .await
    .assert_status(200);
    chat.post(&bob, &format!("{path}/typing"), json!({}))
        .await
        .assert_status(200);
    let latest = second.json["id"].as_str().unwrap();
    let receipt = chat
        .post(
            &bob,
            &format!("{path}/readReceipts"),
            json!({ "chatMessageId": latest }),
        )
        .await;
    receipt.assert_status(200);
    assert!(receipt.text.is_empty());
    // An older message does not move the receipt back.
    chat.post(
        &bob,
        &format!("{path}/readReceipts"),
        json!({ "chatMessageId": message }),
    )
    .await
    .assert_status(200);
    let receipts = chat.get(&alice, &format!("{path}/readReceipts")).await;
    receipts.assert_status(200);
    assert_eq!(
        receipts.json["value"],
        json!([{
            "senderCommunicationIdentifier": { "kind": "communicationUser", "rawId": bob.id, "communicationUser": { "id": bob.id } },
            "chatMessageId": latest,
            "readOn": "2031-02-03T04:05:09Z",
        }])
    );

    // Remove the second user, who then gets 403 (and the others see participantRemoved).
    chat.post(
        &alice,
        &format!("{path}/participants/:remove"),
        json!({ "rawId": bob.id, "communicationUser": { "id": bob.id } }),
    )
    .await
    .assert_status(204);
    for answer in [
        chat.get(&bob, &path).await,
        chat.get(&bob, &format!("{path}/messages")).await,
        chat.post(
            &bob,
            &format!("{path}/messages"),
            json!({ "content": "still here?" }),
        )
        .await,
        chat.post(&bob, &format!("{path}/typing"), json!({})).await,
    ] {
        answer.assert_error(403, "Forbidden", "NotAParticipant");
    }
    let newest = chat
        .get(&alice, &format!("{path}/messages?maxPageSize=1"))
        .await;
    assert_eq!(newest.json["value"][0]["type"], "participantRemoved");
    assert_eq!(
        newest.json["value"][0]["content"]["participants"][0]["communicationIdentifier"]["rawId"],
        bob.id.as_str()
    );
    // Bob's receipt went with him.
    let receipts = chat.get(&alice, &format!("{path}/readReceipts")).await;
    assert_eq!(receipts.json["value"], json!([]));

    // List threads: the thread, also for the one who left.
    for user in [&alice, &bob] {
        let threads = chat.get(user, "/chat/threads").await;
        threads.assert_status(200);
        assert_eq!(
            threads.json["value"][0]["id"],
            thread.as_str(),
            "{}",
            threads.text
        );
        assert_eq!(threads.json["value"][0]["topic"], "renamed");
        assert!(threads.json["value"][0]["lastMessageReceivedOn"].is_string());
    }

    // Delete the thread.
    chat.call(&alice, Method::DELETE, &path, None)
        .await
        .assert_status(204);
    chat.get(&alice, &path)
        .await
        .assert_error(404, "NotFound", "<none>");
    assert_eq!(
        chat.get(&alice, "/chat/threads").await.json["value"],
        json!([])
    );

    // A token with a forged signature.
    let (signed, _) = alice.token.rsplit_once('.').unwrap();
    let forged = super::support::User {
        id: alice.id.clone(),
        token: format!("{signed}.{}", "A".repeat(43)),
    };
    chat.get(&forged, "/chat/threads")
        .await
        .assert_error(401, "Unauthorized", "InvalidToken");
}

#[tokio::test]
async fn create_is_idempotent_per_repeatability_id() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let body = json!({ "topic": "once" }).to_string().into_bytes();
    let authorization = format!("Bearer {}", alice.token);
    let headers = [
        ("authorization", authorization.as_str()),
        ("content-type", "application/json"),
        (
            "repeatability-request-id",
            "2b0c2c88-9bb4-4a19-9e5e-2c1d2b3f4a5b",
        ),
    ];
    let url = "/chat/threads?api-version=2024-03-07";
    let first = chat.raw(Method::POST, url, &headers, body.clone()).await;
    first.assert_status(201);
    chat.clock.advance(Duration::seconds(5));
    let second = chat.raw(Method::POST, url, &headers, body.clone()).await;
    second.assert_status(201);
    assert_eq!(first.text, second.text, "the same answer");
    assert_eq!(first.headers["location"], second.headers["location"]);
    let threads = chat.get(&alice, "/chat/threads").await;
    assert_eq!(
        threads.json["value"].as_array().unwrap().len(),
        1,
        "one thread"
    );
    // Another ID, another thread; the same ID from another user is that user's own.
    let other = [
        headers[0],
        headers[1],
        ("repeatability-request-id", "another"),
    ];
    let third = chat.raw(Method::POST, url, &other, body.clone()).await;
    assert_ne!(
        third.json["chatThread"]["id"],
        first.json["chatThread"]["id"]
    );
    let bob = chat.user().await;
    let bob_auth = format!("Bearer {}", bob.token);
    let bobs = [("authorization", bob_auth.as_str()), headers[1], headers[2]];
    let fourth = chat.raw(Method::POST, url, &bobs, body).await;
    assert_ne!(
        fourth.json["chatThread"]["id"],
        first.json["chatThread"]["id"]
    );
}

#[tokio::test]
async fn the_creator_is_added_and_invalid_participants_are_partial_failures() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let deleted = chat.user().await;
    chat.delete_identity(&deleted).await;
    let foreign = "8:acs:another-resource_00000027-0000-0000-0000-000000000001";
    let created = chat
        .post(
            &alice,
            "/chat/threads",
            json!({ "topic": "t", "participants": [participant(foreign), participant(&deleted.id), { "communicationIdentifier": { "phoneNumber": { "value": "+14255550123" } } }] }),
        )
        .await;
    created.assert_status(201);
    assert_eq!(
        created.json["invalidParticipants"],
        json!([
            { "code": "403", "message": "Permissions check failed", "target": foreign },
            { "code": "404", "message": "Not found", "target": deleted.id },
            { "code": "403", "message": "Permissions check failed", "target": "4:+14255550123" },
        ])
    );
    let thread = created.json["chatThread"]["id"].as_str().unwrap();
    let participants = chat
        .get(&alice, &format!("{}/participants", thread_path(thread)))
        .await;
    let ids: Vec<&str> = participants.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["communicationIdentifier"]["rawId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [alice.id.as_str()], "only the creator");
}

#[tokio::test]
async fn metadata_and_retention_policy_exist_from_2025_03_15() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let body = json!({
        "topic": "t",
        "metadata": { "a": "b" },
        "retentionPolicy": { "kind": "threadCreationDate", "deleteThreadAfterDays": 40 },
        "participants": [{ "communicationIdentifier": { "rawId": alice.id }, "metadata": { "role": "host" } }],
    });
    let created = chat
        .post(
            &alice,
            &format!("/chat/threads?api-version={V2025}"),
            body.clone(),
        )
        .await;
    created.assert_status(201);
    assert_eq!(created.json["chatThread"]["metadata"], json!({ "a": "b" }));
    assert_eq!(
        created.json["chatThread"]["retentionPolicy"],
        json!({ "kind": "threadCreationDate", "deleteThreadAfterDays": 40 })
    );
    let path = thread_path(created.json["chatThread"]["id"].as_str().unwrap());
    let participants = chat
        .get(&alice, &format!("{path}/participants?api-version={V2025}"))
        .await;
    assert_eq!(
        participants.json["value"][0]["metadata"],
        json!({ "role": "host" })
    );
    chat.call(
        &alice,
        Method::PATCH,
        &format!("{path}?api-version={V2025}"),
        Some(json!({ "retentionPolicy": { "kind": "none" }, "metadata": { "c": "d" } })),
    )
    .await
    .assert_status(204);
    let updated = chat
        .get(&alice, &format!("{path}?api-version={V2025}"))
        .await;
    assert_eq!(updated.json["retentionPolicy"], json!({ "kind": "none" }));
    assert_eq!(updated.json["metadata"], json!({ "c": "d" }));
    // 2024-03-07 has neither.
    let older = chat.get(&alice, &path).await;
    assert!(older.json.get("metadata").is_none() && older.json.get("retentionPolicy").is_none());
    let older = chat.post(&alice, "/chat/threads", body).await;
    assert!(older.json["chatThread"].get("metadata").is_none());
    // A retention policy of an unknown kind is a 400.
    chat.post(
        &alice,
        &format!("/chat/threads?api-version={V2025}"),
        json!({ "topic": "t", "retentionPolicy": { "kind": "forever" } }),
    )
    .await
    .assert_error(400, "BadRequest", "InvalidRetentionPolicy");
}

#[tokio::test]
async fn every_stable_api_version_is_served() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    for version in acs_emulator::CHAT_API_VERSIONS {
        chat.get(&alice, &format!("/chat/threads?api-version={version}"))
            .await
            .assert_status(200);
    }
}

#[tokio::test]
async fn faults_apply_to_chat_routes() {
    let chat = Chat::start().await;
    let alice = chat.user().await;
    let thread = chat.thread(&alice, &[]).await;
    chat.emulator.inject(
        acs_emulator::Fault::status(503)
            .retry_after(std::time::Duration::from_secs(1))
            .on(acs_emulator::Route::SendChatMessage),
    );
    let failed = chat
        .post(
            &alice,
            &format!("{}/messages", thread_path(&thread)),
            json!({ "content": "x" }),
        )
        .await;
    failed.assert_status(503);
    assert_eq!(failed.headers["retry-after"], "1");
    chat.send(&alice, &thread, "x").await;
    assert_eq!(
        chat.emulator
            .request_count(acs_emulator::Route::SendChatMessage),
        2
    );
    assert_eq!(
        chat.emulator
            .request_count(acs_emulator::Route::CreateChatThread),
        1
    );
}
