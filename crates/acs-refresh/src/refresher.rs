use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use acs_token::{AccessToken, Redacted};
use async_trait::async_trait;

/// The error type a [`TokenRefresher`] returns (from `acs-token`): any error that can cross
/// threads.
pub use acs_token::BoxError;

/// What a [`TokenRefresher`] returns: a JWT to read the expiry from, or an [`AccessToken`] with
/// its expiry already known (for opaque or encrypted tokens, or a token response's `expiresOn`).
///
/// Build one with `From`: `String`, `&str`, `Arc<str>` and [`AccessToken`] all convert. `Debug`
/// never prints the token text.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum RefreshedToken {
    /// A compact JWT whose `exp` claim gives the expiry.
    Jwt(Redacted<Arc<str>>),
    /// A token whose expiry is already known.
    Token(AccessToken),
}

impl From<String> for RefreshedToken {
    fn from(jwt: String) -> Self {
        RefreshedToken::Jwt(Redacted::new(jwt.into()))
    }
}

impl From<&str> for RefreshedToken {
    fn from(jwt: &str) -> Self {
        RefreshedToken::Jwt(Redacted::new(jwt.into()))
    }
}

impl From<Arc<str>> for RefreshedToken {
    fn from(jwt: Arc<str>) -> Self {
        RefreshedToken::Jwt(Redacted::new(jwt))
    }
}

impl From<AccessToken> for RefreshedToken {
    fn from(token: AccessToken) -> Self {
        RefreshedToken::Token(token)
    }
}

/// Gets a new token when the credential needs one.
///
/// The credential calls it from a background task, never more than once at a time, never while
/// holding a lock, and cuts it off after the
/// [refresher timeout](crate::CommunicationTokenRefreshOptions::refresher_timeout) (the future
/// is dropped). A panic inside it becomes [`CredentialError::RefresherPanicked`](crate::CredentialError).
///
/// # Its errors are logged
/// When a refresh fails, the credential logs a `tracing` warning that includes the
/// refresher error's `Display` text (field `cause`), because it is usually the most useful
/// clue. So **an error your refresher returns must not contain secrets**: no token, access
/// key or connection string, and no token service response body quoted verbatim if that body
/// can contain a token. This crate's own errors never contain token text; the refresher's
/// error is yours. (The error also reaches every caller that waited for that refresh, as the
/// [`source`](std::error::Error::source) of [`CredentialError::Refresher`](crate::CredentialError::Refresher).)
///
/// Closures need no impl of their own: any `Fn() -> impl Future<Output = Result<T, E>>` where
/// `T` is a `String` or an [`AccessToken`] (anything `Into<RefreshedToken>`) and `E` is any
/// `std::error::Error + Send + Sync + 'static` (anything `Into<BoxError>`) is a refresher. For a
/// blocking function, wrap it in [`BlockingRefresher`]. A type of your own implements it with
/// [`async_trait`](https://docs.rs/async-trait):
///
/// ```
/// use acs_refresh::{BoxError, RefreshedToken, TokenRefresher};
///
/// #[derive(Debug)]
/// struct MyTokenService;
///
/// #[async_trait::async_trait]
/// impl TokenRefresher for MyTokenService {
///     async fn refresh(&self) -> Result<RefreshedToken, BoxError> {
///         // Call your token service here.
///         Err("the token service is not configured".into())
///     }
/// }
/// ```
#[async_trait]
pub trait TokenRefresher: Send + Sync + 'static {
    /// Gets a new token.
    async fn refresh(&self) -> Result<RefreshedToken, BoxError>;

    /// How long the service asked to wait before the next attempt, after [`refresh`](Self::refresh)
    /// failed with `error` (for example the `Retry-After` of an HTTP 429 or 503 answer).
    ///
    /// The credential makes no new refresher call before that delay has passed, even when a
    /// caller needs a new token (such a caller gets the last error). The usual retry backoff
    /// applies when it is longer. A delay over one hour counts as one hour, so a broken proxy's
    /// absurd `Retry-After` cannot silence the credential for years. The default: no hint.
    fn retry_after(
        &self,
        error: &(dyn std::error::Error + Send + Sync + 'static),
    ) -> Option<Duration> {
        let _ = error;
        None
    }
}

#[async_trait]
impl<F, Fut, T, E> TokenRefresher for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Into<RefreshedToken>,
    E: Into<BoxError>,
{
    async fn refresh(&self) -> Result<RefreshedToken, BoxError> {
        self().await.map(Into::into).map_err(Into::into)
    }
}

/// Runs a blocking refresher function on Tokio's blocking thread pool
/// ([`spawn_blocking`](tokio::task::spawn_blocking)), so it never stalls the async threads.
///
/// ```
/// use acs_refresh::{BlockingRefresher, CommunicationTokenRefreshOptions};
///
/// fn fetch_token_blocking() -> Result<String, std::io::Error> {
///     // A synchronous HTTP call, a file read, a subprocess...
///     Err(std::io::Error::other("no token service in this example"))
/// }
///
/// let options = CommunicationTokenRefreshOptions::new(BlockingRefresher::new(fetch_token_blocking));
/// ```
///
/// When the [refresher timeout](crate::CommunicationTokenRefreshOptions::refresher_timeout)
/// cuts a blocking call off, the call itself keeps running on its thread until it returns (a
/// thread cannot be cancelled); its result is discarded.
pub struct BlockingRefresher<F> {
    refresh: Arc<F>,
}

impl<F> BlockingRefresher<F> {
    /// Wraps a blocking function returning `Result<T, E>`, with `T` a `String` or an
    /// [`AccessToken`] and `E` any `std::error::Error + Send + Sync + 'static`.
    pub fn new<T, E>(refresh: F) -> Self
    where
        F: Fn() -> Result<T, E> + Send + Sync + 'static,
        T: Into<RefreshedToken>,
        E: Into<BoxError>,
    {
        BlockingRefresher {
            refresh: Arc::new(refresh),
        }
    }
}

impl<F> fmt::Debug for BlockingRefresher<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingRefresher").finish_non_exhaustive()
    }
}

#[async_trait]
impl<F, T, E> TokenRefresher for BlockingRefresher<F>
where
    F: Fn() -> Result<T, E> + Send + Sync + 'static,
    T: Into<RefreshedToken> + Send + 'static,
    E: Into<BoxError> + Send + 'static,
{
    async fn refresh(&self) -> Result<RefreshedToken, BoxError> {
        let refresh = Arc::clone(&self.refresh);
        match tokio::task::spawn_blocking(move || refresh()).await {
            Ok(Ok(token)) => Ok(token.into()),
            Ok(Err(error)) => Err(error.into()),
            // Re-raise the panic here so the credential reports it as a refresher panic.
            Err(join_error) if join_error.is_panic() => {
                std::panic::resume_unwind(join_error.into_panic())
            }
            Err(_) => Err(
                "the blocking token refresher was cancelled (the runtime is shutting down)".into(),
            ),
        }
    }
}
