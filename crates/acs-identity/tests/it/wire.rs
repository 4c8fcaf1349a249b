//! What each operation puts on the wire (reference §6), checked on a scripted server: method,
//! path, api-version, headers, JSON body; and the service's status codes (201, 200, 204) are
//! read as success.

use std::time::Duration;

use acs_http::RetryPolicy;
use acs_http::test_util::{RecordedRequest, Reply, TestServer};
use acs_identity::CommunicationTokenScope;

use crate::common::scripted_client;

const EXPIRES_ON: &str = "2034-10-04T10:21:29.4729393-07:00";

fn answer(request: &RecordedRequest) -> Reply {
    let token = serde_json::json!({"token": "opaque.acs.token", "expiresOn": EXPIRES_ON});
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/identities") => {
            let mut body = serde_json::json!({"identity": {"id": "8:acs:r_u"}});
            if request.json().get("createTokenWithScopes").is_some() {
                body["accessToken"] = token;
            }
            Reply::json(201, body)
        }
        ("POST", path) if path.ends_with("/:revokeAccessTokens") => Reply::status(204),
        ("DELETE", _) => Reply::status(204),
        ("POST", _) => Reply::json(200, token),
        _ => Reply::status(405),
    }
}

#[tokio::test(start_paused = true)]
async fn every_operation_sends_the_reference_request_and_reads_its_status() {
    let server = TestServer::start().await;
    server.respond_with(answer);
    let (client, verifier) = scripted_client(&server, RetryPolicy::no_retries());

    let user = client.create_user().await.unwrap();
    assert_eq!(user.id(), "8:acs:r_u");
    let (_, token) = client
        .create_user_and_token(
            [CommunicationTokenScope::Chat, CommunicationTokenScope::VoIp],
            Some(Duration::from_secs(90 * 60)),
        )
        .await
        .unwrap();
    assert_eq!(token.token(), "opaque.acs.token");
    let issued = client
        .get_token(&user, [CommunicationTokenScope::ChatJoinLimited], None)
        .await
        .unwrap();
    assert_eq!(
        issued.expires_on(),
        time::macros::datetime!(2034-10-04 17:21:29.4729393 UTC)
    );
    client.revoke_tokens(&user).await.unwrap();
    client.delete_user(&user).await.unwrap();
    client
        .get_token_for_teams_user("teams-entra-token", "app-id", "user-oid")
        .await
        .unwrap();

    let id = "8%3Aacs%3Ar_u";
    let expected: [(&str, String, Option<serde_json::Value>); 6] = [
        ("POST", "/identities".into(), Some(serde_json::json!({}))),
        (
            "POST",
            "/identities".into(),
            Some(
                serde_json::json!({"createTokenWithScopes": ["chat", "voip"], "expiresInMinutes": 90}),
            ),
        ),
        (
            "POST",
            format!("/identities/{id}/:issueAccessToken"),
            Some(serde_json::json!({"scopes": ["chat.join.limited"]})),
        ),
        (
            "POST",
            format!("/identities/{id}/:revokeAccessTokens"),
            None,
        ),
        ("DELETE", format!("/identities/{id}"), None),
        (
            "POST",
            "/teamsUser/:exchangeAccessToken".into(),
            Some(
                serde_json::json!({"token": "teams-entra-token", "appId": "app-id", "userId": "user-oid"}),
            ),
        ),
    ];
    let requests = server.requests();
    assert_eq!(requests.len(), expected.len());
    for (recorded, (method, path, body)) in requests.iter().zip(expected) {
        let what = format!("{method} {path}");
        assert_eq!(recorded.method.as_str(), method, "{what}");
        assert_eq!(recorded.path, path, "{what}");
        assert_eq!(
            recorded.query.as_deref(),
            Some("api-version=2025-06-30"),
            "{what}"
        );
        assert_eq!(
            recorded.header("accept"),
            Some("application/json"),
            "{what}"
        );
        match body {
            Some(body) => {
                assert_eq!(
                    recorded.header("content-type"),
                    Some("application/json"),
                    "{what}"
                );
                assert_eq!(recorded.json(), body, "{what}");
            }
            None => assert!(recorded.body.is_empty(), "{what}"),
        }
        verifier
            .verify(
                &recorded.to_http_request(&server.url()),
                time::OffsetDateTime::now_utc(),
            )
            .unwrap_or_else(|error| panic!("{what}: {error}"));
    }
}
