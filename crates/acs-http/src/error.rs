use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::error_body::AcsErrorDetail;

pub use acs_token::BoxError;

/// Why a request to an ACS service failed.
///
/// No variant carries a bearer token, an access key or a response body that could hold one:
/// these errors are safe to log. Retried failures report how many attempts were made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The endpoint is not a usable ACS endpoint.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// The reqwest client could not be built (for example, no TLS roots could be loaded).
    #[error("could not build the HTTP client")]
    Client {
        /// The HTTP library's error (opaque: its type is not part of this crate's API).
        #[source]
        source: BoxError,
    },
    /// The caller's request builder (or signer) failed; nothing was sent for this attempt.
    #[error("could not build the request (attempt {attempt}){}", RequestIds::suffix(None, .client_request_id.as_deref()))]
    #[non_exhaustive]
    BuildRequest {
        /// The attempt (1-based) whose request could not be built.
        attempt: u32,
        /// The operation's `x-ms-client-request-id` (earlier attempts were sent with it).
        client_request_id: Option<String>,
        /// The builder's error.
        #[source]
        source: BoxError,
    },
    /// The service answered with a non-success status (after any retries).
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// The request could not be sent or its response not received (connection refused, reset,
    /// TLS failure...), on every attempt allowed.
    #[error("the request failed to reach the service after {attempts} attempt(s){}", RequestIds::suffix(None, .client_request_id.as_deref()))]
    #[non_exhaustive]
    Transport {
        /// How many attempts were made.
        attempts: u32,
        /// The `x-ms-client-request-id` every attempt was sent with.
        client_request_id: Option<String>,
        /// The last attempt's error (opaque: the HTTP library's error type is not part of this
        /// crate's API).
        #[source]
        source: BoxError,
    },
    /// The last attempt exceeded the client's request timeout.
    #[error("the request timed out after {attempts} attempt(s){}", RequestIds::suffix(None, .client_request_id.as_deref()))]
    #[non_exhaustive]
    Timeout {
        /// How many attempts were made.
        attempts: u32,
        /// The `x-ms-client-request-id` every attempt was sent with.
        client_request_id: Option<String>,
        /// The last attempt's error (opaque, as for [`Transport`](Self::Transport)).
        #[source]
        source: BoxError,
    },
    /// The retry policy's total time bound ran out while an attempt was in flight.
    #[error(
        "the request did not complete within its total time bound of {bound:?} ({attempts} attempt(s)){}", RequestIds::suffix(None, .client_request_id.as_deref())
    )]
    #[non_exhaustive]
    DeadlineExceeded {
        /// How many attempts were started.
        attempts: u32,
        /// The total time bound.
        bound: Duration,
        /// The `x-ms-client-request-id` every attempt was sent with.
        client_request_id: Option<String>,
    },
    /// A success response's body did not have the expected shape.
    #[non_exhaustive]
    #[error("the response (HTTP {status}) could not be read{}", RequestIds::suffix(.request_id.as_deref(), .client_request_id.as_deref()))]
    Decode {
        /// The response status.
        status: StatusCode,
        /// The `x-ms-request-id` response header, when present.
        request_id: Option<String>,
        /// The `x-ms-client-request-id` the service echoed, or else the one the request was
        /// sent with.
        client_request_id: Option<String>,
        /// What was wrong with the body.
        #[source]
        source: DecodeError,
    },
}

impl From<ServiceError> for HttpError {
    fn from(error: ServiceError) -> Self {
        HttpError::Service(Box::new(error))
    }
}

impl HttpError {
    /// The HTTP status of the response that caused this error, when there was one: the error
    /// status of [`Service`](Self::Service), or the success status of a
    /// [`Decode`](Self::Decode) failure.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            HttpError::Service(e) => Some(e.status()),
            HttpError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service error, when the service answered with a failure status.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            HttpError::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The ACS error code (e.g. `BadRequest`, `IdentityNotFound`), when the service answered
    /// with an error status and sent one.
    pub fn code(&self) -> Option<&str> {
        self.service_error().and_then(ServiceError::code)
    }

    /// The ACS error message, when the service answered with an error status and sent one.
    pub fn message(&self) -> Option<&str> {
        self.service_error().and_then(ServiceError::message)
    }

    /// The `x-ms-request-id` header of the response that caused this error (an error status or
    /// an unreadable success), when present: quote it to Azure support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            HttpError::Service(e) => e.request_id(),
            HttpError::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The operation's `x-ms-client-request-id`: the one the service echoed, or else the one
    /// the request was sent with (every attempt of one operation carries the same id), also
    /// when no response came back. `None` only when nothing was to be sent
    /// ([`Endpoint`](Self::Endpoint), [`Client`](Self::Client)).
    pub fn client_request_id(&self) -> Option<&str> {
        match self {
            HttpError::Service(e) => e.client_request_id(),
            HttpError::Decode {
                client_request_id, ..
            }
            | HttpError::BuildRequest {
                client_request_id, ..
            }
            | HttpError::Transport {
                client_request_id, ..
            }
            | HttpError::Timeout {
                client_request_id, ..
            }
            | HttpError::DeadlineExceeded {
                client_request_id, ..
            } => client_request_id.as_deref(),
            HttpError::Endpoint(_) | HttpError::Client { .. } => None,
        }
    }

    /// The delay the service asked for before trying again (its `Retry-After` on a 429 or 503
    /// answer); see [`ServiceError::retry_after`].
    pub fn retry_after(&self) -> Option<Duration> {
        self.service_error().and_then(ServiceError::retry_after)
    }

    /// How many attempts were made, when the error comes from sending a request.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            HttpError::Service(e) => Some(e.attempts()),
            HttpError::Transport { attempts, .. }
            | HttpError::Timeout { attempts, .. }
            | HttpError::DeadlineExceeded { attempts, .. } => Some(*attempts),
            HttpError::BuildRequest { attempt, .. } => Some(*attempt),
            _ => None,
        }
    }

    /// `HTTP 404 IdentityNotFound` (the status number and the ACS error code, when sent) when
    /// the service answered with an error status; `None` otherwise. Higher-level clients put
    /// it on their own error line and leave the rest (the message, request ids) to this error
    /// as their `source()`.
    ///
    /// ```
    /// use acs_http::{HttpError, ServiceError};
    /// use http::StatusCode;
    ///
    /// let error = HttpError::from(ServiceError::new(StatusCode::TOO_MANY_REQUESTS));
    /// assert_eq!(error.summary().as_deref(), Some("HTTP 429"));
    /// ```
    pub fn summary(&self) -> Option<String> {
        let service = self.service_error()?;
        let status = service.status().as_u16();
        Some(match service.code() {
            Some(code) => format!("HTTP {status} {code}"),
            None => format!("HTTP {status}"),
        })
    }

    /// Whether the error is a timeout (per attempt or total).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            HttpError::Timeout { .. } | HttpError::DeadlineExceeded { .. }
        )
    }
}

/// A non-success answer from an ACS service: status, ACS error code and message, request ids.
///
/// The code and message come from the ACS error body
/// (`{"error":{"code":..,"message":..}}`), or the `x-ms-error-code` header when the body has none.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub(crate) status: StatusCode,
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) detail: Option<AcsErrorDetail>,
    pub(crate) request_id: Option<String>,
    pub(crate) client_request_id: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) attempts: u32,
}

impl ServiceError {
    /// A service error with just a status; for tests and for services that answer with no body.
    pub fn new(status: StatusCode) -> Self {
        ServiceError {
            status,
            code: None,
            message: None,
            detail: None,
            request_id: None,
            client_request_id: None,
            retry_after: None,
            attempts: 1,
        }
    }

    /// This error with a `Retry-After` delay, as a throttled answer carries it; for tests and
    /// emulators.
    ///
    /// ```
    /// use std::time::Duration;
    /// use acs_http::ServiceError;
    /// use http::StatusCode;
    ///
    /// let error = ServiceError::new(StatusCode::TOO_MANY_REQUESTS)
    ///     .with_retry_after(Duration::from_secs(300));
    /// assert_eq!(error.retry_after(), Some(Duration::from_secs(300)));
    /// ```
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// This error with an `x-ms-client-request-id`; for tests and emulators.
    pub fn with_client_request_id(mut self, id: impl Into<String>) -> Self {
        self.client_request_id = Some(id.into());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The ACS error code (e.g. `BadRequest`, `InvalidAccessToken`), when the service sent one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The ACS error message, when the service sent one.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The whole ACS error object (target, details, inner error), when the body had one.
    pub fn detail(&self) -> Option<&AcsErrorDetail> {
        self.detail.as_ref()
    }

    /// The `x-ms-request-id` response header, when present.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The `x-ms-client-request-id` the service echoed, or else the one the request was sent
    /// with.
    pub fn client_request_id(&self) -> Option<&str> {
        self.client_request_id.as_deref()
    }

    /// The delay the service asked for before the next request, read from the `Retry-After`
    /// header (seconds or an HTTP-date; `retry-after-ms` / `x-ms-retry-after-ms` too) of a
    /// 429 (throttled) or 503 (unavailable) answer. `None` for other statuses, or when the
    /// answer named no delay. An HTTP-date is measured against the time the answer arrived.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// How many attempts were made before giving up (1 when the status was not retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("detail", &self.detail)
            .field("request_id", &self.request_id)
            .field("client_request_id", &self.client_request_id)
            .field("retry_after", &self.retry_after)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the service answered HTTP {}", self.status)?;
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => write!(f, ": {code}: {message}")?,
            (Some(code), None) => write!(f, ": {code}")?,
            (None, Some(message)) => write!(f, ": {message}")?,
            (None, None) => {}
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        if let Some(delay) = self.retry_after {
            write!(f, " (the service asks to retry after {delay:?})")?;
        }
        f.write_str(&RequestIds::suffix(
            self.request_id.as_deref(),
            self.client_request_id.as_deref(),
        ))
    }
}

impl StdError for ServiceError {}

struct RequestIds;

impl RequestIds {
    fn suffix(request_id: Option<&str>, client_request_id: Option<&str>) -> String {
        match (request_id, client_request_id) {
            (Some(r), Some(c)) => format!(" [x-ms-request-id: {r}, x-ms-client-request-id: {c}]"),
            (Some(r), None) => format!(" [x-ms-request-id: {r}]"),
            (None, Some(c)) => format!(" [x-ms-client-request-id: {c}]"),
            (None, None) => String::new(),
        }
    }
}

/// Why a response body could not be decoded.
///
/// serde_json's own messages may quote values from the body (which can be a token), so this
/// keeps only messages that cannot carry body text: syntax errors, missing or duplicate fields,
/// and this crate's own field errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    message: String,
}

impl DecodeError {
    pub(crate) fn from_json(error: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let text = error.to_string();
        let safe = match error.classify() {
            Category::Syntax | Category::Eof | Category::Io => true,
            Category::Data => {
                text.starts_with("missing field")
                    || text.starts_with("duplicate field")
                    || text.starts_with(crate::expires_on::EXPIRES_ON_ERROR_PREFIX)
            }
        };
        let message = if safe {
            text
        } else {
            format!(
                "a value has an unexpected type or form at line {} column {}",
                error.line(),
                error.column()
            )
        };
        DecodeError { message }
    }

    /// A decode error with a message of the caller's choosing (it must not contain secrets).
    pub fn new(message: impl Into<String>) -> Self {
        DecodeError {
            message: message.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for DecodeError {}

/// Why an endpoint was rejected. Errors never echo the endpoint text (it could carry
/// credentials in its user-info part).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The endpoint is empty.
    #[error("the endpoint is empty")]
    Empty,
    /// The endpoint is not an absolute URL.
    #[error("the endpoint is not a valid absolute URL")]
    Invalid {
        /// What the URL parser reported.
        #[source]
        source: url::ParseError,
    },
    /// The endpoint uses a scheme other than `https` (or `http` for loopback hosts).
    #[error("the endpoint must use https (scheme `{scheme}` is not supported)")]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
    },
    /// The endpoint uses plain `http` for a host that is not a loopback address.
    #[error(
        "the endpoint must use https; plain http is only allowed for loopback hosts (127.0.0.0/8, ::1, localhost)"
    )]
    InsecureHttp,
    /// The endpoint has no host.
    #[error("the endpoint has no host")]
    MissingHost,
    /// The endpoint carries a user name or password.
    #[error("the endpoint must not contain a user name or password")]
    Credentials,
    /// The endpoint has a query string or a fragment.
    #[error("the endpoint must not contain a query string or fragment")]
    QueryOrFragment,
}

/// Why an `expiresOn` value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid expiresOn: expected an ISO-8601 date-time such as 2034-10-04T10:21:29.4729393+00:00"
)]
pub struct ExpiresOnError {
    _private: (),
}

impl ExpiresOnError {
    pub(crate) fn new() -> Self {
        ExpiresOnError { _private: () }
    }
}
