//! Quickstart: a whole ACS sign-in flow, offline.
//!
//! It starts a local ACS emulator in this process, creates an identity with
//! `CommunicationIdentityClient`, and builds a proactive `CommunicationTokenCredential` whose
//! refresher issues tokens for that identity. The emulator issues 6-second tokens (ACS issues
//! tokens for 1 to 24 hours), so within a few seconds you see the credential refresh itself,
//! twice, before its callers ever need a new token. Then it revokes and deletes the identity.
//!
//! Run it with `cargo run --example quickstart`. No Azure account is needed.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use acs_common::credential::{CommunicationTokenCredential, CommunicationTokenRefreshOptions};
use acs_common::identifiers::CommunicationIdentifier;
use acs_common::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_common::token::{AccessToken, TokenClaims};
use acs_emulator::{Emulator, TokenStatus};
use time::OffsetDateTime;
use time::macros::format_description;
use tokio::sync::mpsc;

/// How the quickstart runs; tests shorten it.
#[derive(Debug, Clone)]
pub(crate) struct QuickstartConfig {
    /// How long the emulator's tokens live.
    pub(crate) token_lifetime: Duration,
    /// How many proactive refreshes to watch.
    pub(crate) refreshes: usize,
}

impl Default for QuickstartConfig {
    fn default() -> Self {
        QuickstartConfig {
            token_lifetime: Duration::from_secs(6),
            refreshes: 2,
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut stdout = std::io::stdout();
    run(&mut stdout, QuickstartConfig::default()).await
}

/// The whole flow, printing to `out`.
pub(crate) async fn run(
    out: &mut impl Write,
    config: QuickstartConfig,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let started = Instant::now();
    writeln!(
        out,
        "acs-common quickstart: an ACS identity and a credential that refreshes itself, offline.\n"
    )?;

    // 1. A local ACS service. In production this is your ACS resource, and the connection string
    //    comes from its "Keys" page; it stays on your server, never in a client app.
    let emulator = Emulator::builder()
        .token_lifetime(config.token_lifetime)
        .start()
        .await?;
    writeln!(
        out,
        "1. Started a local ACS emulator at {} (its tokens live {} s; ACS issues 1 to 24 hours).",
        emulator.endpoint(),
        config.token_lifetime.as_secs()
    )?;

    // 2. Your token server creates an identity for each user of your app.
    let client =
        CommunicationIdentityClient::from_connection_string(&emulator.connection_string())?;
    let user = client.create_user().await?;
    let identifier = CommunicationIdentifier::from(user.clone());
    writeln!(
        out,
        "2. Created identity {} (kind: {}).",
        identifier.raw_id(),
        identifier.kind()
    )?;

    // 3. A credential that keeps a token for that identity fresh. Its refresher is any async
    //    closure returning a token; here it asks the identity service directly. (A client app
    //    would call your token server instead. `client.refresher(user, scopes)` is the same
    //    refresher, ready-made.)
    let scopes = [CommunicationTokenScope::Chat, CommunicationTokenScope::VoIp];
    let refresher_calls = Arc::new(AtomicUsize::new(0));
    let (refreshed_tx, mut refreshed_rx) = mpsc::unbounded_channel::<AccessToken>();
    let refresher = {
        let client = client.clone();
        let user = user.clone();
        let calls = Arc::clone(&refresher_calls);
        move || {
            let (client, user, tx, scopes) = (
                client.clone(),
                user.clone(),
                refreshed_tx.clone(),
                scopes.clone(),
            );
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                let token = client.get_token(&user, scopes, None).await?;
                // Only for this demo: tell the main task a refresh happened.
                let _ = tx.send(token.clone());
                Ok::<_, acs_common::identity::IdentityError>(token)
            }
        }
    };
    let credential = CommunicationTokenCredential::with_refresh(
        CommunicationTokenRefreshOptions::new(refresher).refresh_proactively(true),
    );

    let first = credential.get_token().await?;
    // The proactive credential fetched its first token at construction; drain that event.
    let _ = refreshed_rx.recv().await;
    let claims = TokenClaims::decode(first.token())?;
    writeln!(
        out,
        "3. Built a proactive CommunicationTokenCredential. First token: expires at {} (in {:.1} s), scopes {}.",
        clock_time(first.expires_on()),
        seconds_until(first.expires_on()),
        claims.acs_scopes.join(", ")
    )?;

    // 4. Watch it refresh. Each refresh starts at half the remaining lifetime of these short
    //    tokens (10 minutes before expiry for real ones), in the background.
    writeln!(
        out,
        "4. Waiting for proactive refreshes; nobody calls get_token in between:"
    )?;
    let watch_started = Instant::now();
    let mut latest = first;
    for n in 1..=config.refreshes {
        let deadline = config.token_lifetime * 2 + Duration::from_secs(5);
        let refreshed = tokio::time::timeout(deadline, refreshed_rx.recv())
            .await
            .map_err(|_| "no proactive refresh happened in time")?
            .ok_or("the refresher stopped")?;
        let elapsed = watch_started.elapsed();
        // The refresher has returned; the credential publishes its token a moment later.
        let served = wait_until_served(&credential, &refreshed).await?;
        writeln!(
            out,
            "   refresh {n} at +{:.1} s: new token expires at {}; get_token now returns it.",
            elapsed.as_secs_f64(),
            clock_time(served.expires_on()),
        )?;
        latest = served;
    }
    writeln!(
        out,
        "   {} refresher calls in all, each issuing a new token.",
        refresher_calls.load(Ordering::SeqCst)
    )?;

    // 5. Sign the user out everywhere: revoke, then delete the identity.
    client.revoke_tokens(&user).await?;
    let revoked = matches!(emulator.token_status(latest.token()), TokenStatus::Revoked);
    writeln!(
        out,
        "5. Revoked the identity's tokens: the service now reports the latest token as {}.",
        if revoked {
            "revoked"
        } else {
            "still valid (unexpected)"
        }
    )?;
    credential.close();
    client.delete_user(&user).await?;
    let after_delete = client
        .get_token(&user, [CommunicationTokenScope::Chat], None)
        .await;
    match after_delete {
        Err(error) if error.is_not_found() => {
            writeln!(
                out,
                "6. Deleted the identity: issuing it a token now fails with 404 ({error})."
            )?;
        }
        Err(error) => return Err(format!("unexpected error after delete: {error}").into()),
        Ok(_) => return Err("the deleted identity still got a token".into()),
    }
    writeln!(out, "\nDone in {:.1} s.", started.elapsed().as_secs_f64())?;
    writeln!(
        out,
        "Next, a token server and its client: `cargo run --example token_server`, then \
         `cargo run --example token_client` in a second terminal (docs/getting-started.md, section 6)."
    )?;
    Ok(())
}

/// Calls `get_token` until it returns `expected` (within a second), as any caller would see it.
async fn wait_until_served(
    credential: &CommunicationTokenCredential,
    expected: &AccessToken,
) -> Result<AccessToken, Box<dyn std::error::Error + Send + Sync>> {
    for _ in 0..200 {
        let served = credential.get_token().await?;
        if served.token() == expected.token() {
            return Ok(served);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Err("the credential did not serve the refreshed token".into())
}

fn clock_time(instant: OffsetDateTime) -> String {
    instant
        .format(format_description!("[hour]:[minute]:[second] UTC"))
        .unwrap_or_else(|_| instant.to_string())
}

fn seconds_until(instant: OffsetDateTime) -> f64 {
    (instant - OffsetDateTime::now_utc()).as_seconds_f64()
}
