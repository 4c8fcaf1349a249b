//! The one way chat requests are sent: a bearer token from the credential on every attempt,
//! acs-http's retries, and one new token after a 401.

use std::fmt;

use acs_http::{CLIENT_REQUEST_ID_HEADER, Endpoint, HttpClient, Response};
use acs_refresh::{CommunicationTokenCredential, CredentialError};
use acs_token::AccessToken;
use futures::FutureExt;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::error::ChatError;
use crate::error::ChatOperation;

/// The header that makes a create idempotent: the service answers a repeated id with the first
/// answer instead of creating another thread.
pub(crate) const REPEATABILITY_REQUEST_ID: &str = "repeatability-request-id";

/// Path segments keep only unreserved characters: `19:abc@thread.v2` becomes
/// `19%3Aabc%40thread.v2`, as the official clients send it.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (a thread or message id).
pub(crate) fn segment(text: &str) -> String {
    utf8_percent_encode(text, PATH_SEGMENT).to_string()
}

/// What the clients share: endpoint, HTTP client, credential, api-version.
pub(crate) struct Pipeline {
    pub(crate) endpoint: Endpoint,
    pub(crate) http: HttpClient,
    pub(crate) credential: CommunicationTokenCredential,
    pub(crate) api_version: String,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("endpoint", &self.endpoint)
            .field("api_version", &self.api_version)
            .field("retry_policy", self.http.retry_policy())
            .finish_non_exhaustive()
    }
}

/// One request of an operation.
pub(crate) struct Call {
    pub(crate) operation: ChatOperation,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<bytes::Bytes>,
    pub(crate) repeatability_id: Option<String>,
}

impl Call {
    pub(crate) fn new(operation: ChatOperation, method: Method, url: Url) -> Self {
        Call {
            operation,
            method,
            url,
            body: None,
            repeatability_id: None,
        }
    }

    pub(crate) fn json<B: serde::Serialize + ?Sized>(
        mut self,
        body: &B,
    ) -> Result<Self, ChatError> {
        // Our own request types always serialize; refuse rather than panic if one ever does not.
        let bytes = serde_json::to_vec(body).map_err(|_| ChatError::InvalidArgument {
            argument: "request body",
            reason: "could not be serialized as JSON",
        })?;
        self.body = Some(bytes.into());
        Ok(self)
    }
}

impl Pipeline {
    /// The URL of an operation with the client's api-version.
    pub(crate) fn url(&self, path: &str) -> Url {
        let mut url = self.endpoint.url_for(path);
        url.query_pairs_mut()
            .append_pair("api-version", &self.api_version);
        url
    }

    /// Sends `call`: a token from the credential on every attempt, acs-http's retries, and on
    /// a 401 one forced refresh of the credential and one more send. A second 401 is returned.
    pub(crate) async fn send(&self, call: &Call) -> Result<Response, ChatError> {
        let operation = call.operation;
        let credential_error = |source| ChatError::Credential { operation, source };
        let mut token = self
            .credential
            .get_token()
            .await
            .map_err(credential_error)?;
        // One id for the operation: the same on acs-http's retries and on the resend after a
        // 401, so the service's logs show one operation.
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut forced_refresh = false;
        loop {
            let mut used = token.clone();
            let result = self
                .http
                .send(|client| {
                    // Every attempt asks the credential again. On the cached path the answer is
                    // immediate; when a refresh would have to be awaited, this attempt keeps the
                    // previous token (a 401 then leads to the forced refresh below).
                    if let Some(Ok(current)) = self.credential.get_token().now_or_never() {
                        used = current;
                    }
                    self.build(client, call, &used, &client_request_id)
                })
                .await;
            match result {
                Err(error)
                    if error.status() == Some(StatusCode::UNAUTHORIZED) && !forced_refresh =>
                {
                    forced_refresh = true;
                    tracing::debug!(%operation, "the service refused the token (401): asking the credential for a new one");
                    // Single flight in the credential: concurrent requests refused with the same
                    // token share one refresher call, and one whose token was already replaced
                    // gets the new one at once.
                    match self.credential.refresh_rejected(&used).await {
                        Ok(fresh) if fresh.token() != used.token() => token = fresh,
                        // No other token to try (a fixed token): the 401 is the answer.
                        Ok(_) | Err(CredentialError::CannotRefresh) => {
                            return Err(ChatError::Request {
                                operation,
                                source: error,
                            });
                        }
                        Err(source) => return Err(ChatError::Credential { operation, source }),
                    }
                }
                Err(source) => return Err(ChatError::Request { operation, source }),
                Ok(response) => return Ok(response),
            }
        }
    }

    /// Sends `call` and decodes the JSON answer.
    pub(crate) async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        call: &Call,
    ) -> Result<(T, Response), ChatError> {
        let response = self.send(call).await?;
        // Every chat answer is an object; serde would also read some structs from an array.
        if response.body().trim_ascii_start().first() != Some(&b'{') {
            return Err(Pipeline::invalid(
                call.operation,
                &response,
                "the answer is not a JSON object",
            ));
        }
        let value = response
            .json()
            .map_err(|source| ChatError::InvalidResponse {
                operation: call.operation,
                source,
            })?;
        Ok((value, response))
    }

    fn build(
        &self,
        client: &reqwest::Client,
        call: &Call,
        token: &AccessToken,
        client_request_id: &str,
    ) -> Result<reqwest::Request, reqwest::Error> {
        let mut request = client
            .request(call.method.clone(), call.url.clone())
            .header(ACCEPT, "application/json")
            .header(CLIENT_REQUEST_ID_HEADER, client_request_id);
        let mut authorization = HeaderValue::try_from(format!("Bearer {}", token.token()))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        authorization.set_sensitive(true);
        request = request.header(AUTHORIZATION, authorization);
        if let Some(id) = &call.repeatability_id {
            request = request.header(REPEATABILITY_REQUEST_ID, id.as_str());
        }
        if let Some(body) = &call.body {
            let content_type = if call.method == Method::PATCH {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            request = request
                .header(CONTENT_TYPE, content_type)
                .body(body.clone());
        }
        request.build()
    }

    /// An [`ChatError::InvalidResponse`] for a success answer whose body is wrong beyond its
    /// JSON shape.
    pub(crate) fn invalid(
        operation: ChatOperation,
        response: &Response,
        reason: impl Into<String>,
    ) -> ChatError {
        ChatError::InvalidResponse {
            operation,
            source: response.decode_error(acs_http::DecodeError::new(reason)),
        }
    }
}
