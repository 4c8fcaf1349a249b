//! One way to reach the ACS service error inside any error.

use std::error::Error as StdError;
use std::time::Duration;

use crate::error::{HttpError, ServiceError};

/// Finds the ACS service's answer (status, ACS error code and message, request ids,
/// `Retry-After`) inside an error and its [`source`](StdError::source) chain (searched 64
/// levels deep at most, so a chain that loops ends the search).
///
/// Implemented for every error type and for `dyn Error` (with or without `Send + Sync`), so
/// the same two calls work on an `HttpError`, on the errors of the clients built on it (Entra
/// exchange, identity, chat), on a credential's error that wraps one of those, and on a boxed
/// error: bring the trait into scope and call [`service_error`](Self::service_error).
///
/// ```
/// use std::time::Duration;
/// use acs_http::{HttpError, ServiceError, ServiceErrorSource};
/// use http::StatusCode;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("the operation failed")]
/// struct MyError(#[source] HttpError);
///
/// let throttled = ServiceError::new(StatusCode::TOO_MANY_REQUESTS)
///     .with_retry_after(Duration::from_secs(300));
/// let error = MyError(HttpError::from(throttled));
/// assert_eq!(error.service_error().map(|e| e.status()), Some(StatusCode::TOO_MANY_REQUESTS));
/// assert_eq!(error.retry_after(), Some(Duration::from_secs(300)));
///
/// let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
/// assert_eq!(boxed.retry_after(), Some(Duration::from_secs(300)));
/// ```
pub trait ServiceErrorSource {
    /// The first ACS service error in this error and its `source()` chain: an
    /// [`HttpError::Service`] or a bare [`ServiceError`]. `None` when the service never
    /// answered with an error status (bad arguments, transport failures, timeouts...).
    fn service_error(&self) -> Option<&ServiceError>;

    /// The delay the service asked for before trying again ([`ServiceError::retry_after`] of
    /// the [`service_error`](Self::service_error)): set on a 429 or 503 answer that carried a
    /// `Retry-After`.
    fn retry_after(&self) -> Option<Duration> {
        self.service_error().and_then(ServiceError::retry_after)
    }
}

impl<E: StdError + 'static> ServiceErrorSource for E {
    fn service_error(&self) -> Option<&ServiceError> {
        find(self)
    }
}

impl ServiceErrorSource for dyn StdError + 'static {
    fn service_error(&self) -> Option<&ServiceError> {
        find(self)
    }
}

impl ServiceErrorSource for dyn StdError + Send + 'static {
    fn service_error(&self) -> Option<&ServiceError> {
        find(self)
    }
}

impl ServiceErrorSource for dyn StdError + Send + Sync + 'static {
    fn service_error(&self) -> Option<&ServiceError> {
        find(self)
    }
}

/// How many levels of a `source()` chain are searched at most. Real chains are a few levels
/// deep; a deeper one most likely loops (a bug in some error type), and must not make the
/// search run forever.
const MAX_SOURCE_DEPTH: usize = 64;

fn find<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a ServiceError> {
    let mut current = Some(error);
    for _ in 0..MAX_SOURCE_DEPTH {
        let error = current?;
        if let Some(service) = error.downcast_ref::<ServiceError>() {
            return Some(service);
        }
        if let Some(HttpError::Service(service)) = error.downcast_ref::<HttpError>() {
            return Some(service);
        }
        // A boxed one (`#[source] Box<ServiceError>`) is its own error type.
        if let Some(service) = error.downcast_ref::<Box<ServiceError>>() {
            return Some(service);
        }
        current = error.source();
    }
    None
}
