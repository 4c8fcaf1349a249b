//! Every operation against the emulator: wire format, path encoding, api-version, tokens.

use std::time::Duration;

use crate::common::{client_for, emulator_and_client};
use acs_emulator::{Emulator, IdentityState, ManualClock, Route, TokenStatus};
use acs_identity::{CommunicationIdentityClient, CommunicationTokenScope, DEFAULT_API_VERSION};
use acs_token::TokenClaims;
use acs_token::test_util::TokenBuilder;
use time::OffsetDateTime;

#[tokio::test]
async fn create_user_returns_an_acs_user_the_service_knows() {
    let (emulator, client) = emulator_and_client().await;

    let user = client.create_user().await.unwrap();

    assert!(
        user.id()
            .starts_with(&format!("8:acs:{}_", emulator.resource_id())),
        "{user:?}"
    );
    assert_eq!(
        emulator.identity_state(user.id()),
        Some(IdentityState::Active)
    );
    assert_eq!(emulator.tokens_issued(user.id()), 0);
    assert_eq!(emulator.request_count(Route::CreateIdentity), 1);
}

#[tokio::test]
async fn two_users_are_distinct() {
    let (emulator, client) = emulator_and_client().await;
    let first = client.create_user().await.unwrap();
    let second = client.create_user().await.unwrap();
    assert_ne!(first, second);
    assert_eq!(emulator.identities().len(), 2);
}

#[tokio::test]
async fn create_user_and_token_issues_a_token_with_the_scopes_and_lifetime_asked_for() {
    // A manual clock at the current second: the HMAC date check still passes, and the token's
    // expiry can be compared exactly.
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let clock = ManualClock::new(now);
    let emulator = Emulator::builder().clock(clock).start().await.unwrap();
    let client = client_for(&emulator);

    let (user, token) = client
        .create_user_and_token(
            [CommunicationTokenScope::Chat, CommunicationTokenScope::VoIp],
            Some(Duration::from_secs(90 * 60)),
        )
        .await
        .unwrap();

    assert_eq!(token.expires_on(), now + Duration::from_secs(90 * 60));
    let claims = TokenClaims::decode(token.token()).unwrap();
    assert_eq!(claims.acs_scopes, ["chat", "voip"]);
    assert_eq!(emulator.tokens_issued(user.id()), 1);
    assert_eq!(emulator.token_status(token.token()), TokenStatus::Valid);
}

#[tokio::test]
async fn without_expires_in_the_service_default_of_24_hours_applies() {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let emulator = Emulator::builder()
        .clock(ManualClock::new(now))
        .start()
        .await
        .unwrap();
    let client = client_for(&emulator);

    let (user, token) = client
        .create_user_and_token([CommunicationTokenScope::ChatJoin], None)
        .await
        .unwrap();
    assert_eq!(token.expires_on(), now + Duration::from_secs(24 * 3600));

    let token = client
        .get_token(&user, [CommunicationTokenScope::VoIpJoin], None)
        .await
        .unwrap();
    assert_eq!(token.expires_on(), now + Duration::from_secs(24 * 3600));
}

#[tokio::test]
async fn get_token_issues_new_tokens_for_an_existing_user() {
    let (emulator, client) = emulator_and_client().await;
    let user = client.create_user().await.unwrap();

    let scopes = vec![
        CommunicationTokenScope::ChatJoinLimited,
        CommunicationTokenScope::VoIpJoin,
    ];
    // Borrowed scopes work as well as owned ones.
    let first = client
        .get_token(&user, &scopes, Some(Duration::from_secs(3600)))
        .await
        .unwrap();
    let second = client
        .get_token(&user, scopes, Some(Duration::from_secs(24 * 3600)))
        .await
        .unwrap();

    assert_ne!(first.token(), second.token());
    assert!(second.expires_on() > first.expires_on());
    let claims = TokenClaims::decode(first.token()).unwrap();
    assert_eq!(claims.acs_scopes, ["chat.join.limited", "voip.join"]);
    assert_eq!(emulator.tokens_issued(user.id()), 2);
    // The service's expiresOn and the JWT's exp agree to the second.
    assert_eq!(
        claims.expires_on.unix_timestamp(),
        first.expires_on().unix_timestamp()
    );
}

#[tokio::test]
async fn user_ids_travel_percent_encoded_in_the_path() {
    let (emulator, client) = emulator_and_client().await;
    let user = client.create_user().await.unwrap();

    client
        .get_token(&user, [CommunicationTokenScope::Chat], None)
        .await
        .unwrap();
    client.revoke_tokens(&user).await.unwrap();
    client.delete_user(&user).await.unwrap();

    let encoded = user.id().replace(':', "%3A");
    let paths: Vec<String> = emulator
        .requests()
        .into_iter()
        .skip(1)
        .map(|record| record.path)
        .collect();
    assert_eq!(
        paths,
        [
            format!("/identities/{encoded}/:issueAccessToken"),
            format!("/identities/{encoded}/:revokeAccessTokens"),
            format!("/identities/{encoded}"),
        ]
    );
}

#[tokio::test]
async fn revoked_tokens_stay_revoked_and_new_ones_are_valid() {
    let (emulator, client) = emulator_and_client().await;
    let (user, before) = client
        .create_user_and_token([CommunicationTokenScope::Chat], None)
        .await
        .unwrap();

    client.revoke_tokens(&user).await.unwrap();

    assert_eq!(emulator.token_status(before.token()), TokenStatus::Revoked);
    let after = client
        .get_token(&user, [CommunicationTokenScope::Chat], None)
        .await
        .unwrap();
    assert_eq!(emulator.token_status(after.token()), TokenStatus::Valid);
    assert_eq!(emulator.token_status(before.token()), TokenStatus::Revoked);
    assert_eq!(emulator.request_count(Route::RevokeAccessTokens), 1);
}

#[tokio::test]
async fn delete_user_removes_the_identity_and_its_tokens() {
    let (emulator, client) = emulator_and_client().await;
    let (user, token) = client
        .create_user_and_token([CommunicationTokenScope::VoIp], None)
        .await
        .unwrap();

    client.delete_user(&user).await.unwrap();

    assert_eq!(
        emulator.identity_state(user.id()),
        Some(IdentityState::Deleted)
    );
    assert_eq!(
        emulator.token_status(token.token()),
        TokenStatus::IdentityDeleted
    );
}

#[tokio::test]
async fn teams_user_token_exchange_returns_an_acs_token() {
    let (emulator, client) = emulator_and_client().await;
    let entra_token = TokenBuilder::new()
        .expires_on(OffsetDateTime::now_utc() + Duration::from_secs(3600))
        .claim("oid", "5f4c1b32-4c34-4bd7-9d4c-1a2b3c4d5e6f")
        .claim("appid", "0b0e6c53-5a11-4b5c-8bb3-51b7d5c2a0b1")
        .build();

    let token = client
        .get_token_for_teams_user(
            &entra_token,
            "0b0e6c53-5a11-4b5c-8bb3-51b7d5c2a0b1",
            "5f4c1b32-4c34-4bd7-9d4c-1a2b3c4d5e6f",
        )
        .await
        .unwrap();

    assert!(token.expires_on() > OffsetDateTime::now_utc());
    assert_eq!(emulator.token_status(token.token()), TokenStatus::Valid);
    assert_eq!(emulator.request_count(Route::ExchangeTeamsUserToken), 1);
}

#[tokio::test]
async fn the_default_api_version_is_2025_06_30_and_others_can_be_chosen() {
    let (emulator, client) = emulator_and_client().await;
    assert_eq!(client.api_version(), DEFAULT_API_VERSION);
    assert_eq!(DEFAULT_API_VERSION, "2025-06-30");
    client.create_user().await.unwrap();

    // The emulator answers an unknown version with 400, so success shows the version was sent.
    let older = crate::common::builder_for(&emulator)
        .api_version("2023-10-01")
        .build()
        .unwrap();
    older.create_user().await.unwrap();
}

#[tokio::test]
async fn a_client_from_a_connection_string_text_works_and_clones_share_it() {
    let emulator = Emulator::start().await.unwrap();
    let client =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string()).unwrap();
    let clone = client.clone();
    let user = clone.create_user().await.unwrap();
    client.delete_user(&user).await.unwrap();
    assert_eq!(
        client.endpoint().as_str(),
        format!("{}/", emulator.endpoint().trim_end_matches('/'))
    );
}

#[test]
fn the_client_is_send_sync_clone_debug() {
    fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    assert_traits::<CommunicationIdentityClient>();
    assert_traits::<acs_identity::IdentityTokenRefresher>();
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<acs_identity::IdentityError>();
}
