use std::error::Error;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use acs_token::TokenError;
use time::OffsetDateTime;

/// Why [`get_token`](crate::CommunicationTokenCredential::get_token) could not return a token.
///
/// Every caller that waited for the same refresh receives the same error, so the error is
/// `Clone` and a refresher's own error is shared ([`RefresherError`]). No variant contains token
/// text.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The token refresher returned an error; it is this error's [`source`](Error::source), and
    /// its message ends this error's message.
    #[error("the token refresher failed: {0}")]
    Refresher(#[source] RefresherError),
    /// The token refresher returned a token that had already expired.
    #[error("The token returned from the tokenRefresher is expired.")]
    ExpiredToken {
        /// When the returned token expired.
        expires_on: OffsetDateTime,
    },
    /// The token refresher returned a string that is not a readable ACS token (and no
    /// [fallback lifetime](crate::CommunicationTokenRefreshOptions::fallback_lifetime) is set).
    #[error("the token returned from the token refresher could not be read")]
    InvalidToken(#[source] TokenError),
    /// The token refresher did not finish within the
    /// [refresher timeout](crate::CommunicationTokenRefreshOptions::refresher_timeout).
    ///
    /// Also returned to callers that waited the refresher timeout plus one second for a
    /// background task that gave no answer because its runtime is no longer being driven
    /// (see [Runtime](crate::CommunicationTokenCredential#runtime)): no caller waits longer
    /// than that. A new task then refreshes at once, so calling again is the fix in both
    /// cases.
    #[error("the token refresher did not finish within {timeout:?}")]
    Timeout {
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// The token refresher panicked. The credential stays usable; the panic message went to the
    /// panic hook (usually standard error), not into this error.
    #[error("the token refresher panicked")]
    RefresherPanicked,
    /// [`close`](crate::CommunicationTokenCredential::close) was called on the credential (or a
    /// clone of it).
    #[error("the credential is closed")]
    Closed,
    /// A refresh was needed but `get_token` was not called inside a Tokio runtime with its time
    /// driver enabled (for example `#[tokio::main]`, or a runtime built with `enable_all`).
    #[error(
        "refreshing the token needs a Tokio runtime with its time driver enabled; \
         get_token was called outside one"
    )]
    NoRuntime,
    /// [`refresh_rejected`](crate::CommunicationTokenCredential::refresh_rejected) was called
    /// on a credential built from a fixed token, which has no refresher.
    #[error("the credential holds a fixed token and cannot refresh it")]
    CannotRefresh,
}

impl CredentialError {
    /// The refresher's own error, when this error is [`CredentialError::Refresher`].
    pub fn refresher_error(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        match self {
            CredentialError::Refresher(error) => Some(&**error),
            _ => None,
        }
    }

    /// The first error of type `E` in this error's [`source`](Error::source) chain, this error
    /// included: for example an HTTP or service error that a refresher's error wraps, however
    /// deep.
    ///
    /// ```
    /// use std::error::Error;
    /// use acs_refresh::CredentialError;
    ///
    /// fn is_io_failure(error: &CredentialError) -> bool {
    ///     error.find_source::<std::io::Error>().is_some()
    /// }
    /// ```
    ///
    /// The search stops after 64 levels, so that an error whose chain loops
    /// (a bug in the refresher's error type) cannot make it run forever.
    pub fn find_source<E: Error + 'static>(&self) -> Option<&E> {
        sources(self).find_map(|error| error.downcast_ref::<E>())
    }
}

/// How many levels of a [`source`](Error::source) chain are walked at most. Real chains are a
/// few levels deep; a deeper one is most likely a cycle.
pub(crate) const MAX_SOURCE_DEPTH: usize = 64;

/// `error` and its [`source`](Error::source) chain, at most [`MAX_SOURCE_DEPTH`] levels.
pub(crate) fn sources<'a>(
    error: &'a (dyn Error + 'static),
) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&error| error.source()).take(MAX_SOURCE_DEPTH)
}

/// An error returned by a [`TokenRefresher`](crate::TokenRefresher), shared by every caller that
/// waited for the refresh that produced it.
///
/// It dereferences to the refresher's error, and [`CredentialError::Refresher`]'s
/// [`source`](Error::source) is that error itself, so `downcast_ref` on the source works.
#[derive(Clone)]
pub struct RefresherError(Arc<dyn Error + Send + Sync + 'static>);

impl RefresherError {
    pub(crate) fn new(error: Box<dyn Error + Send + Sync + 'static>) -> Self {
        RefresherError(Arc::from(error))
    }

    /// The refresher's error as the concrete type `E`, if it is one.
    pub fn downcast_ref<E: Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref::<E>()
    }
}

impl Deref for RefresherError {
    type Target = dyn Error + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Debug for RefresherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for RefresherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}
