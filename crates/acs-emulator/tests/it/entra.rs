//! The two Entra token exchange routes.

use crate::common;

use crate::common::{Auth, encode, keys, send};
use acs_emulator::{
    ENTRA_EXCHANGE_API_VERSION, Emulator, IdentityState, ManualClock, RunningEmulator,
    TEAMS_EXTENSION_EXCHANGE_API_VERSION, TokenStatus,
};
use acs_identifiers::{CommunicationIdentifier, CommunicationIdentifierKind};
use acs_token::TokenClaims;
use acs_token::test_util::TokenBuilder;
use http::{Method, StatusCode};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const START: OffsetDateTime = datetime!(2032-07-08 09:10:11 UTC);
const TENANT: &str = "45ab2481-1c1c-4005-be24-0ffb879b1130";
const ENTRA: &str = "/access/entra/:exchangeAccessToken?api-version=2025-03-02-preview";
const TEAMS: &str = "/access/teamsExtension/:exchangeAccessToken?api-version=2025-06-30";

/// Entra object IDs.
const CAROL: &str = "1d2c3b4a-0000-4000-8000-00000000ca01";
const ERIN: &str = "1d2c3b4a-0000-4000-8000-00000000e201";

async fn emulator(clock: &ManualClock) -> RunningEmulator {
    Emulator::builder()
        .clock(clock.clone())
        .resource_id("bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd")
        .start()
        .await
        .unwrap()
}

fn entra_token(oid: &str) -> String {
    TokenBuilder::new()
        .claim("oid", oid)
        .claim("tid", TENANT)
        .claim("sub", format!("sub-of-{oid}"))
        .exp((START + Duration::hours(1)).unix_timestamp())
        .build()
}

async fn exchange(emulator: &RunningEmulator, path: &str, bearer: &str) -> common::Answer {
    send(
        emulator,
        Method::POST,
        path,
        b"{}",
        Auth::Bearer(bearer.to_owned()),
    )
    .await
}

#[tokio::test]
async fn the_entra_route_answers_identity_and_token() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let answer = exchange(
        &emulator,
        ENTRA,
        &entra_token("207ffef6-9444-41fb-92ab-20eacaae2768"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(keys(&answer.json), ["accessToken", "identity"]);
    assert_eq!(keys(&answer.json["identity"]), ["id"]);
    assert_eq!(keys(&answer.json["accessToken"]), ["expiresOn", "token"]);
    let id = answer.json["identity"]["id"].as_str().unwrap();
    assert_eq!(
        CommunicationIdentifier::from_raw_id(id).kind(),
        CommunicationIdentifierKind::CommunicationUser
    );
    assert!(id.starts_with("8:acs:bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd_"));
    let expires_on = answer.json["accessToken"]["expiresOn"].as_str().unwrap();
    assert_eq!(expires_on, "2032-07-08T10:10:11.0000000+00:00");
    let claims =
        TokenClaims::decode(answer.json["accessToken"]["token"].as_str().unwrap()).unwrap();
    assert_eq!(claims.skype_id.as_deref(), id.strip_prefix("8:"));
    assert_eq!(claims.expires_on, START + Duration::hours(1));
    // Exchanged identities are live without being stored, and their tokens are not counted.
    assert_eq!(emulator.identity_state(id), Some(IdentityState::Active));
    assert_eq!(emulator.tokens_issued(id), 0);
    assert!(emulator.identities().is_empty());
}

#[tokio::test]
async fn the_same_entra_user_maps_to_the_same_identity() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let id_of = |answer: common::Answer| answer.json["identity"]["id"].as_str().unwrap().to_owned();
    let alice = id_of(exchange(&emulator, ENTRA, &entra_token("alice")).await);
    let alice_again = id_of(
        exchange(
            &emulator,
            ENTRA,
            &TokenBuilder::new()
                .claim("oid", "alice")
                .claim("tid", TENANT)
                .claim("nonce", 1)
                .build(),
        )
        .await,
    );
    let bob = id_of(exchange(&emulator, ENTRA, &entra_token("bob")).await);
    assert_eq!(alice, alice_again);
    assert_ne!(alice, bob);

    // A token that is not a readable JWT is keyed on its text.
    let opaque = id_of(exchange(&emulator, ENTRA, "opaque-entra-token").await);
    assert_eq!(
        opaque,
        id_of(exchange(&emulator, ENTRA, "opaque-entra-token").await)
    );
    assert_ne!(
        opaque,
        id_of(exchange(&emulator, ENTRA, "another-opaque-token").await)
    );

    // The exchanged identity is a real identity: it can be given tokens and deleted.
    let issued = send(
        &emulator,
        Method::POST,
        &format!(
            "/identities/{}/:issueAccessToken?api-version=2025-06-30",
            encode(&alice)
        ),
        br#"{"scopes":["chat"]}"#,
        Auth::Bearer("admin".into()),
    )
    .await;
    assert_eq!(issued.status, StatusCode::OK);
    let deleted = send(
        &emulator,
        Method::DELETE,
        &format!("/identities/{}?api-version=2025-06-30", encode(&alice)),
        b"",
        Auth::Bearer("admin".into()),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let after = exchange(&emulator, ENTRA, &entra_token("alice")).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND);
    assert_eq!(after.error_code(), "IdentityNotFound");
}

#[tokio::test]
async fn the_teams_extension_route_answers_a_teams_extension_user() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let user = "207ffef6-9444-41fb-92ab-20eacaae2768";
    let answer = exchange(&emulator, TEAMS, &entra_token(user)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(keys(&answer.json), ["accessToken", "identity"]);
    let id = answer.json["identity"]["id"].as_str().unwrap();
    assert_eq!(
        id,
        format!("8:acs:bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd_{TENANT}_{user}")
    );
    assert_eq!(
        CommunicationIdentifier::from_raw_id(id).kind(),
        CommunicationIdentifierKind::TeamsExtensionUser
    );
    let opaque = exchange(&emulator, TEAMS, "opaque").await;
    let opaque_id = opaque.json["identity"]["id"].as_str().unwrap();
    assert_eq!(
        CommunicationIdentifier::from_raw_id(opaque_id).kind(),
        CommunicationIdentifierKind::TeamsExtensionUser
    );
}

#[tokio::test]
async fn each_exchange_route_takes_only_its_api_version() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let bearer = entra_token(CAROL);
    for (route, own, other) in [
        (
            "/access/entra/:exchangeAccessToken",
            ENTRA_EXCHANGE_API_VERSION,
            "2023-10-01",
        ),
        (
            "/access/teamsExtension/:exchangeAccessToken",
            TEAMS_EXTENSION_EXCHANGE_API_VERSION,
            ENTRA_EXCHANGE_API_VERSION,
        ),
    ] {
        let ok = exchange(&emulator, &format!("{route}?api-version={own}"), &bearer).await;
        assert_eq!(ok.status, StatusCode::OK, "{route}");
        let wrong = exchange(&emulator, &format!("{route}?api-version={other}"), &bearer).await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{route}");
        assert_eq!(wrong.error_code(), "UnsupportedApiVersion");
        let missing = exchange(&emulator, route, &bearer).await;
        assert_eq!(missing.error_code(), "MissingApiVersionParameter");
    }
}

#[tokio::test]
async fn an_expired_entra_token_is_401() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let token = entra_token("dave");
    assert_eq!(
        exchange(&emulator, ENTRA, &token).await.status,
        StatusCode::OK
    );
    clock.advance(Duration::hours(1));
    let answer = exchange(&emulator, ENTRA, &token).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.inner_code(), "TokenExpired");
}

#[tokio::test]
async fn test_mode_lifetime_applies_to_exchanges() {
    let clock = ManualClock::new(START);
    let emulator = Emulator::builder()
        .clock(clock.clone())
        .token_lifetime(std::time::Duration::from_secs(15))
        .start()
        .await
        .unwrap();
    let answer = exchange(&emulator, TEAMS, &entra_token(ERIN)).await;
    assert_eq!(
        answer.json["accessToken"]["expiresOn"],
        "2032-07-08T09:10:26.0000000+00:00"
    );
}

/// The Teams extension route builds the identity ID from `tid` and `oid`: only GUIDs are
/// taken (upper-case ones are written lower-case), anything else is a typed 400, and a token
/// without them gets IDs derived from its subject.
#[tokio::test]
async fn teams_extension_ids_take_only_guid_claims() {
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let with = |tid: &str, oid: &str| {
        TokenBuilder::new()
            .claim("tid", tid)
            .claim("oid", oid)
            .exp((START + Duration::hours(1)).unix_timestamp())
            .build()
    };
    for (tid, oid, target) in [
        ("t/../x", ERIN, "tid"),
        (TENANT, "x:y", "oid"),
        (TENANT, "1d2c3b4a00004000800000000000e201", "oid"),
        ("{45ab2481-1c1c-4005-be24-0ffb879b1130}", ERIN, "tid"),
    ] {
        let answer = exchange(&emulator, TEAMS, &with(tid, oid)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{tid} {oid}");
        assert_eq!(answer.inner_code(), "InvalidTokenClaim");
        assert_eq!(answer.json["error"]["target"], target);
    }
    let upper = exchange(&emulator, TEAMS, &with(&TENANT.to_uppercase(), ERIN)).await;
    assert_eq!(upper.status, StatusCode::OK, "{}", upper.text);
    assert_eq!(
        upper.json["identity"]["id"],
        format!("8:acs:bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd_{TENANT}_{ERIN}")
    );
    // Exchanged identities are not stored; the one from good claims is live.
    assert!(emulator.identities().is_empty());
    let id = upper.json["identity"]["id"].as_str().unwrap();
    assert_eq!(emulator.identity_state(id), Some(IdentityState::Active));
}

/// Issue 14: garbage bearers on the exchange routes must not cost memory. An identity derived
/// from an exchange is stored only once something about it changes (a revocation, a deletion),
/// and stays a real identity until then.
#[tokio::test]
async fn distinct_garbage_bearers_store_no_identities_and_exchanged_ones_stay_real() {
    const GARBAGE: usize = 3000;
    let clock = ManualClock::new(START);
    let emulator = emulator(&clock).await;
    let client = reqwest::Client::new();
    for n in 0..GARBAGE {
        let path = if n % 2 == 0 { ENTRA } else { TEAMS };
        let answer = client
            .post(format!("http://{}{path}", emulator.local_addr()))
            .bearer_auth(format!("garbage-bearer-{n}"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "bearer {n}");
    }
    let health = send(&emulator, Method::GET, "/_emulator/health", b"", Auth::None).await;
    assert_eq!(health.json["identities"], 0, "{}", health.text);
    assert!(emulator.identities().is_empty());

    // Exchanged identities are still live identities: tokens are valid, they can join chats
    // (identity_state) and be given tokens on the identity routes.
    let mut ids = Vec::new();
    for (path, bearer) in [(ENTRA, entra_token(CAROL)), (TEAMS, entra_token(ERIN))] {
        let answer = exchange(&emulator, path, &bearer).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let id = answer.json["identity"]["id"].as_str().unwrap().to_owned();
        let token = answer.json["accessToken"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(emulator.identity_state(&id), Some(IdentityState::Active));
        assert_eq!(emulator.token_status(&token), TokenStatus::Valid);
        let issued = send(
            &emulator,
            Method::POST,
            &format!(
                "/identities/{}/:issueAccessToken?api-version=2025-06-30",
                encode(&id)
            ),
            br#"{"scopes":["chat"]}"#,
            Auth::Bearer("admin".into()),
        )
        .await;
        assert_eq!(issued.status, StatusCode::OK, "{}", issued.text);
        ids.push((path, bearer, id, token));
    }
    assert!(emulator.identities().is_empty());

    // Revoking one stores it: its earlier tokens fail, a new exchange gives a valid token.
    let (path, bearer, id, token) = &ids[0];
    let revoked = send(
        &emulator,
        Method::POST,
        &format!(
            "/identities/{}/:revokeAccessTokens?api-version=2025-06-30",
            encode(id)
        ),
        b"",
        Auth::Bearer("admin".into()),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    assert_eq!(emulator.token_status(token), TokenStatus::Revoked);
    assert_eq!(emulator.identities(), std::slice::from_ref(id));
    let again = exchange(&emulator, path, bearer).await;
    assert_eq!(again.json["identity"]["id"], id.as_str());
    let fresh = again.json["accessToken"]["token"].as_str().unwrap();
    assert_eq!(emulator.token_status(fresh), TokenStatus::Valid);

    // Deleting the other one stores it as deleted: its tokens fail, and the exchange answers 404.
    let (path, bearer, id, token) = &ids[1];
    let deleted = send(
        &emulator,
        Method::DELETE,
        &format!("/identities/{}?api-version=2025-06-30", encode(id)),
        b"",
        Auth::Bearer("admin".into()),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert_eq!(emulator.token_status(token), TokenStatus::IdentityDeleted);
    assert_eq!(emulator.identity_state(id), Some(IdentityState::Deleted));
    let after = exchange(&emulator, path, bearer).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND, "{}", after.text);
    let health = send(&emulator, Method::GET, "/_emulator/health", b"", Auth::None).await;
    assert_eq!(health.json["identities"], 2, "{}", health.text);
}
