//! Client-side cost of identity calls: a full `get_token` round trip against the local emulator
//! (request building, HMAC signing, loopback HTTP, the emulator's minting, response decoding),
//! and scope parsing.

use acs_emulator::{Emulator, RunningEmulator};
use acs_identity::{
    CommunicationIdentityClient, CommunicationTokenScope, CommunicationUserIdentifier,
};

fn main() {
    divan::main();
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    client: CommunicationIdentityClient,
    user: CommunicationUserIdentifier,
    _emulator: RunningEmulator,
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (emulator, client, user) = runtime.block_on(async {
        let emulator = Emulator::start().await.expect("emulator");
        let client =
            CommunicationIdentityClient::from_connection_string(&emulator.connection_string())
                .expect("client");
        let user = client.create_user().await.expect("user");
        (emulator, client, user)
    });
    Fixture {
        runtime,
        client,
        user,
        _emulator: emulator,
    }
}

#[divan::bench(sample_count = 200)]
fn get_token_round_trip(bencher: divan::Bencher<'_, '_>) {
    let fixture = fixture();
    bencher.bench_local(|| {
        fixture
            .runtime
            .block_on(fixture.client.get_token(
                &fixture.user,
                [CommunicationTokenScope::Chat, CommunicationTokenScope::VoIp],
                None,
            ))
            .expect("token")
    });
}

#[divan::bench]
fn parse_scope(bencher: divan::Bencher<'_, '_>) {
    bencher.bench(|| {
        for text in [
            "chat",
            "voip",
            "chat.join.limited",
            "voip.join",
            "teams.future",
        ] {
            divan::black_box(
                divan::black_box(text)
                    .parse::<CommunicationTokenScope>()
                    .expect("scope"),
            );
        }
    });
}
