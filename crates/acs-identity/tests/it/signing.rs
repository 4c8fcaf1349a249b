//! Every attempt, retried ones included, goes out with its own valid HMAC signature (checked
//! here on a scripted server, since the emulator answers injected faults before checking auth).

use std::time::Duration;

use acs_http::RetryPolicy;
use acs_http::test_util::{Reply, TestServer};
use acs_identity::{CommunicationTokenScope, CommunicationUserIdentifier};

use crate::common::scripted_client;

#[tokio::test(start_paused = true)]
async fn each_attempt_is_signed_for_what_it_sends() {
    let server = TestServer::start().await;
    server.enqueue(Reply::acs_error(503, "ServiceUnavailable", "busy"));
    server.enqueue(Reply::acs_error(500, "InternalError", "oops"));
    server.enqueue(Reply::json(
        200,
        serde_json::json!({"token": "opaque", "expiresOn": "2034-10-04T10:21:29.4729393+00:00"}),
    ));
    let (client, verifier) = scripted_client(&server, RetryPolicy::default().without_jitter());
    let user = CommunicationUserIdentifier::new("8:acs:resource_user 1/ä").unwrap();

    let token = client
        .get_token(
            &user,
            [CommunicationTokenScope::Chat],
            Some(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    assert_eq!(token.token(), "opaque");
    assert_eq!(token.expires_on().year(), 2034);

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for recorded in &requests {
        assert_eq!(
            recorded.path,
            "/identities/8%3Aacs%3Aresource_user%201%2F%C3%A4/:issueAccessToken"
        );
        assert_eq!(recorded.query.as_deref(), Some("api-version=2025-06-30"));
        assert_eq!(
            recorded.json(),
            serde_json::json!({"scopes": ["chat"], "expiresInMinutes": 60})
        );
        verifier
            .verify(
                &recorded.to_http_request(&server.url()),
                time::OffsetDateTime::now_utc(),
            )
            .expect("every attempt carries a valid signature");
    }
}
