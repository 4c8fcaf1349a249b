use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use acs_token::AccessToken;

use crate::clock::Clock;
use crate::refresher::TokenRefresher;

/// How long a refresher may run before it is cut off, unless set otherwise (see
/// [`CommunicationTokenRefreshOptions::refresher_timeout`] for the choice).
pub(crate) const DEFAULT_REFRESHER_TIMEOUT: Duration = Duration::from_secs(10);

/// How a refreshing [`CommunicationTokenCredential`](crate::CommunicationTokenCredential) gets
/// and schedules new tokens.
///
/// ```
/// use std::time::Duration;
/// use acs_refresh::{CommunicationTokenCredential, CommunicationTokenRefreshOptions};
///
/// # async fn fetch_token_from_my_server() -> Result<String, std::io::Error> { Ok(String::new()) }
/// let options = CommunicationTokenRefreshOptions::new(|| fetch_token_from_my_server())
///     .refresh_proactively(true)
///     .refresher_timeout(Duration::from_secs(10));
/// let credential = CommunicationTokenCredential::with_refresh(options);
/// ```
#[derive(Clone)]
pub struct CommunicationTokenRefreshOptions {
    pub(crate) refresher: Arc<dyn TokenRefresher>,
    pub(crate) refresh_proactively: bool,
    pub(crate) initial_token: Option<AccessToken>,
    pub(crate) refresher_timeout: Duration,
    pub(crate) fallback_lifetime: Option<Duration>,
    pub(crate) clock: Clock,
    pub(crate) retry_after_hint: Option<RetryAfterHint>,
}

/// Reads a retry delay from a refresher error; see
/// [`retry_after_hint`](CommunicationTokenRefreshOptions::retry_after_hint).
pub(crate) type RetryAfterHint =
    Arc<dyn Fn(&(dyn Error + Send + Sync + 'static)) -> Option<Duration> + Send + Sync + 'static>;

impl CommunicationTokenRefreshOptions {
    /// Options that get tokens from `refresher`: a closure returning a future of
    /// `Result<String, E>` or `Result<AccessToken, E>`, a [`BlockingRefresher`](crate::BlockingRefresher),
    /// or any [`TokenRefresher`].
    ///
    /// Defaults: no proactive refresh, no initial token, a 10-second refresher timeout, no
    /// fallback lifetime.
    pub fn new(refresher: impl TokenRefresher) -> Self {
        CommunicationTokenRefreshOptions {
            refresher: Arc::new(refresher),
            refresh_proactively: false,
            initial_token: None,
            refresher_timeout: DEFAULT_REFRESHER_TIMEOUT,
            fallback_lifetime: None,
            clock: Clock::System,
            retry_after_hint: None,
        }
    }

    /// Refresh in the background, 10 minutes before the token expires (or at half the remaining
    /// lifetime of a token that has less than that), so callers rarely wait. With a missing or
    /// expired initial token the first refresh starts at once.
    pub fn refresh_proactively(mut self, refresh_proactively: bool) -> Self {
        self.refresh_proactively = refresh_proactively;
        self
    }

    /// A token to use until the first refresh. Parse a JWT with `jwt.parse()?`, or build an
    /// [`AccessToken`] with an explicit expiry for an opaque token.
    pub fn initial_token(mut self, token: AccessToken) -> Self {
        self.initial_token = Some(token);
        self
    }

    /// How long one refresher call may take before it is cut off (its future is dropped) and
    /// the refresh fails with [`CredentialError::Timeout`](crate::CredentialError::Timeout).
    /// Callers waiting for a token wait no longer than this plus one second, even when the
    /// background task's runtime is no longer driven (they then get the same error).
    ///
    /// Default: 10 seconds. A token request is one small HTTPS call, normally answered within
    /// a second; ten seconds leave room for a slow network and a quick retry, and are about
    /// as long as someone waiting for a first token (a chat window opening) will accept. The
    /// official .NET, JavaScript, Java and Python SDKs have no refresher timeout at all: a
    /// refresher that hangs blocks every caller for good. A refresher that retries internally
    /// for longer needs a longer timeout; one that is told to come back later (HTTP 429 with
    /// `Retry-After`) should fail at once and say so through
    /// [`TokenRefresher::retry_after`](crate::TokenRefresher::retry_after) or
    /// [`retry_after_hint`](Self::retry_after_hint), and the credential waits.
    pub fn refresher_timeout(mut self, timeout: Duration) -> Self {
        self.refresher_timeout = timeout;
        self
    }

    /// Accept tokens whose expiry cannot be read (opaque or encrypted tokens returned as a
    /// string) and treat them as valid for `lifetime` after they arrive. Off by default: such a
    /// token is an error ([`CredentialError::InvalidToken`](crate::CredentialError::InvalidToken)).
    /// A warning is logged the first time the fallback is used. A refresher that knows the
    /// expiry should return an [`AccessToken`] instead.
    pub fn fallback_lifetime(mut self, lifetime: Duration) -> Self {
        self.fallback_lifetime = Some(lifetime);
        self
    }

    /// Reads how long the service asked to wait from a refresher error (for example the
    /// `Retry-After` of a throttled answer), for refreshers that cannot say it themselves
    /// through [`TokenRefresher::retry_after`] (closures). When set, it is asked instead of
    /// the refresher's `retry_after`.
    ///
    /// After an error for which `hint` returns a delay, the credential makes no new refresher
    /// call before that delay has passed; callers that need a new token meanwhile get that
    /// error.
    ///
    /// ```
    /// use std::time::Duration;
    /// use acs_refresh::CommunicationTokenRefreshOptions;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("the token service is busy")]
    /// struct Busy { retry_after: Duration }
    ///
    /// # async fn fetch_token() -> Result<String, Busy> { Err(Busy { retry_after: Duration::from_secs(30) }) }
    /// let options = CommunicationTokenRefreshOptions::new(fetch_token)
    ///     .retry_after_hint(|error| error.downcast_ref::<Busy>().map(|busy| busy.retry_after));
    /// ```
    pub fn retry_after_hint<F>(mut self, hint: F) -> Self
    where
        F: Fn(&(dyn Error + Send + Sync + 'static)) -> Option<Duration> + Send + Sync + 'static,
    {
        self.retry_after_hint = Some(Arc::new(hint));
        self
    }

    /// Measure token expiry against `clock` instead of the system clock (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn wall_clock(mut self, clock: impl crate::clock::WallClock) -> Self {
        self.clock = Clock::Custom(Arc::new(clock));
        self
    }
}

impl fmt::Debug for CommunicationTokenRefreshOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommunicationTokenRefreshOptions")
            .field("refresh_proactively", &self.refresh_proactively)
            .field("initial_token", &self.initial_token)
            .field("refresher_timeout", &self.refresher_timeout)
            .field("fallback_lifetime", &self.fallback_lifetime)
            .field("clock", &self.clock)
            .field("retry_after_hint", &self.retry_after_hint.is_some())
            .finish_non_exhaustive()
    }
}
