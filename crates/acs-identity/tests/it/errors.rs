//! Error mapping against the emulator (404, 401, 400, 503 with retries) and client-side
//! validation, which must send nothing.

use std::error::Error as _;
use std::time::Duration;

use crate::common::{client_for, emulator_and_client, fast_retries};
use acs_emulator::{Emulator, Fault, Route};
use acs_http::test_util::{Reply, TestServer};
use acs_http::{HttpError, RetryPolicy};
use acs_identity::{
    CommunicationIdentityClient, CommunicationTokenScope, CommunicationUserIdentifier,
    IdentityError, IdentityOperation, ServiceErrorSource,
};

#[tokio::test]
async fn an_unknown_user_is_a_404_with_the_acs_code() {
    let (emulator, client) = emulator_and_client().await;
    let stranger =
        CommunicationUserIdentifier::new(format!("8:acs:{}_nobody", emulator.resource_id()))
            .unwrap();

    let error = client
        .get_token(&stranger, [CommunicationTokenScope::Chat], None)
        .await
        .unwrap_err();

    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(
        error.service_error().map(|e| e.status().as_u16()),
        Some(404)
    );
    assert_eq!(
        error.service_error().and_then(|e| e.code()),
        Some("IdentityNotFound")
    );
    assert!(
        error
            .service_error()
            .and_then(|e| e.message())
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(error.operation(), Some(IdentityOperation::GetToken));
    assert_eq!(
        error.http_error().and_then(|e| e.attempts()),
        Some(1),
        "404 is not retried"
    );
    assert!(!error.is_client_side());
    assert_eq!(
        error.to_string(),
        "get_token failed: HTTP 404 IdentityNotFound"
    );
    // The acs-http error is the source, with the same status.
    let source = error.source().and_then(|s| s.downcast_ref::<HttpError>());
    assert_eq!(
        source.and_then(HttpError::status).map(|s| s.as_u16()),
        Some(404)
    );
}

#[tokio::test]
async fn a_deleted_user_is_a_404_for_every_operation() {
    let (_emulator, client) = emulator_and_client().await;
    let user = client.create_user().await.unwrap();
    client.delete_user(&user).await.unwrap();

    let token = client
        .get_token(&user, [CommunicationTokenScope::Chat], None)
        .await
        .unwrap_err();
    let revoke = client.revoke_tokens(&user).await.unwrap_err();
    let delete = client.delete_user(&user).await.unwrap_err();

    for (error, operation) in [
        (token, IdentityOperation::GetToken),
        (revoke, IdentityOperation::RevokeTokens),
        (delete, IdentityOperation::DeleteUser),
    ] {
        assert!(error.is_not_found(), "{operation}: {error:?}");
        assert_eq!(
            error.service_error().and_then(|e| e.code()),
            Some("IdentityNotFound")
        );
        assert_eq!(error.operation(), Some(operation));
    }
}

#[tokio::test]
async fn a_wrong_access_key_is_a_401_denied() {
    let emulator = Emulator::start().await.unwrap();
    // Same endpoint, another key: every signature is wrong.
    let wrong = format!(
        "endpoint={};accesskey=d3Jvbmcga2V5IGZvciB0aGlzIHJlc291cmNl",
        emulator.endpoint()
    );
    let client = CommunicationIdentityClient::from_connection_string(&wrong).unwrap();

    let error = client.create_user().await.unwrap_err();

    assert!(error.is_unauthorized(), "{error:?}");
    assert_eq!(
        error.service_error().map(|e| e.status().as_u16()),
        Some(401)
    );
    assert_eq!(error.service_error().and_then(|e| e.code()), Some("Denied"));
    assert_eq!(
        error.http_error().and_then(|e| e.attempts()),
        Some(1),
        "401 is not retried"
    );
    let inner = error
        .service_error()
        .and_then(|e| e.detail())
        .and_then(|d| d.inner_error.as_ref())
        .and_then(|i| i.code.as_deref());
    assert_eq!(inner, Some("SignatureMismatch"));
}

#[tokio::test]
async fn an_unknown_scope_is_a_400_from_the_service() {
    let (_emulator, client) = emulator_and_client().await;
    let user = client.create_user().await.unwrap();
    let unknown: CommunicationTokenScope = "chat.everything".parse().unwrap();
    assert_eq!(
        unknown,
        CommunicationTokenScope::Other("chat.everything".into())
    );

    let error = client
        .get_token(
            &user,
            [CommunicationTokenScope::Chat, unknown.clone()],
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.service_error().map(|e| e.status().as_u16()),
        Some(400)
    );
    assert_eq!(
        error.service_error().and_then(|e| e.code()),
        Some("BadRequest")
    );
    assert!(
        error
            .service_error()
            .and_then(|e| e.message())
            .unwrap_or_default()
            .contains("chat.everything")
    );

    let error = client
        .create_user_and_token([unknown], None)
        .await
        .unwrap_err();
    assert_eq!(
        error.service_error().map(|e| e.status().as_u16()),
        Some(400)
    );
    assert_eq!(
        error.operation(),
        Some(IdentityOperation::CreateUserAndToken)
    );
}

#[tokio::test]
async fn an_unsupported_api_version_is_a_400() {
    let emulator = Emulator::start().await.unwrap();
    let client = crate::common::builder_for(&emulator)
        .api_version("1999-01-01")
        .build()
        .unwrap();
    let error = client.create_user().await.unwrap_err();
    assert_eq!(
        error.service_error().map(|e| e.status().as_u16()),
        Some(400)
    );
    assert_eq!(
        error.service_error().and_then(|e| e.code()),
        Some("UnsupportedApiVersion")
    );
}

#[tokio::test]
async fn a_mismatched_teams_user_is_a_400() {
    let (_emulator, client) = emulator_and_client().await;
    let entra_token = acs_token::test_util::TokenBuilder::new()
        .expires_on(time::OffsetDateTime::now_utc() + Duration::from_secs(3600))
        .claim("oid", "real-user")
        .claim("appid", "the-app")
        .build();

    let error = client
        .get_token_for_teams_user(&entra_token, "the-app", "someone-else")
        .await
        .unwrap_err();

    assert_eq!(
        error.service_error().map(|e| e.status().as_u16()),
        Some(400)
    );
    assert_eq!(
        error.service_error().and_then(|e| e.code()),
        Some("BadRequest")
    );
    assert!(!format!("{error:?}").contains(&entra_token));
    assert!(!error.to_string().contains(&entra_token));
}

#[tokio::test]
async fn transient_503s_are_retried_then_succeed() {
    let (emulator, client) = emulator_and_client().await;
    let user = client.create_user().await.unwrap();
    emulator.inject(
        Fault::status(503)
            .retry_after(Duration::ZERO)
            .times(2)
            .on(Route::IssueAccessToken),
    );

    let token = client
        .get_token(&user, [CommunicationTokenScope::Chat], None)
        .await
        .unwrap();

    assert_eq!(emulator.request_count(Route::IssueAccessToken), 3);
    assert_eq!(emulator.tokens_issued(user.id()), 1);
    assert!(emulator.is_token_valid(token.token()));
    // The third attempt carried a fresh, valid signature (the emulator verified it).
    let statuses: Vec<u16> = emulator
        .requests()
        .iter()
        .filter(|r| r.route == Some(Route::IssueAccessToken))
        .map(|r| r.status.as_u16())
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[tokio::test]
async fn four_503s_give_an_error_after_four_attempts() {
    let (emulator, client) = emulator_and_client().await;
    emulator.inject(
        Fault::status(503)
            .retry_after(Duration::ZERO)
            .times(4)
            .on(Route::CreateIdentity),
    );

    let error = client.create_user().await.unwrap_err();

    assert_eq!(emulator.request_count(Route::CreateIdentity), 4);
    assert_eq!(
        error.service_error().map(|e| e.status().as_u16()),
        Some(503)
    );
    assert_eq!(
        error.service_error().and_then(|e| e.code()),
        Some("ServiceUnavailable")
    );
    assert_eq!(error.http_error().and_then(|e| e.attempts()), Some(4));
    assert_eq!(error.service_error().map(|e| e.attempts()), Some(4));
    // The fault queue is used up: the next call succeeds.
    client.create_user().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn default_retry_delays_pass_on_tokio_time() {
    // 503 without Retry-After: the default policy waits ~0.8 s, then ~1.6 s (paused clock).
    let emulator = Emulator::start().await.unwrap();
    let client = crate::common::builder_for(&emulator)
        .retry_policy(RetryPolicy::default().without_jitter())
        .build()
        .unwrap();
    emulator.inject(Fault::status(503).times(2).on(Route::CreateIdentity));

    let started = tokio::time::Instant::now();
    client.create_user().await.unwrap();

    assert_eq!(started.elapsed(), Duration::from_millis(800 + 1600));
    assert_eq!(emulator.request_count(Route::CreateIdentity), 3);
}

#[tokio::test]
async fn no_retries_policy_gives_up_after_one_attempt() {
    let emulator = Emulator::start().await.unwrap();
    let client = crate::common::builder_for(&emulator)
        .retry_policy(RetryPolicy::no_retries())
        .build()
        .unwrap();
    emulator.inject(Fault::status(500).on(Route::CreateIdentity));
    let error = client.create_user().await.unwrap_err();
    assert_eq!(error.http_error().and_then(|e| e.attempts()), Some(1));
    assert_eq!(
        error.service_error().map(|e| e.status().as_u16()),
        Some(500)
    );
}

#[tokio::test]
async fn an_unreachable_service_is_a_transport_error() {
    // Bind and drop a listener: its port is then (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = CommunicationIdentityClient::builder(
        format!("http://127.0.0.1:{port}/"),
        "cHc=".parse::<acs_identity::AccessKey>().unwrap(),
    )
    .retry_policy(fast_retries())
    .build()
    .unwrap();
    let error = client.create_user().await.unwrap_err();
    assert!(
        matches!(
            error.http_error(),
            Some(HttpError::Transport { attempts: 4, .. })
        ),
        "{error:?}"
    );
    assert_eq!(error.http_error().and_then(|e| e.status()), None);
}

#[tokio::test]
async fn lifetimes_that_are_not_whole_minutes_are_refused_before_sending() {
    let (emulator, client) = emulator_and_client().await;
    let user = client.create_user().await.unwrap();
    let requests_before = emulator.requests().len();

    for minutes_x60 in [0, 59, 90 * 60 + 30, u64::MAX / 2] {
        let expires_in = Duration::from_secs(minutes_x60);
        let error = client
            .get_token(&user, [CommunicationTokenScope::Chat], Some(expires_in))
            .await
            .unwrap_err();
        assert!(
            matches!(error, IdentityError::InvalidExpiresIn { expires_in: e } if e == expires_in),
            "{error:?}"
        );
        assert!(error.is_client_side());
        let error = client
            .create_user_and_token([CommunicationTokenScope::Chat], Some(expires_in))
            .await
            .unwrap_err();
        assert!(matches!(error, IdentityError::InvalidExpiresIn { .. }));
    }
    let error = client
        .get_token(
            &user,
            [CommunicationTokenScope::Chat],
            Some(Duration::from_millis(3_600_500)),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, IdentityError::InvalidExpiresIn { .. }));
    assert_eq!(
        emulator.requests().len(),
        requests_before,
        "nothing was sent"
    );

    // The service's bounds are accepted; outside them the service answers (400), not the client.
    for minutes in [60, 1440] {
        client
            .get_token(
                &user,
                [CommunicationTokenScope::Chat],
                Some(Duration::from_secs(minutes * 60)),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn lifetimes_the_service_accepts_are_sent_whatever_they_are() {
    // An emulator in test mode accepts 2 minutes: the client lets the server decide.
    let emulator = Emulator::builder()
        .allow_short_lifetimes(true)
        .start()
        .await
        .unwrap();
    let client = client_for(&emulator);
    let (_, token) = client
        .create_user_and_token(
            [CommunicationTokenScope::Chat],
            Some(Duration::from_secs(120)),
        )
        .await
        .expect("a 2-minute token");
    let lifetime = token.expires_on() - time::OffsetDateTime::now_utc();
    assert!(
        lifetime <= time::Duration::minutes(2) && lifetime > time::Duration::minutes(1),
        "{lifetime}"
    );

    // The public service's range is the service's to enforce: 1441 minutes reaches it.
    let error = client
        .create_user_and_token(
            [CommunicationTokenScope::Chat],
            Some(Duration::from_secs(1441 * 60)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.service_error().map(|e| e.status().as_u16()),
        Some(400),
        "{error:?}"
    );
    assert!(!error.is_client_side());
}

#[tokio::test]
async fn empty_scopes_and_empty_arguments_are_refused_before_sending() {
    let (emulator, client) = emulator_and_client().await;
    let user = client.create_user().await.unwrap();
    let requests_before = emulator.requests().len();
    let none: [CommunicationTokenScope; 0] = [];

    assert!(matches!(
        client.get_token(&user, none.clone(), None).await,
        Err(IdentityError::NoScopes)
    ));
    assert!(matches!(
        client.create_user_and_token(none, None).await,
        Err(IdentityError::NoScopes)
    ));
    for (token, app, user_id, argument) in [
        ("", "app", "user", "token"),
        ("tok", " ", "user", "app_id"),
        ("tok", "app", "", "user_id"),
    ] {
        let error = client
            .get_token_for_teams_user(token, app, user_id)
            .await
            .unwrap_err();
        assert!(
            matches!(error, IdentityError::EmptyArgument { argument: a } if a == argument),
            "{error:?}"
        );
    }
    assert_eq!(emulator.requests().len(), requests_before);
}

#[test]
fn scope_text_round_trips_and_bad_text_is_refused() {
    for scope in CommunicationTokenScope::KNOWN {
        let text = scope.to_string();
        assert_eq!(text.parse::<CommunicationTokenScope>().unwrap(), scope);
    }
    assert_eq!(
        "voip.join".parse::<CommunicationTokenScope>().unwrap(),
        CommunicationTokenScope::VoIpJoin
    );
    // Known names are case-sensitive, like the wire: other casings are other scopes.
    assert_eq!(
        "Chat".parse::<CommunicationTokenScope>().unwrap(),
        CommunicationTokenScope::Other("Chat".into())
    );
    for bad in ["", " ", "chat voip", "chat,voip", "chat\n", "é"] {
        assert!(
            matches!(
                bad.parse::<CommunicationTokenScope>(),
                Err(IdentityError::InvalidScope { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn bad_connection_strings_and_endpoints_are_typed_errors() {
    let error =
        CommunicationIdentityClient::from_connection_string("endpoint=https://x/").unwrap_err();
    assert!(
        matches!(error, IdentityError::ConnectionString(_)),
        "{error:?}"
    );

    let secret = "c2VjcmV0LWtleS1ub3QtdG8tbGVhaw==";
    let error = CommunicationIdentityClient::from_connection_string(&format!(
        "endpoint=http://contoso.communication.azure.com/;accesskey={secret}"
    ))
    .unwrap_err();
    assert!(
        matches!(
            error,
            IdentityError::Endpoint(acs_http::EndpointError::InsecureHttp)
        ),
        "{error:?}"
    );
    assert!(!format!("{error:?} {error}").contains(secret));
}

/// A client for a scripted server on 127.0.0.1 (for answers the emulator never gives).
fn client_for_server(server: &TestServer) -> CommunicationIdentityClient {
    let key: acs_identity::AccessKey = "cHc=".parse().unwrap();
    CommunicationIdentityClient::builder(server.url(), key)
        .retry_policy(RetryPolicy::no_retries())
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn the_accessors_are_the_http_errors_for_service_and_unreadable_answers() {
    let server = TestServer::start().await;
    server.enqueue(
        Reply::acs_error(409, "Conflict", "Already there.")
            .header("x-ms-request-id", "rid-1")
            .header("x-ms-client-request-id", "cid-1"),
    );
    server.enqueue(
        Reply::status(201)
            .body("{not json")
            .header("x-ms-request-id", "rid-2")
            .header("x-ms-client-request-id", "cid-2"),
    );
    let client = client_for_server(&server);

    let service = client.create_user().await.unwrap_err();
    let unreadable = client.create_user().await.unwrap_err();

    for (error, request_id, client_request_id) in [
        (&service, "rid-1", "cid-1"),
        (&unreadable, "rid-2", "cid-2"),
    ] {
        let http = error.http_error().expect("an HttpError");
        // The service error reached in one call is the HttpError's own.
        assert_eq!(error.service_error(), http.service_error());
        assert_eq!(
            error.http_error().and_then(|e| e.request_id()),
            Some(request_id),
            "{error:?}"
        );
        assert_eq!(
            error.http_error().and_then(|e| e.client_request_id()),
            Some(client_request_id)
        );
    }
    assert_eq!(
        service.service_error().map(|e| e.status().as_u16()),
        Some(409)
    );
    assert_eq!(
        service.service_error().and_then(|e| e.code()),
        Some("Conflict")
    );
    assert_eq!(
        service.service_error().and_then(|e| e.message()),
        Some("Already there.")
    );
    assert_eq!(service.to_string(), "create_user failed: HTTP 409 Conflict");

    assert!(
        matches!(unreadable.http_error(), Some(HttpError::Decode { .. })),
        "{unreadable:?}"
    );
    assert_eq!(
        unreadable.http_error().and_then(|e| e.status()),
        Some(http::StatusCode::CREATED)
    );
    assert!(
        unreadable.service_error().is_none(),
        "a success is no service error"
    );
    // The outer line names the operation; why the body was unreadable is in the source.
    assert_eq!(unreadable.to_string(), "create_user failed");
}

#[tokio::test(start_paused = true)]
async fn a_success_answer_with_an_empty_token_is_an_unexpected_response() {
    let expires_on = "2034-10-04T10:21:29.4729393+00:00";
    let server = TestServer::start().await;
    server.enqueue(Reply::json(
        201,
        serde_json::json!({"identity": {"id": "8:acs:r_u"}, "accessToken": {"token": "", "expiresOn": expires_on}}),
    ));
    server.enqueue(Reply::json(
        200,
        serde_json::json!({"token": "", "expiresOn": expires_on}),
    ));
    server.enqueue(Reply::json(
        200,
        serde_json::json!({"token": "", "expiresOn": expires_on}),
    ));
    let client = client_for_server(&server);
    let user = CommunicationUserIdentifier::new("8:acs:r_u").unwrap();

    let errors = [
        (
            IdentityOperation::CreateUserAndToken,
            client
                .create_user_and_token([CommunicationTokenScope::Chat], None)
                .await
                .map(|(_, token)| token),
        ),
        (
            IdentityOperation::GetToken,
            client
                .get_token(&user, [CommunicationTokenScope::Chat], None)
                .await,
        ),
        (
            IdentityOperation::GetTokenForTeamsUser,
            client
                .get_token_for_teams_user("teams-token", "app", "user")
                .await,
        ),
    ];
    for (operation, result) in errors {
        let error = result.expect_err("an empty token is no token");
        assert!(
            matches!(error, IdentityError::UnexpectedResponse { operation: o, .. } if o == operation),
            "{error:?}"
        );
    }
    assert_eq!(server.request_count(), 3);
}
