//! Quickstart: read an ACS access token and show what a credential learns from it.
//!
//! Run with `cargo run --example quickstart`. Offline: no Azure account needed.

use std::time::Duration;

use acs_common::token::test_util::TokenBuilder;
use acs_common::token::{AccessToken, TokenClaims};
use time::OffsetDateTime;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A token shaped like the ones ACS issues, minted locally: issued now, valid for 24 hours.
    let now = OffsetDateTime::now_utc();
    let jwt = TokenBuilder::acs_user(now, Duration::from_secs(24 * 3600)).build();

    let token: AccessToken = jwt.parse()?;
    println!("Parsed an ACS access token ({} bytes).", token.token().len());
    println!("  Debug output never shows the secret: {token:?}");
    println!("  expires on: {}", token.expires_on());
    println!("  valid for:  {} minutes", token.remaining_at(now).as_secs() / 60);
    println!(
        "  due for a proactive refresh (10-minute window)? {}",
        token.expires_within(Duration::from_secs(600), now)
    );

    let claims = TokenClaims::decode(token.token())?;
    println!("Claims:");
    println!("  skypeid:          {}", claims.skype_id.as_deref().unwrap_or("-"));
    println!("  scopes:           {}", claims.acs_scopes.join(", "));
    println!("  resource id:      {}", claims.resource_id.as_deref().unwrap_or("-"));
    println!("  resource location {}", claims.resource_location.as_deref().unwrap_or("-"));

    // A common mistake, caught with an error that says what to fix (and never echoes the token).
    let pasted = format!("Bearer {jwt}");
    if let Err(error) = pasted.parse::<AccessToken>() {
        println!("Parsing \"Bearer <token>\" fails helpfully: {error}");
    }
    Ok(())
}
