//! A client app's credential, kept fresh by your token server.
//!
//! A proactive `CommunicationTokenCredential` whose refresher calls `examples/token_server.rs`
//! (`POST /acs-token`, answered as `{"token", "expiresOn"}`, which `AccessToken` deserializes
//! from). It prints the first token's expiry and each proactive refresh, then exits. Start the
//! server first:
//!
//! ```sh
//! cargo run --example token_server     # terminal 1
//! cargo run --example token_client     # terminal 2
//! cargo run --example token_client -- [--url URL] [--user NAME] [--refreshes N]
//! ```

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use acs_common::credential::{CommunicationTokenCredential, CommunicationTokenRefreshOptions};
use acs_common::token::{AccessToken, BoxError};
use time::format_description::well_known::Rfc3339;
use tokio::sync::mpsc;

/// How the client runs.
#[derive(Debug, Clone)]
pub(crate) struct ClientConfig {
    /// The token server's endpoint.
    pub(crate) url: String,
    /// Who signs in (sent as the server's `x-app-user` header).
    pub(crate) user: String,
    /// How many proactive refreshes to watch before exiting.
    pub(crate) refreshes: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            url: "http://127.0.0.1:8080/acs-token".to_owned(),
            user: "alice".to_owned(),
            refreshes: 2,
        }
    }
}

/// The refresher: one call to the token server. A 401 or 500 answer is an error (the
/// credential retries it with backoff), and the JSON answer becomes an `AccessToken` directly.
async fn fetch_token(
    http: reqwest::Client,
    url: String,
    user: String,
) -> Result<AccessToken, reqwest::Error> {
    http.post(url)
        .header("x-app-user", user)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}

/// Watches the credential refresh itself `config.refreshes` times, printing to `out`.
pub(crate) async fn run(out: &mut impl Write, config: ClientConfig) -> Result<(), BoxError> {
    writeln!(
        out,
        "token client: signing in as {} at {}",
        config.user, config.url
    )?;
    let http = reqwest::Client::new();
    // Only for this demo: the refresher also reports each new token, so the loop below can
    // print it the moment it arrives. A real app just calls `get_token` when it needs one.
    let (fetched_tx, mut fetched_rx) = mpsc::unbounded_channel::<AccessToken>();
    let refresher = move || {
        let (http, url, user, fetched) = (
            http.clone(),
            config.url.clone(),
            config.user.clone(),
            fetched_tx.clone(),
        );
        async move {
            let token = fetch_token(http, url, user).await?;
            let _ = fetched.send(token.clone());
            Ok::<_, reqwest::Error>(token)
        }
    };
    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(refresher).refresh_proactively(true),
    );

    let first = credential.get_token().await?;
    // The credential fetched that token at construction; skip its report.
    let _ = fetched_rx.recv().await;
    writeln!(
        out,
        "first token: expires on {} (in {:.1} s)",
        first.expires_on().format(&Rfc3339)?,
        first.remaining().as_secs_f64()
    )?;

    let mut latest = first;
    for n in 1..=config.refreshes {
        // A proactive refresh comes before the current token expires; allow twice its lifetime.
        let deadline = latest.remaining() * 2 + Duration::from_secs(5);
        let refreshed = tokio::time::timeout(deadline, fetched_rx.recv())
            .await
            .map_err(|_| "no proactive refresh came before the token expired")?
            .ok_or("the credential stopped refreshing")?;
        writeln!(
            out,
            "refresh {n}: new token expires on {} (the previous one had {:.1} s left)",
            refreshed.expires_on().format(&Rfc3339)?,
            latest.remaining().as_secs_f64()
        )?;
        latest = refreshed;
    }
    credential.close();
    writeln!(
        out,
        "token client: {} refreshes watched, done",
        config.refreshes
    )?;
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<ClientConfig, String> {
    let mut config = ClientConfig::default();
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} takes a value"));
        match flag.as_str() {
            "--url" => config.url = value("--url")?,
            "--user" => config.user = value("--user")?,
            "--refreshes" => {
                config.refreshes = value("--refreshes")?
                    .parse()
                    .map_err(|_| "--refreshes takes a whole number".to_owned())?;
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: token_client [--url URL] [--user NAME] [--refreshes N]"
                ));
            }
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match parse_args(std::env::args().skip(1)) {
        Ok(config) => run(&mut std::io::stdout(), config).await,
        Err(usage) => Err(usage.into()),
    };
    let Err(error) = result else {
        return ExitCode::SUCCESS;
    };
    // The whole chain: "the token refresher failed", then why (e.g. connection refused).
    eprintln!("token client: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
    eprintln!("(is the token server running? `cargo run --example token_server`)");
    ExitCode::FAILURE
}
