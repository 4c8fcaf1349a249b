//! Runs the quickstart's flow (with shorter tokens) and checks what it told the reader.
//!
//! This one test runs on real time, on purpose: it checks the demo a newcomer runs, over real
//! HTTP with wall-clock token expiries, end to end. It waits on events (refreshes arriving), each
//! bounded by a timeout, never for a fixed time, and takes about two seconds. The refresh timing
//! itself is tested deterministically, on tokio's paused clock, in `acs-refresh` and
//! `acs-identity`.

#[allow(dead_code)]
#[path = "../../../../examples/quickstart.rs"]
mod example;

use std::time::Duration;

use example::{QuickstartConfig, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_creates_refreshes_and_cleans_up() {
    let config = QuickstartConfig {
        token_lifetime: Duration::from_secs(2),
        refreshes: 2,
    };
    let mut out = Vec::new();
    run(&mut out, config).await.expect("the quickstart runs");
    let printed = String::from_utf8(out).expect("UTF-8 output");

    let line = |prefix: &str| {
        printed
            .lines()
            .find(|line| line.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{printed}"))
            .to_owned()
    };
    assert!(
        line("2. Created identity 8:acs:").contains("(kind: communicationUser)"),
        "{printed}"
    );
    assert!(
        line("3. Built a proactive").contains("scopes chat, voip"),
        "{printed}"
    );
    assert!(
        line("refresh 1 at").contains("get_token now returns it"),
        "{printed}"
    );
    assert!(
        line("refresh 2 at").contains("get_token now returns it"),
        "{printed}"
    );
    assert!(!printed.contains("refresh 3 at"), "{printed}");
    // The initial token plus one per watched refresh; on a slow machine the next refresh may
    // already have started when the count is printed.
    let calls: usize = printed
        .lines()
        .find(|l| l.contains("refresher calls in all"))
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no refresher call count in:\n{printed}"));
    assert!(
        (3..=4).contains(&calls),
        "{calls} refresher calls:\n{printed}"
    );
    assert!(line("5. Revoked").contains("as revoked"), "{printed}");
    assert!(line("6. Deleted the identity").contains("404"), "{printed}");
    assert!(line("Done in").ends_with(" s."), "{printed}");
    // It points the reader at the next step: the examples of getting-started, section 6.
    assert!(
        line("Next, a token server").contains("cargo run --example token_client"),
        "{printed}"
    );
    // The connection string's key and the token text never reach the output.
    assert!(!printed.contains("accesskey"), "{printed}");
    assert!(!printed.contains("eyJ"), "{printed}");
}
