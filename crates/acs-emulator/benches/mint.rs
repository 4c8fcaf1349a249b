//! Cost of one HMAC-signed `:issueAccessToken` round trip through the emulator on 127.0.0.1:
//! signing, HTTP/1.1 over a kept-alive connection, verification, minting and the JSON answer.
//! This bounds how many token requests a test suite can make per second against it.

use acs_emulator::{Emulator, RunningEmulator};
use divan::Bencher;

fn main() {
    divan::main();
}

struct Setup {
    runtime: tokio::runtime::Runtime,
    emulator: RunningEmulator,
    client: reqwest::Client,
    url: String,
}

fn setup() -> Setup {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let emulator = Emulator::builder()
        .start_on(runtime.handle())
        .expect("the emulator starts");
    let client = reqwest::Client::new();
    let id = runtime.block_on(async {
        let answer = send(
            &emulator,
            &client,
            "/identities?api-version=2025-06-30",
            b"{}",
        )
        .await;
        answer["identity"]["id"].as_str().expect("an id").to_owned()
    });
    let url = format!(
        "/identities/{}/:issueAccessToken?api-version=2025-06-30",
        id.replace(':', "%3A")
    );
    Setup {
        runtime,
        emulator,
        client,
        url,
    }
}

async fn send(
    emulator: &RunningEmulator,
    client: &reqwest::Client,
    path: &str,
    body: &[u8],
) -> serde_json::Value {
    let mut request = http::Request::post(format!("http://{}{path}", emulator.local_addr()))
        .body(body.to_vec())
        .expect("a request");
    emulator.signer().sign(&mut request).expect("signed");
    let request = reqwest::Request::try_from(request).expect("a reqwest request");
    client
        .execute(request)
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON")
}

#[divan::bench(sample_count = 100, sample_size = 10)]
fn issue_access_token_round_trip(bencher: Bencher<'_, '_>) {
    let setup = setup();
    let body = br#"{"scopes":["chat","voip"],"expiresInMinutes":60}"#;
    bencher.bench_local(|| {
        setup
            .runtime
            .block_on(async { send(&setup.emulator, &setup.client, &setup.url, body).await })
    });
}
