//! The identity routes: shapes, status codes, api-versions, validation, revocation, deletion.

use crate::common;

use crate::common::{Auth, encode, keys, send};
use acs_emulator::{
    Emulator, IDENTITY_API_VERSIONS, IdentityState, ManualClock, Route, RunningEmulator,
    TokenStatus,
};
use acs_token::{AccessToken, TokenClaims};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const START: OffsetDateTime = datetime!(2030-05-06 07:08:09.1234567 UTC);
const V: &str = "api-version=2025-06-30";

async fn emulator(clock: &ManualClock) -> RunningEmulator {
    Emulator::builder()
        .clock(clock.clone())
        .resource_id("11111111-2222-3333-4444-555555555555")
        .start()
        .await
        .expect("the emulator starts")
}

fn hmac(clock: &ManualClock) -> Auth {
    common::hmac_on(clock)
}

async fn create(emulator: &RunningEmulator, clock: &ManualClock, body: &Value) -> Value {
    let answer = send(
        emulator,
        Method::POST,
        &format!("/identities?{V}"),
        body.to_string().as_bytes(),
        hmac(clock),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    answer.json
}

async fn issue(
    emulator: &RunningEmulator,
    clock: &ManualClock,
    id: &str,
    body: &Value,
) -> common::Answer {
    send(
        emulator,
        Method::POST,
        &format!("/identities/{}/:issueAccessToken?{V}", encode(id)),
        body.to_string().as_bytes(),
        hmac(clock),
    )
    .await
}

/// `expiresOn` parsed back, checking the service's format on the way.
fn expires_on(value: &Value) -> OffsetDateTime {
    let text = value.as_str().expect("expiresOn is a string");
    // 2034-10-04T10:21:29.4729393+00:00
    assert_eq!(text.len(), 33, "{text}");
    assert_eq!(&text[19..20], ".");
    assert!(text[20..27].bytes().all(|b| b.is_ascii_digit()), "{text}");
    assert_eq!(&text[27..], "+00:00");
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("expiresOn is RFC 3339")
}

#[tokio::test]
async fn create_with_an_empty_body_or_braces_returns_only_an_identity() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    for body in [&b""[..], b"{}"] {
        let answer = send(
            &emulator,
            Method::POST,
            &format!("/identities?{V}"),
            body,
            hmac(&clock),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED);
        assert_eq!(keys(&answer.json), ["identity"]);
        assert_eq!(keys(&answer.json["identity"]), ["id"]);
        let id = answer.json["identity"]["id"].as_str().unwrap();
        let user = id
            .strip_prefix("8:acs:11111111-2222-3333-4444-555555555555_")
            .expect("a resource-scoped ACS ID");
        assert_eq!(user.len(), 36, "{user}");
        assert_eq!(emulator.identity_state(id), Some(IdentityState::Active));
        assert_eq!(emulator.tokens_issued(id), 0);
    }
    assert_eq!(emulator.identities().len(), 2);
}

#[tokio::test]
async fn create_with_scopes_returns_a_real_token_with_acs_claims() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let answer = create(
        &emulator,
        &clock,
        &json!({"createTokenWithScopes": ["chat", "voip"], "expiresInMinutes": 90}),
    )
    .await;
    assert_eq!(keys(&answer), ["accessToken", "identity"]);
    assert_eq!(keys(&answer["accessToken"]), ["expiresOn", "token"]);
    let id = answer["identity"]["id"].as_str().unwrap();
    let token = answer["accessToken"]["token"].as_str().unwrap();
    let expires = expires_on(&answer["accessToken"]["expiresOn"]);
    assert_eq!(expires, START + Duration::minutes(90));

    let claims = TokenClaims::decode(token).expect("a readable JWT");
    assert_eq!(claims.expires_on.unix_timestamp(), expires.unix_timestamp());
    assert_eq!(
        claims.issued_at.map(OffsetDateTime::unix_timestamp),
        Some(START.unix_timestamp())
    );
    assert_eq!(claims.skype_id.as_deref(), id.strip_prefix("8:"));
    assert_eq!(claims.scp, Some(1792));
    assert_eq!(claims.csi, Some(START.unix_timestamp().to_string()));
    assert_eq!(claims.acs_scopes, ["chat", "voip"]);
    assert_eq!(claims.resource_id.as_deref(), Some(emulator.resource_id()));
    assert_eq!(claims.resource_location.as_deref(), Some("unitedstates"));
    let parsed: AccessToken = token.parse().expect("an AccessToken");
    assert_eq!(
        parsed.expires_on().unix_timestamp(),
        expires.unix_timestamp()
    );
    assert_eq!(emulator.tokens_issued(id), 1);
    assert_eq!(emulator.token_status(token), TokenStatus::Valid);
}

#[tokio::test]
async fn issue_token_on_a_percent_encoded_id_and_on_a_plain_one() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let id = create(&emulator, &clock, &json!({})).await["identity"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let answer = issue(&emulator, &clock, &id, &json!({"scopes": ["voip.join"]})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(keys(&answer.json), ["expiresOn", "token"]);
    // No expiresInMinutes: the service's default of 24 hours.
    assert_eq!(
        expires_on(&answer.json["expiresOn"]),
        START + Duration::hours(24)
    );
    let claims = TokenClaims::decode(answer.json["token"].as_str().unwrap()).unwrap();
    assert_eq!(claims.acs_scopes, ["voip.join"]);

    let plain = send(
        &emulator,
        Method::POST,
        &format!("/identities/{id}/:issueAccessToken?{V}"),
        br#"{"scopes":["chat.join.limited","chat.join"],"expiresInMinutes":1440}"#,
        hmac(&clock),
    )
    .await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text);
    assert_eq!(
        expires_on(&plain.json["expiresOn"]),
        START + Duration::minutes(1440)
    );
    assert_eq!(emulator.tokens_issued(&id), 2);
    assert_eq!(emulator.request_count(Route::IssueAccessToken), 2);
}

#[tokio::test]
async fn revocation_is_remembered_for_earlier_tokens_only() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let created = create(
        &emulator,
        &clock,
        &json!({"createTokenWithScopes": ["chat"]}),
    )
    .await;
    let id = created["identity"]["id"].as_str().unwrap();
    let first = created["accessToken"]["token"].as_str().unwrap().to_owned();

    let answer = send(
        &emulator,
        Method::POST,
        &format!("/identities/{}/:revokeAccessTokens?{V}", encode(id)),
        b"",
        hmac(&clock),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(answer.text.is_empty());
    assert_eq!(emulator.token_status(&first), TokenStatus::Revoked);
    assert!(!emulator.is_token_valid(&first));

    // Same second as the revocation: still a fresh, valid token.
    let after = issue(&emulator, &clock, id, &json!({"scopes": ["chat"]})).await;
    let second = after.json["token"].as_str().unwrap();
    assert_eq!(emulator.token_status(second), TokenStatus::Valid);

    clock.advance(Duration::hours(25));
    assert_eq!(emulator.token_status(second), TokenStatus::Expired);
    assert_eq!(emulator.token_status(&first), TokenStatus::Revoked);
    assert_eq!(emulator.token_status("not-a-token"), TokenStatus::Unknown);
}

#[tokio::test]
async fn deletion_is_remembered_and_later_operations_get_404() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let created = create(
        &emulator,
        &clock,
        &json!({"createTokenWithScopes": ["voip"]}),
    )
    .await;
    let id = created["identity"]["id"].as_str().unwrap();
    let token = created["accessToken"]["token"].as_str().unwrap();
    let path = format!("/identities/{}?{V}", encode(id));

    let deleted = send(&emulator, Method::DELETE, &path, b"", hmac(&clock)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.text.is_empty());
    assert_eq!(emulator.identity_state(id), Some(IdentityState::Deleted));
    assert_eq!(emulator.token_status(token), TokenStatus::IdentityDeleted);

    let again = send(&emulator, Method::DELETE, &path, b"", hmac(&clock)).await;
    let issued = issue(&emulator, &clock, id, &json!({"scopes": ["chat"]})).await;
    let revoked = send(
        &emulator,
        Method::POST,
        &format!("/identities/{}/:revokeAccessTokens?{V}", encode(id)),
        b"",
        hmac(&clock),
    )
    .await;
    for answer in [again, issued, revoked] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text);
        assert_eq!(answer.error_code(), "IdentityNotFound");
        assert_eq!(
            answer.json["error"]["message"],
            "Provided identity doesn't exist."
        );
    }
}

#[tokio::test]
async fn unknown_identities_get_404() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let unknown = "8:acs:11111111-2222-3333-4444-555555555555_00000027-0000-0000-0000-000000000000";
    let answer = issue(&emulator, &clock, unknown, &json!({"scopes": ["chat"]})).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.error_code(), "IdentityNotFound");
    assert_eq!(emulator.identity_state(unknown), None);
}

#[tokio::test]
async fn every_ga_api_version_is_accepted_and_others_are_rejected() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    assert_eq!(IDENTITY_API_VERSIONS.len(), 6);
    for version in IDENTITY_API_VERSIONS {
        let answer = send(
            &emulator,
            Method::POST,
            &format!("/identities?api-version={version}"),
            b"{}",
            hmac(&clock),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{version}: {}",
            answer.text
        );
    }
    for version in ["2020-07-20-preview2", "2025-03-02-preview", "", "latest"] {
        let answer = send(
            &emulator,
            Method::POST,
            &format!("/identities?api-version={version}"),
            b"{}",
            hmac(&clock),
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{version}");
        assert_eq!(answer.error_code(), "UnsupportedApiVersion");
        let message = answer.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("does not support the API version"),
            "{message}"
        );
    }
    let missing = send(&emulator, Method::POST, "/identities", b"{}", hmac(&clock)).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.error_code(), "MissingApiVersionParameter");
    assert_eq!(emulator.identities().len(), IDENTITY_API_VERSIONS.len());
}

#[tokio::test]
async fn bad_scopes_and_lifetimes_are_400() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let id = create(&emulator, &clock, &json!({})).await["identity"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = [
        (json!({"scopes": ["chat", "email"]}), "InvalidScope"),
        (json!({"scopes": ["Chat"]}), "InvalidScope"),
        (json!({"scopes": []}), "MissingScopes"),
        (json!({}), "MissingScopes"),
        (
            json!({"scopes": ["chat"], "expiresInMinutes": 59}),
            "InvalidExpiresInMinutes",
        ),
        (
            json!({"scopes": ["chat"], "expiresInMinutes": 1441}),
            "InvalidExpiresInMinutes",
        ),
        (
            json!({"scopes": ["chat"], "expiresInMinutes": 0}),
            "InvalidExpiresInMinutes",
        ),
        (
            json!({"scopes": ["chat"], "expiresInMinutes": -60}),
            "InvalidExpiresInMinutes",
        ),
        (
            json!({"scopes": ["chat"], "expiresInMinutes": "60"}),
            "InvalidRequestBody",
        ),
        (json!({"scopes": "chat"}), "InvalidRequestBody"),
    ];
    for (body, inner) in cases {
        let answer = issue(&emulator, &clock, &id, &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.error_code(), "BadRequest", "{body}");
        assert_eq!(answer.inner_code(), inner, "{body}");
    }
    let not_json = send(
        &emulator,
        Method::POST,
        &format!("/identities?{V}"),
        b"{not json",
        hmac(&clock),
    )
    .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.inner_code(), "InvalidRequestBody");
    let bad_create = send(
        &emulator,
        Method::POST,
        &format!("/identities?{V}"),
        br#"{"createTokenWithScopes":["chat"],"expiresInMinutes":30}"#,
        hmac(&clock),
    )
    .await;
    assert_eq!(bad_create.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_create.json["error"]["target"], "expiresInMinutes");
    // Only the one identity made above; failed requests create nothing and mint nothing.
    assert_eq!(emulator.identities(), std::slice::from_ref(&id));
    assert_eq!(emulator.tokens_issued(&id), 0);
    for minutes in [60, 1440] {
        let answer = issue(
            &emulator,
            &clock,
            &id,
            &json!({"scopes": ["chat"], "expiresInMinutes": minutes}),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{minutes}");
    }
}

#[tokio::test]
async fn test_mode_lifetimes() {
    let clock = ManualClock::new(START);
    let fixed = Emulator::builder()
        .clock(clock.clone())
        .token_lifetime(std::time::Duration::from_secs(20))
        .start()
        .await
        .unwrap();
    let answer = create(
        &fixed,
        &clock,
        &json!({"createTokenWithScopes": ["chat"], "expiresInMinutes": 120}),
    )
    .await;
    assert_eq!(
        expires_on(&answer["accessToken"]["expiresOn"]),
        START + Duration::seconds(20)
    );
    let token = answer["accessToken"]["token"].as_str().unwrap();
    assert_eq!(
        TokenClaims::decode(token)
            .unwrap()
            .expires_on
            .unix_timestamp(),
        (START + Duration::seconds(20)).unix_timestamp()
    );
    clock.advance(Duration::seconds(20));
    assert_eq!(fixed.token_status(token), TokenStatus::Expired);

    let short = Emulator::builder()
        .clock(clock.clone())
        .allow_short_lifetimes(true)
        .start()
        .await
        .unwrap();
    let answer = create(
        &short,
        &clock,
        &json!({"createTokenWithScopes": ["chat"], "expiresInMinutes": 5}),
    )
    .await;
    assert_eq!(
        expires_on(&answer["accessToken"]["expiresOn"]),
        clock_now(&clock) + Duration::minutes(5)
    );
}

fn clock_now(clock: &ManualClock) -> OffsetDateTime {
    use acs_emulator::Clock as _;
    clock.now()
}

/// The Teams user's ID is `8:orgid:<userId>`: a GUID userId is taken (lower-case), any other
/// text is replaced by a GUID derived from it, so no caller-chosen text reaches the ID.
#[tokio::test]
async fn teams_user_ids_are_guids() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let path = format!("/teamsUser/:exchangeAccessToken?{V}");
    let skype_id = |user_id: &str| {
        let emulator = &emulator;
        let path = &path;
        let clock = &clock;
        let body = json!({"token": "opaque", "appId": "a", "userId": user_id}).to_string();
        async move {
            let answer = send(emulator, Method::POST, path, body.as_bytes(), hmac(clock)).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
            let token = answer.json["token"].as_str().unwrap();
            TokenClaims::decode(token).unwrap().skype_id.unwrap()
        }
    };
    assert_eq!(
        skype_id(&USER_1.to_uppercase()).await,
        format!("orgid:{USER_1}")
    );
    for odd in ["t/../x:y", "user-1"] {
        let id = skype_id(odd).await;
        let user = id.strip_prefix("orgid:").unwrap();
        assert!(uuid::Uuid::try_parse(user).is_ok(), "{id}");
        assert_eq!(skype_id(odd).await, id, "stable");
    }
    assert_ne!(skype_id("t/../x:y").await, skype_id("user-1").await);
}

/// Entra object IDs of two Teams users.
const USER_1: &str = "6e1f2a4b-1c1c-4005-be24-0ffb879b1130";
const USER_2: &str = "0b8e3c55-9f06-482a-b5d8-20e3f26ef0cd";

#[tokio::test]
async fn teams_user_exchange() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let path = format!("/teamsUser/:exchangeAccessToken?{V}");
    let entra = acs_token::test_util::TokenBuilder::new()
        .claim("oid", USER_1)
        .claim("appid", "app-1")
        .exp((START + Duration::hours(1)).unix_timestamp())
        .build();
    let body = json!({"token": entra, "appId": "app-1", "userId": USER_1});
    let answer = send(
        &emulator,
        Method::POST,
        &path,
        body.to_string().as_bytes(),
        hmac(&clock),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(keys(&answer.json), ["expiresOn", "token"]);
    let claims = TokenClaims::decode(answer.json["token"].as_str().unwrap()).unwrap();
    assert_eq!(
        claims.skype_id.as_deref(),
        Some(format!("orgid:{USER_1}").as_str())
    );
    assert_eq!(
        claims.expires_on.unix_timestamp(),
        expires_on(&answer.json["expiresOn"]).unix_timestamp()
    );
    assert_eq!(
        emulator.token_status(answer.json["token"].as_str().unwrap()),
        TokenStatus::Valid
    );

    // An opaque token is taken as is.
    let opaque = json!({"token": "opaque", "appId": "a", "userId": USER_1});
    let answer = send(
        &emulator,
        Method::POST,
        &path,
        opaque.to_string().as_bytes(),
        hmac(&clock),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);

    let cases = [
        (
            json!({"token": entra, "appId": "app-1"}),
            StatusCode::BAD_REQUEST,
            "MissingField",
        ),
        (
            json!({"token": "", "appId": "a", "userId": USER_1}),
            StatusCode::BAD_REQUEST,
            "MissingField",
        ),
        (
            json!({"token": entra, "appId": "app-1", "userId": USER_2}),
            StatusCode::BAD_REQUEST,
            "UserIdMismatch",
        ),
        (
            json!({"token": entra, "appId": "app-2", "userId": USER_1}),
            StatusCode::BAD_REQUEST,
            "AppIdMismatch",
        ),
    ];
    for (body, status, inner) in cases {
        let answer = send(
            &emulator,
            Method::POST,
            &path,
            body.to_string().as_bytes(),
            hmac(&clock),
        )
        .await;
        assert_eq!(answer.status, status, "{body}");
        assert_eq!(answer.inner_code(), inner, "{body}");
    }
    clock.advance(Duration::hours(2));
    let answer = send(
        &emulator,
        Method::POST,
        &path,
        body.to_string().as_bytes(),
        hmac(&clock),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.inner_code(), "TokenExpired");
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let answer = send(
        &emulator,
        Method::POST,
        &format!("/chat?{V}"),
        b"",
        hmac(&clock),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.error_code(), "NotFound");
    let answer = send(
        &emulator,
        Method::GET,
        &format!("/identities?{V}"),
        b"",
        hmac(&clock),
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.error_code(), "MethodNotAllowed");
    // A path that matches nothing is not recorded (a flood of them must not fill the record).
    let records = emulator.requests();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].route, None);
    assert_eq!(records[0].path, "/identities");
    assert_eq!(records[0].status, StatusCode::METHOD_NOT_ALLOWED);
}

/// Interop finding (`cargo xtask interop`): both official SDKs send `x-ms-client-request-id` on
/// every request (Python adds `x-ms-return-client-request-id: true`); Azure services echo it on
/// every answer, errors included, so a client can match a failure to its request.
#[tokio::test]
async fn the_client_request_id_is_echoed_on_success_and_on_errors() {
    use acs_emulator::Clock as _;
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let request = |path_and_query: &str, request_id: Option<&str>| {
        let mut builder =
            http::Request::post(format!("http://{}{path_and_query}", emulator.local_addr()));
        if let Some(id) = request_id {
            builder = builder
                .header("x-ms-client-request-id", id)
                .header("x-ms-return-client-request-id", "true");
        }
        let mut request = builder.body(b"{}".to_vec()).expect("a valid request");
        emulator
            .signer()
            .sign_at(&mut request, clock.now())
            .expect("signable");
        request
    };

    let created = common::send_signed(request(
        &format!("/identities?{V}"),
        Some("18b380aa-e918-11f1-b66a-02fc00000001"),
    ))
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(
        created.headers["x-ms-client-request-id"],
        "18b380aa-e918-11f1-b66a-02fc00000001"
    );

    let missing = common::send_signed(request(
        &format!("/identities/8%3Aacs%3Anobody/:revokeAccessTokens?{V}"),
        Some("second-id"),
    ))
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    assert_eq!(missing.headers["x-ms-client-request-id"], "second-id");

    let anonymous = common::send_signed(request(&format!("/identities?{V}"), None)).await;
    assert_eq!(anonymous.status, StatusCode::CREATED, "{}", anonymous.text);
    assert!(anonymous.headers.get("x-ms-client-request-id").is_none());
}
