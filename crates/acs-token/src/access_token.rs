use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::claims::{self, TokenClaims};
use crate::error::TokenError;
use crate::redacted::Redacted;

/// An ACS access token: the token text and the instant it expires.
///
/// Cloning is cheap (the text is shared, not copied). `Debug` never prints the token text, so
/// an `AccessToken` can sit inside structs that are logged.
///
/// ```
/// use acs_token::AccessToken;
///
/// // Header `{"alg":"HS256","typ":"JWT"}`, payload `{"exp":32503680000}` (the year 3000).
/// let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjMyNTAzNjgwMDAwfQ.9i7FNNHHJT8cOzo-yrAUJyBSfJ-tPPk2emcHavOEpWc";
/// let token: AccessToken = jwt.parse()?;
/// assert_eq!(token.expires_on().year(), 3000);
/// assert_eq!(token.token(), jwt);
/// assert!(!format!("{token:?}").contains(jwt));
/// # Ok::<(), acs_token::TokenError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccessToken {
    token: Redacted<Arc<str>>,
    expires_on: OffsetDateTime,
}

impl AccessToken {
    /// A token with an explicit expiry, for tokens whose claims cannot be read (opaque or
    /// encrypted tokens) or whose expiry came with them (a token response's `expiresOn`).
    pub fn new(token: impl Into<Arc<str>>, expires_on: OffsetDateTime) -> Self {
        AccessToken {
            token: Redacted::new(token.into()),
            expires_on,
        }
    }

    /// Reads a compact JWT's `exp` claim without verifying the signature. Same as
    /// [`str::parse`], but keeps an already shared `Arc<str>` without copying it.
    ///
    /// # Errors
    /// A [`TokenError`] naming what is wrong; it never contains the token text.
    pub fn from_jwt(token: impl Into<Arc<str>>) -> Result<Self, TokenError> {
        let token = token.into();
        let expires_on = claims::decode_expiry(&token)?;
        Ok(AccessToken {
            token: Redacted::new(token),
            expires_on,
        })
    }

    /// The token text, to send as a bearer token. Handle it as a secret.
    pub fn token(&self) -> &str {
        self.token.expose()
    }

    /// The token text as a shared string, for callers that keep it without copying.
    pub fn shared_token(&self) -> &Arc<str> {
        self.token.expose()
    }

    /// When the token expires.
    pub fn expires_on(&self) -> OffsetDateTime {
        self.expires_on
    }

    /// Whether the token has expired at `now` (a token is expired from its `exp` instant on).
    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        self.expires_on <= now
    }

    /// Whether the token expires within `window` of `now`, or has already expired.
    ///
    /// Refresh windows use this: with a 10-minute window a token is due for refresh once fewer
    /// than ten minutes of its lifetime remain. Any `window` works, however long.
    pub fn expires_within(&self, window: Duration, now: OffsetDateTime) -> bool {
        self.remaining_at(now) <= window
    }

    /// How long the token stays valid from now (the system clock); zero once expired.
    ///
    /// Code that must be tested deterministically passes its own clock's time to
    /// [`AccessToken::remaining_at`] instead.
    pub fn remaining(&self) -> Duration {
        self.remaining_at(OffsetDateTime::now_utc())
    }

    /// How long the token stays valid after `now`; zero once expired.
    pub fn remaining_at(&self, now: OffsetDateTime) -> Duration {
        Duration::try_from(self.expires_on - now).unwrap_or(Duration::ZERO)
    }

    /// Reads all the ACS claims of the token (decodes the token again).
    ///
    /// # Errors
    /// A [`TokenError`] when the token is not a readable JWT, for example one built with
    /// [`AccessToken::new`] from an opaque token.
    pub fn claims(&self) -> Result<TokenClaims, TokenError> {
        TokenClaims::decode(self.token())
    }
}

impl FromStr for AccessToken {
    type Err = TokenError;

    fn from_str(token: &str) -> Result<Self, Self::Err> {
        let expires_on = claims::decode_expiry(token)?;
        Ok(AccessToken::new(token, expires_on))
    }
}
