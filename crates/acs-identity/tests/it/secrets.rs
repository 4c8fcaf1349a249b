//! No access key, connection string or token reaches Debug, Display, error text or a log line.

use std::time::Duration;

use acs_refresh::test_util::{LogCapture, interest_in_every_callsite};

use crate::common::{access_key_text, client_for};
use acs_emulator::{Emulator, Fault, Route};
use acs_identity::{CommunicationIdentityClient, CommunicationTokenScope};

fn assert_free_of(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret), "a secret leaked into: {text}");
    }
}

#[tokio::test]
async fn debug_errors_and_logs_hold_no_key_or_token() {
    interest_in_every_callsite();
    let (captured, _guard) = LogCapture::install();

    let emulator = Emulator::start().await.unwrap();
    let key = access_key_text(&emulator);
    let connection_string = emulator.connection_string();
    let client = client_for(&emulator);
    let mut seen = Vec::new();
    seen.push(format!("{client:?}"));
    seen.push(format!("{:?}", crate::common::builder_for(&emulator)));

    // Successes, retried failures and hard failures, all logged at TRACE.
    emulator.inject(Fault::status(503).retry_after(Duration::ZERO).times(2));
    let (user, token) = client
        .create_user_and_token([CommunicationTokenScope::Chat], None)
        .await
        .unwrap();
    seen.push(format!("{token:?} {user:?}"));
    let token2 = client
        .get_token(&user, [CommunicationTokenScope::VoIp], None)
        .await
        .unwrap();
    seen.push(format!("{token2:?}"));
    let refresher = client.refresher(user.clone(), [CommunicationTokenScope::Chat]);
    seen.push(format!("{refresher:?}"));

    let teams_token = acs_token::test_util::TokenBuilder::new()
        .expires_on(time::OffsetDateTime::now_utc() + Duration::from_secs(600))
        .claim("oid", "owner")
        .build();
    let error = client
        .get_token_for_teams_user(&teams_token, "app", "not-the-owner")
        .await
        .unwrap_err();
    seen.push(format!("{error:?} {error}"));
    let exchanged = client
        .get_token_for_teams_user(&teams_token, "app", "owner")
        .await
        .unwrap();
    seen.push(format!("{exchanged:?}"));

    emulator.inject(Fault::status(503).times(4).on(Route::DeleteIdentity));
    let error = client.delete_user(&user).await.unwrap_err();
    seen.push(format!("{error:?} {error}"));

    let wrong_key = "d3Jvbmcga2V5IGZvciB0aGlzIHJlc291cmNl";
    let wrong = CommunicationIdentityClient::from_connection_string(&format!(
        "endpoint={};accesskey={wrong_key}",
        emulator.endpoint()
    ))
    .unwrap();
    seen.push(format!("{wrong:?}"));
    let error = wrong.create_user().await.unwrap_err();
    seen.push(format!("{error:?} {error}"));
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = source {
        seen.push(current.to_string());
        source = current.source();
    }

    let broken = format!("{connection_string};accesskey={key}");
    let error = CommunicationIdentityClient::from_connection_string(&broken).unwrap_err();
    seen.push(format!("{error:?} {error}"));

    drop(_guard);
    let logged = captured.text();
    assert!(
        logged.contains("retrying"),
        "the retries were logged: {logged}"
    );
    let secrets = [
        key.as_str(),
        connection_string.as_str(),
        wrong_key,
        token.token(),
        token2.token(),
        exchanged.token(),
        teams_token.as_str(),
    ];
    for text in seen.iter().chain(std::iter::once(&logged)) {
        assert_free_of(text, &secrets);
    }
    // The Debug output still says something useful.
    assert!(seen[0].contains("CommunicationIdentityClient") && seen[0].contains("<redacted>"));
}
