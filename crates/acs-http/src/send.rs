use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::{BoxError, DecodeError, HttpError, ServiceError};
use crate::error_body::AcsErrorResponse;
use crate::retry::{RetryPolicy, retry_after};

/// The `x-ms-request-id` header: the service's id for a request.
pub const REQUEST_ID_HEADER: &str = "x-ms-request-id";
/// The `x-ms-client-request-id` header: the caller's id for a request, echoed by the service.
pub const CLIENT_REQUEST_ID_HEADER: &str = "x-ms-client-request-id";
/// The `x-ms-error-code` header, which some services send alongside (or instead of) a body.
pub const ERROR_CODE_HEADER: &str = "x-ms-error-code";

/// A successful (2xx) response, read in full.
///
/// The body is buffered so that a failure while reading it counts as a failed attempt and is
/// retried like any transport error. `Debug` shows the body's length, never its bytes (a token
/// response is a secret).
#[derive(Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    attempts: u32,
    sent_client_request_id: Option<String>,
}

impl Response {
    /// The status (always a success status).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body bytes.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// How many attempts it took (1 when the first attempt succeeded).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The `x-ms-request-id` header, when present.
    pub fn request_id(&self) -> Option<&str> {
        header(&self.headers, REQUEST_ID_HEADER)
    }

    /// The `x-ms-client-request-id` the service echoed, or else the one the request was sent
    /// with.
    pub fn client_request_id(&self) -> Option<&str> {
        header(&self.headers, CLIENT_REQUEST_ID_HEADER).or(self.sent_client_request_id.as_deref())
    }

    /// Decodes the body as JSON.
    ///
    /// # Errors
    /// [`HttpError::Decode`] with the status and request ids; its message never quotes values
    /// from the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body)
            .map_err(|error| self.decode_error(DecodeError::from_json(&error)))
    }

    /// An [`HttpError::Decode`] for this response: for checks of the body beyond its JSON shape
    /// (an empty field, say), so they carry the same status and request ids.
    pub fn decode_error(&self, source: DecodeError) -> HttpError {
        HttpError::Decode {
            status: self.status,
            request_id: self.request_id().map(str::to_owned),
            client_request_id: self.client_request_id().map(str::to_owned),
            source,
        }
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("request_id", &self.request_id())
            .field("client_request_id", &self.client_request_id())
            .field("body_len", &self.body.len())
            .field("attempts", &self.attempts)
            .finish()
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Sends a request with retries, building it afresh for each attempt.
///
/// `build` is called once per attempt with the client, so a signer (HMAC, a bearer token) signs
/// each attempt with its own date. A 2xx answer is returned read in full; any other status
/// becomes [`HttpError::Service`] with the ACS error code and message from its body. Retries
/// follow `policy` (statuses 408/429/500/502/503/504 and transport errors, `Retry-After`,
/// total bound). Delays use tokio's clock, so tests with paused time run instantly and
/// deterministically.
///
/// Every attempt carries the same `x-ms-client-request-id`: a fresh UUID (v4) for the
/// operation, unless `build` sets the header itself. The id is recorded on the
/// `acs_request` trace span and on every error, also when no response came back.
///
/// # Errors
/// [`HttpError::BuildRequest`] when `build` fails (not retried), [`HttpError::Service`],
/// [`HttpError::Transport`], [`HttpError::Timeout`] or [`HttpError::DeadlineExceeded`].
pub async fn send_with_retry<F, E>(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    build: F,
) -> Result<Response, HttpError>
where
    F: FnMut(&reqwest::Client) -> Result<reqwest::Request, E>,
    E: Into<BoxError>,
{
    let client_request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::debug_span!("acs_request", client_request_id = %client_request_id);
    send_with_id(client, policy, build, client_request_id)
        .instrument(span)
        .await
}

async fn send_with_id<F, E>(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    mut build: F,
    mut client_request_id: String,
) -> Result<Response, HttpError>
where
    F: FnMut(&reqwest::Client) -> Result<reqwest::Request, E>,
    E: Into<BoxError>,
{
    // A bound too large to add to the clock is no bound at all.
    let deadline = policy
        .total_bound()
        .and_then(|bound| Instant::now().checked_add(bound));
    // A UUID is always a valid header value.
    let mut id_value = http::HeaderValue::try_from(client_request_id.as_str())
        .expect("a UUID is a valid header value");
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        let mut request = build(client).map_err(|error| HttpError::BuildRequest {
            attempt,
            client_request_id: Some(client_request_id.clone()),
            source: error.into(),
        })?;
        // The caller's own id, when its builder set one, is the operation's id, also on
        // later attempts whose request does not set it.
        match request.headers().get(CLIENT_REQUEST_ID_HEADER) {
            Some(theirs) => {
                if let Ok(text) = theirs.to_str()
                    && text != client_request_id
                {
                    client_request_id = text.to_owned();
                    id_value = theirs.clone();
                }
            }
            None => {
                request
                    .headers_mut()
                    .insert(CLIENT_REQUEST_ID_HEADER, id_value.clone());
            }
        }
        let method = request.method().clone();
        let path = request.url().path().to_owned();
        let outcome = match deadline {
            Some(deadline) => {
                match tokio::time::timeout_at(deadline, one_attempt(client, request)).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        tracing::debug!(%method, %path, attempt, "ACS request cut off by the total time bound");
                        return Err(HttpError::DeadlineExceeded {
                            attempts: attempt,
                            bound: policy.total_bound().unwrap_or_default(),
                            client_request_id: Some(client_request_id),
                        });
                    }
                }
            }
            None => one_attempt(client, request).await,
        };
        let (error, requested_delay) = match outcome {
            Ok(response) if response.status.is_success() => {
                return Ok(Response {
                    attempts: attempt,
                    sent_client_request_id: Some(client_request_id),
                    ..response
                });
            }
            Ok(response) => {
                let retriable = RetryPolicy::is_retriable_status(response.status);
                let delay = retry_after(&response.headers, SystemTime::now());
                let error =
                    HttpError::from(service_error(response, attempt, &client_request_id, delay));
                if !retriable {
                    return Err(error);
                }
                (error, delay)
            }
            Err(error) => {
                let retriable = !(error.is_builder() || error.is_redirect());
                let error = if error.is_timeout() {
                    HttpError::Timeout {
                        attempts: attempt,
                        client_request_id: Some(client_request_id.clone()),
                        source: error.into(),
                    }
                } else {
                    HttpError::Transport {
                        attempts: attempt,
                        client_request_id: Some(client_request_id.clone()),
                        source: error.into(),
                    }
                };
                if !retriable {
                    return Err(error);
                }
                (error, None)
            }
        };
        if attempt > policy.retries() {
            return Err(error);
        }
        let delay = requested_delay.unwrap_or_else(|| policy.delay_for_retry(attempt));
        // A delay too large to add to the clock ends past any deadline. Without a deadline,
        // tokio's `sleep` saturates such a delay itself.
        if let Some(deadline) = deadline
            && Instant::now()
                .checked_add(delay)
                .is_none_or(|end| end >= deadline)
        {
            tracing::debug!(%method, %path, attempt, ?delay, "not retrying: the delay would pass the total time bound");
            return Err(error);
        }
        tracing::debug!(%method, %path, attempt, ?delay, error = %error, "retrying ACS request");
        tokio::time::sleep(delay).await;
    }
}

/// One attempt: send, then read the whole body.
async fn one_attempt(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> Result<Response, reqwest::Error> {
    let response = client.execute(request).await?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    Ok(Response {
        status,
        headers,
        body,
        attempts: 0,
        sent_client_request_id: None,
    })
}

/// Builds the typed error for a non-success response. `delay` is the answer's `Retry-After`,
/// kept only for a throttled (429) or unavailable (503) answer.
fn service_error(
    response: Response,
    attempts: u32,
    sent_client_request_id: &str,
    delay: Option<std::time::Duration>,
) -> ServiceError {
    let detail = AcsErrorResponse::from_slice(&response.body).map(|body| body.error);
    let code = detail
        .as_ref()
        .and_then(|d| d.code.clone())
        .or_else(|| header(&response.headers, ERROR_CODE_HEADER).map(str::to_owned));
    ServiceError {
        status: response.status,
        code,
        message: detail.as_ref().and_then(|d| d.message.clone()),
        detail,
        request_id: header(&response.headers, REQUEST_ID_HEADER).map(str::to_owned),
        client_request_id: Some(
            header(&response.headers, CLIENT_REQUEST_ID_HEADER)
                .unwrap_or(sent_client_request_id)
                .to_owned(),
        ),
        retry_after: delay.filter(|_| {
            matches!(
                response.status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            )
        }),
        attempts,
    }
}
