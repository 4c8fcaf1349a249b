//! Heap and inline size of one proactive credential, besides its token text. Measured in a
//! process of its own ([`in_own_process`]): tests running in parallel would allocate too.

use std::alloc::System;
use std::time::Duration;

use acs_refresh::{AccessToken, CommunicationTokenCredential, CommunicationTokenRefreshOptions};
use acs_token::test_util::TokenBuilder;
use cap::Cap;

use crate::common::in_own_process;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

#[test]
fn one_proactive_credential_takes_under_2_kib_besides_its_token() {
    if !in_own_process("memory::one_proactive_credential_takes_under_2_kib_besides_its_token") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let jwt =
            TokenBuilder::acs_user(time::OffsetDateTime::now_utc(), Duration::from_secs(86_400))
                .build();
        let initial: AccessToken = jwt.parse().unwrap();
        // Warm up lazily initialised statics (runtime internals). The warm-up's `get_token`
        // also leaves this thread a copy of the token, which the measured `get_token` replaces
        // with one of the same size: the token text is not counted below.
        let warm = CommunicationTokenCredential::with_refresh(
            CommunicationTokenRefreshOptions::new(|| async {
                Ok::<_, std::io::Error>(String::new())
            })
            .refresh_proactively(true)
            .initial_token(initial.clone()),
        );
        warm.get_token().await.unwrap();
        tokio::task::yield_now().await;

        let before = ALLOCATOR.allocated();
        let credential = CommunicationTokenCredential::with_refresh(
            CommunicationTokenRefreshOptions::new(|| async {
                Ok::<_, std::io::Error>(String::new())
            })
            .refresh_proactively(true)
            .initial_token(initial.clone()),
        );
        credential.get_token().await.unwrap();
        tokio::task::yield_now().await; // the background task has started and is asleep
        assert!(credential.background_task().is_running());
        let heap = ALLOCATOR.allocated() - before;
        let own = heap + std::mem::size_of::<CommunicationTokenCredential>();
        eprintln!(
            "proactive credential: {heap} B heap, {own} B with its handle, besides the token text"
        );
        assert!(own < 2048, "{own} bytes");
    });
}
