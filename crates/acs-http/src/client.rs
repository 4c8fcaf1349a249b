use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::{BoxError, HttpError};
use crate::retry::RetryPolicy;
use crate::send::{Response, send_with_retry};

/// The `User-Agent` our clients send.
pub const USER_AGENT: &str = concat!("acs-common-rust/", env!("CARGO_PKG_VERSION"));

/// A reqwest client with our defaults plus a retry policy. Clone it freely: clones share the
/// connection pool, so build one and reuse it.
///
/// Defaults: rustls TLS (no OpenSSL), a 30 s timeout per attempt, a 10 s connect timeout, no
/// redirects (ACS never redirects, and a redirect must not carry a bearer token elsewhere), a
/// `User-Agent` of `acs-common-rust/<version>`, and [`RetryPolicy::default`].
///
/// ```no_run
/// # async fn run() -> Result<(), acs_http::HttpError> {
/// use acs_http::{Endpoint, HttpClient};
///
/// let http = HttpClient::new()?;
/// let endpoint: Endpoint = "https://contoso.communication.azure.com".parse()?;
/// let mut url = endpoint.url_for("/identities");
/// url.query_pairs_mut().append_pair("api-version", "2025-06-30");
/// let response = http
///     .send(|client| client.post(url.clone()).json(&serde_json::json!({})).build())
///     .await?;
/// let body: serde_json::Value = response.json()?;
/// # let _ = body; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    retry: RetryPolicy,
}

impl HttpClient {
    /// A client with the defaults.
    ///
    /// # Errors
    /// [`HttpError::Client`] when reqwest cannot build its client (e.g. TLS set-up failed).
    pub fn new() -> Result<Self, HttpError> {
        HttpClientBuilder::new().build()
    }

    /// A builder to change the defaults.
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder::new()
    }

    /// The underlying reqwest client.
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends a request with retries; see [`send_with_retry`].
    ///
    /// # Errors
    /// As [`send_with_retry`].
    pub async fn send<F, E>(&self, build: F) -> Result<Response, HttpError>
    where
        F: FnMut(&reqwest::Client) -> Result<reqwest::Request, E>,
        E: Into<BoxError>,
    {
        send_with_retry(&self.client, &self.retry, build).await
    }

    /// Sends a request with retries and decodes the JSON body of the success response.
    ///
    /// # Errors
    /// As [`send_with_retry`], plus [`HttpError::Decode`].
    pub async fn send_json<T, F, E>(&self, build: F) -> Result<T, HttpError>
    where
        T: DeserializeOwned,
        F: FnMut(&reqwest::Client) -> Result<reqwest::Request, E>,
        E: Into<BoxError>,
    {
        self.send(build).await?.json()
    }
}

/// Builds an [`HttpClient`].
#[derive(Debug, Clone)]
pub struct HttpClientBuilder {
    request_timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    client: Option<reqwest::Client>,
}

impl Default for HttpClientBuilder {
    fn default() -> Self {
        HttpClientBuilder {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: USER_AGENT.to_owned(),
            retry: RetryPolicy::default(),
            client: None,
        }
    }
}

impl HttpClientBuilder {
    /// A builder with the defaults.
    pub fn new() -> Self {
        HttpClientBuilder::default()
    }

    /// The timeout of each attempt, from sending the request to the end of the response body.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The timeout for establishing a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header value.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Uses a reqwest client of your own (its timeouts and TLS settings apply; this builder's
    /// timeouts and user agent are then ignored). Useful to share one pool across libraries.
    pub fn reqwest_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The reqwest builder with our defaults, for callers that want to adjust it further and
    /// pass the result to [`reqwest_client`](Self::reqwest_client).
    pub fn reqwest_builder(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .timeout(self.request_timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`HttpError::Client`] when reqwest cannot build its client.
    pub fn build(self) -> Result<HttpClient, HttpError> {
        let client = match self.client {
            Some(client) => client,
            None => self
                .reqwest_builder()
                .build()
                .map_err(|source| HttpError::Client {
                    source: source.into(),
                })?,
        };
        Ok(HttpClient {
            client,
            retry: self.retry,
        })
    }
}

/// The HTTP settings a service client builder offers: an optional shared [`HttpClient`], a
/// retry policy and timeouts. Service client builders embed it so each of them resolves these
/// settings the same way.
///
/// Without a shared client, [`build`](Self::build) makes a new [`HttpClient`] with the set
/// values over its defaults. With one, its connection pool and timeouts are kept (the timeouts
/// set here are ignored) and a retry policy set here replaces its own.
///
/// ```
/// use std::time::Duration;
/// use acs_http::{HttpClient, HttpClientOptions, RetryPolicy};
///
/// let shared = HttpClient::new()?;
/// let http = HttpClientOptions::default()
///     .http_client(shared)
///     .retry_policy(RetryPolicy::default().max_retries(5))
///     .request_timeout(Duration::from_secs(10)) // ignored: the shared client's timeouts apply
///     .build()?;
/// assert_eq!(http.retry_policy().retries(), 5);
/// # Ok::<(), acs_http::HttpError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct HttpClientOptions {
    http: Option<HttpClient>,
    retry_policy: Option<RetryPolicy>,
    request_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
}

impl HttpClientOptions {
    /// Sends through `http` (to share its connection pool). Its retry policy applies unless
    /// [`retry_policy`](Self::retry_policy) is also set; its own timeouts apply.
    pub fn http_client(mut self, http: HttpClient) -> Self {
        self.http = Some(http);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// The timeout of each attempt (default 30 s); ignored with a shared client.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// The connection timeout (default 10 s); ignored with a shared client.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The HTTP client these options describe.
    ///
    /// # Errors
    /// [`HttpError::Client`] when reqwest cannot build its client.
    pub fn build(self) -> Result<HttpClient, HttpError> {
        match (self.http, self.retry_policy) {
            (Some(http), None) => Ok(http),
            (Some(http), Some(policy)) => HttpClient::builder()
                .reqwest_client(http.client)
                .retry_policy(policy)
                .build(),
            (None, policy) => {
                let mut builder = HttpClient::builder();
                if let Some(policy) = policy {
                    builder = builder.retry_policy(policy);
                }
                if let Some(timeout) = self.request_timeout {
                    builder = builder.request_timeout(timeout);
                }
                if let Some(timeout) = self.connect_timeout {
                    builder = builder.connect_timeout(timeout);
                }
                builder.build()
            }
        }
    }
}
