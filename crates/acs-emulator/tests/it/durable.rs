//! `data_dir`: state that survives restarts, and the errors of a directory that cannot be used.

use acs_emulator::{Emulator, EmulatorError, IdentityState, TokenStatus};
use http::{Method, StatusCode};
use serde_json::json;

use crate::common::{Auth, ScratchDir, control, encode, hmac_now, send};

const V: &str = "api-version=2025-06-30";

#[tokio::test]
async fn identities_keys_and_tokens_survive_a_restart() {
    let dir = ScratchDir::new("restart");
    let emulator = Emulator::builder().data_dir(&dir.0).start().await.unwrap();
    assert_eq!(
        emulator.data_file(),
        Some(dir.0.join("acs-emulator.sqlite3").as_path())
    );
    let with_token = json!({"createTokenWithScopes": ["chat"]}).to_string();
    let create = format!("/identities?{V}");
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let answer = send(
            &emulator,
            Method::POST,
            &create,
            with_token.as_bytes(),
            hmac_now(),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED);
        ids.push(answer.json["identity"]["id"].as_str().unwrap().to_owned());
        tokens.push(
            answer.json["accessToken"]["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let revoke = format!("/identities/{}/:revokeAccessTokens?{V}", encode(&ids[1]));
    assert_eq!(
        send(&emulator, Method::POST, &revoke, b"", hmac_now())
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let delete = format!("/identities/{}?{V}", encode(&ids[2]));
    assert_eq!(
        send(&emulator, Method::DELETE, &delete, b"", hmac_now())
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let resource_id = emulator.resource_id().to_owned();
    let connection_string = emulator.connection_string();
    emulator.shutdown().await;

    let emulator = Emulator::builder().data_dir(&dir.0).start().await.unwrap();
    assert_eq!(emulator.resource_id(), resource_id);
    // Same key; only the port may differ.
    let key = |text: &str| text.split(";accesskey=").nth(1).unwrap().to_owned();
    assert_eq!(key(&emulator.connection_string()), key(&connection_string));
    assert_eq!(emulator.token_status(&tokens[0]), TokenStatus::Valid);
    assert_eq!(emulator.token_status(&tokens[1]), TokenStatus::Revoked);
    assert_eq!(
        emulator.token_status(&tokens[2]),
        TokenStatus::IdentityDeleted
    );
    assert_eq!(
        emulator.identity_state(&ids[2]),
        Some(IdentityState::Deleted)
    );
    assert_eq!(emulator.tokens_issued(&ids[0]), 1);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(emulator.identities(), sorted);
    // The kept state serves requests: a token for the first, 404 for the deleted one.
    let issue = |id: &str| format!("/identities/{}/:issueAccessToken?{V}", encode(id));
    let scopes = br#"{"scopes":["voip"]}"#;
    let answer = send(&emulator, Method::POST, &issue(&ids[0]), scopes, hmac_now()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(emulator.tokens_issued(&ids[0]), 2);
    let answer = send(&emulator, Method::POST, &issue(&ids[2]), scopes, hmac_now()).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let health = send(&emulator, Method::GET, "/_emulator/health", b"", Auth::None).await;
    assert_eq!(health.json["persistent"], true);
    assert_eq!(health.json["identities"], 3);
    // Faults are not state: nothing of them is kept.
    control(
        &emulator,
        Method::POST,
        "/_emulator/faults",
        br#"{"status":503}"#,
    )
    .await;
    emulator.shutdown().await;
    let emulator = Emulator::builder().data_dir(&dir.0).start().await.unwrap();
    assert_eq!(emulator.pending_faults(), 0);
}

#[tokio::test]
async fn a_directory_that_cannot_be_used_is_a_clear_error() {
    let dir = ScratchDir::new("refused");
    let first = Emulator::builder()
        .data_dir(&dir.0)
        .resource_id("kept-resource")
        .start()
        .await
        .unwrap();
    let second = Emulator::builder()
        .data_dir(&dir.0)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(second, EmulatorError::DataDir { .. }),
        "{second:?}"
    );
    let cause = std::error::Error::source(&second).unwrap().to_string();
    assert!(cause.contains("another acs-emulator"), "{cause}");
    first.shutdown().await;

    let other = Emulator::builder()
        .data_dir(&dir.0)
        .resource_id("another-resource")
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(other, EmulatorError::InvalidSetting { .. }),
        "{other:?}"
    );
    let same = Emulator::builder()
        .data_dir(&dir.0)
        .resource_id("kept-resource")
        .start()
        .await
        .unwrap();
    assert_eq!(same.resource_id(), "kept-resource");
    drop(same);

    // A file where the directory should be.
    let file = ScratchDir::new("file");
    std::fs::write(&file.0, b"not a directory").unwrap();
    let error = Emulator::builder()
        .data_dir(&file.0)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(error, EmulatorError::DataDir { .. }), "{error:?}");
    let _ = std::fs::remove_file(&file.0);
}

/// Chat threads, participants, messages and read receipts survive a restart, and so do the
/// tokens that read them.
#[tokio::test]
async fn chat_threads_survive_a_restart() {
    let dir = ScratchDir::new("chat");
    let emulator = Emulator::builder().data_dir(&dir.0).start().await.unwrap();
    let user = |answer: crate::common::Answer| {
        (
            answer.json["identity"]["id"].as_str().unwrap().to_owned(),
            answer.json["accessToken"]["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
    };
    let with_chat = br#"{"createTokenWithScopes":["chat"]}"#;
    let create = format!("/identities?{V}");
    let (alice, alice_token) =
        user(send(&emulator, Method::POST, &create, with_chat, hmac_now()).await);
    let (bob, bob_token) =
        user(send(&emulator, Method::POST, &create, with_chat, hmac_now()).await);
    let chat_v = "api-version=2024-03-07";
    let participant = |id: &str| json!({"communicationIdentifier": {"rawId": id, "communicationUser": {"id": id}}});
    let created = send(
        &emulator,
        Method::POST,
        &format!("/chat/threads?{chat_v}"),
        json!({"topic": "kept", "participants": [participant(&bob)]})
            .to_string()
            .as_bytes(),
        Auth::Bearer(alice_token.clone()),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let thread = created.json["chatThread"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let thread_path = format!(
        "/chat/threads/{}",
        thread.replace(':', "%3A").replace('@', "%40")
    );
    let sent = send(
        &emulator,
        Method::POST,
        &format!("{thread_path}/messages?{chat_v}"),
        json!({"content": "still here?", "type": "text"})
            .to_string()
            .as_bytes(),
        Auth::Bearer(bob_token.clone()),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    let message = sent.json["id"].as_str().unwrap().to_owned();
    let receipt = send(
        &emulator,
        Method::POST,
        &format!("{thread_path}/readReceipts?{chat_v}"),
        json!({"chatMessageId": message}).to_string().as_bytes(),
        Auth::Bearer(alice_token.clone()),
    )
    .await;
    assert!(receipt.status.is_success(), "{}", receipt.text);
    // A second thread, deleted before the restart.
    let gone = send(
        &emulator,
        Method::POST,
        &format!("/chat/threads?{chat_v}"),
        json!({"topic": "gone"}).to_string().as_bytes(),
        Auth::Bearer(alice_token.clone()),
    )
    .await;
    let gone_id = gone.json["chatThread"]["id"].as_str().unwrap().to_owned();
    let gone_path = format!(
        "/chat/threads/{}",
        gone_id.replace(':', "%3A").replace('@', "%40")
    );
    let deleted = send(
        &emulator,
        Method::DELETE,
        &format!("{gone_path}?{chat_v}"),
        b"",
        Auth::Bearer(alice_token.clone()),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    emulator.shutdown().await;

    let emulator = Emulator::builder().data_dir(&dir.0).start().await.unwrap();
    let get = |path: String, token: &str| {
        let emulator = &emulator;
        let token = token.to_owned();
        async move { send(emulator, Method::GET, &path, b"", Auth::Bearer(token)).await }
    };
    let kept = get(format!("{thread_path}?{chat_v}"), &alice_token).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.text);
    assert_eq!(kept.json["topic"], "kept");
    let messages = get(format!("{thread_path}/messages?{chat_v}"), &bob_token).await;
    assert_eq!(messages.status, StatusCode::OK, "{}", messages.text);
    let texts: Vec<&str> = messages.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|message| message["content"]["message"].as_str())
        .collect();
    assert_eq!(texts, ["still here?"]);
    let participants = get(format!("{thread_path}/participants?{chat_v}"), &bob_token).await;
    assert_eq!(participants.json["value"].as_array().unwrap().len(), 2);
    let receipts = get(format!("{thread_path}/readReceipts?{chat_v}"), &bob_token).await;
    assert_eq!(receipts.json["value"][0]["chatMessageId"], message.as_str());
    let gone = get(format!("{gone_path}?{chat_v}"), &alice_token).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text);
    // New messages keep increasing IDs after the restart.
    let next = send(
        &emulator,
        Method::POST,
        &format!("{thread_path}/messages?{chat_v}"),
        json!({"content": "yes", "type": "text"})
            .to_string()
            .as_bytes(),
        Auth::Bearer(alice_token.clone()),
    )
    .await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.text);
    assert!(
        next.json["id"].as_str().unwrap().parse::<u64>().unwrap() > message.parse::<u64>().unwrap()
    );
    let _ = alice;
}

/// Exchanged identities reach the data directory only once revoked or deleted, and then keep
/// that state across a restart.
#[tokio::test]
async fn exchanged_identities_are_kept_only_once_changed() {
    let dir = ScratchDir::new("exchanged");
    let emulator = Emulator::builder().data_dir(&dir.0).start().await.unwrap();
    let entra = "/access/entra/:exchangeAccessToken?api-version=2025-03-02-preview";
    let mut exchanged = Vec::new();
    for bearer in ["opaque-one", "opaque-two", "opaque-three"] {
        let answer = send(
            &emulator,
            Method::POST,
            entra,
            b"{}",
            Auth::Bearer(bearer.into()),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let id = answer.json["identity"]["id"].as_str().unwrap().to_owned();
        let token = answer.json["accessToken"]["token"].as_str().unwrap();
        exchanged.push((id, token.to_owned()));
    }
    let revoke = format!(
        "/identities/{}/:revokeAccessTokens?{V}",
        encode(&exchanged[1].0)
    );
    let answer = send(&emulator, Method::POST, &revoke, b"", hmac_now()).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let delete = format!("/identities/{}?{V}", encode(&exchanged[2].0));
    let answer = send(&emulator, Method::DELETE, &delete, b"", hmac_now()).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    emulator.shutdown().await;

    let emulator = Emulator::builder().data_dir(&dir.0).start().await.unwrap();
    let mut changed = vec![exchanged[1].0.clone(), exchanged[2].0.clone()];
    changed.sort();
    assert_eq!(emulator.identities(), changed);
    assert_eq!(
        emulator.identity_state(&exchanged[0].0),
        Some(IdentityState::Active)
    );
    assert_eq!(emulator.token_status(&exchanged[0].1), TokenStatus::Valid);
    assert_eq!(emulator.token_status(&exchanged[1].1), TokenStatus::Revoked);
    assert_eq!(
        emulator.token_status(&exchanged[2].1),
        TokenStatus::IdentityDeleted
    );
    let again = send(
        &emulator,
        Method::POST,
        entra,
        b"{}",
        Auth::Bearer("opaque-three".into()),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.text);
}
