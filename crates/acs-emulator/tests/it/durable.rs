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
