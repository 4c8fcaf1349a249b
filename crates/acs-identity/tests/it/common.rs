//! Shared set-up: an emulator per test and a client for it with a fast retry policy.

#![allow(dead_code, unreachable_pub)] // Each test file uses a different part of this helper.

use std::time::Duration;

use acs_auth::{ConnectionString, HmacVerifier};
use acs_emulator::RunningEmulator;
use acs_http::RetryPolicy;
use acs_http::test_util::TestServer;
use acs_identity::{AccessKey, CommunicationIdentityClient, CommunicationIdentityClientBuilder};

/// Retries without waiting, so fault-injection tests take no real time.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .without_jitter()
}

/// A fresh emulator and a client for it (see [`client_for`]).
pub async fn emulator_and_client() -> (RunningEmulator, CommunicationIdentityClient) {
    let emulator = acs_emulator::Emulator::start().await.expect("emulator");
    let client = client_for(&emulator);
    (emulator, client)
}

/// A client for `emulator`, signed with its key, retrying without waiting.
pub fn client_for(emulator: &RunningEmulator) -> CommunicationIdentityClient {
    builder_for(emulator)
        .retry_policy(fast_retries())
        .build()
        .expect("client")
}

/// A builder for a client of `emulator`, signed with its key, with the default options.
pub fn builder_for(emulator: &RunningEmulator) -> CommunicationIdentityClientBuilder {
    let key: AccessKey = access_key_text(emulator).parse().expect("access key");
    CommunicationIdentityClient::builder(emulator.endpoint(), key)
}

/// The base64 access key inside the emulator's connection string.
pub fn access_key_text(emulator: &RunningEmulator) -> String {
    let connection_string = emulator.connection_string();
    let (_, key) = connection_string
        .split_once("accesskey=")
        .expect("the connection string has an access key");
    key.trim_end_matches(';').to_owned()
}

/// A client of the scripted `server` with the key `pw==` and this retry policy, and a verifier
/// of that key to check the signatures the server received.
pub fn scripted_client(
    server: &TestServer,
    policy: RetryPolicy,
) -> (CommunicationIdentityClient, HmacVerifier) {
    let connection_string: ConnectionString = format!("endpoint={}/;accesskey=cHc=", server.url())
        .parse()
        .unwrap();
    let verifier = HmacVerifier::new(connection_string.access_key());
    let (endpoint, key) = connection_string.into_parts();
    let client = CommunicationIdentityClient::builder(endpoint, key)
        .retry_policy(policy)
        .build()
        .unwrap();
    (client, verifier)
}
