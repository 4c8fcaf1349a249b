use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use acs_http::{
    DecodeError, Endpoint, HttpClient, HttpError, RetryPolicy, ServiceError, ServiceErrorSource,
    TokenResponse,
};
use acs_refresh::{BoxError, RefreshedToken, TokenRefresher};
use acs_token::AccessToken;
use azure_core::credentials::TokenCredential;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use url::Url;

use crate::clock::Clock;
use crate::error::EntraError;
use crate::options::EntraCommunicationTokenCredentialOptions;
use crate::scopes::ExchangeRoute;

/// A cached ACS token is exchanged again once it has less than this left: the refresh engine's
/// proactive window, so an engine-requested refresh always finds the cached token due.
pub const EXCHANGE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Exchanges Entra tokens for ACS tokens: the [`TokenRefresher`] behind an Entra-backed
/// credential.
///
/// Each call of [`exchange`](Self::exchange) asks the Entra credential for a token (Entra
/// credentials cache their own tokens, so this is cheap), then exchanges it only when it
/// differs from the Entra token of the last exchange or when the ACS token from that exchange
/// has less than [`EXCHANGE_WINDOW`] left. Otherwise it returns the cached ACS token. The cache
/// keeps a SHA-256 digest of the Entra token, not the token.
///
/// [`refresh`](TokenRefresher::refresh), the credential engine's call, always exchanges: the
/// engine asks only for a token it needs replaced, either because it is due (then the cached
/// one is due too) or because a service rejected it
/// ([`refresh_rejected`](acs_refresh::CommunicationTokenCredential::refresh_rejected)), when the
/// cached token is that rejected token.
pub struct EntraTokenExchange {
    entra_credential: Arc<dyn TokenCredential>,
    scopes: Arc<[String]>,
    route: ExchangeRoute,
    url: Url,
    http: HttpClient,
    clock: Clock,
    cache: Mutex<Option<Cached>>,
    /// The Entra token the exchange service last refused (HTTP 401), and its answer: it is
    /// never sent again.
    rejected: Mutex<Option<Rejected>>,
}

struct Rejected {
    entra_digest: [u8; 32],
    answer: ServiceError,
}

struct Cached {
    entra_digest: [u8; 32],
    token: AccessToken,
}

/// The exchange response: `{"identity":{"id"},"accessToken":{"token","expiresOn"}}`.
#[derive(Deserialize)]
struct ExchangeResponse {
    #[serde(rename = "accessToken")]
    access_token: TokenResponse,
}

impl EntraTokenExchange {
    /// An exchange for these options. Unless the options carry an HTTP client, builds one with
    /// the defaults of [`acs_http::HttpClient`] except for its time bounds, which fit within
    /// the options' [`refresher_timeout`](EntraCommunicationTokenCredentialOptions::refresher_timeout):
    /// attempts of at most a third of it each, all retries within two thirds of it (the rest
    /// is left to the Entra credential's own call).
    ///
    /// # Errors
    /// [`EntraError::Endpoint`] for an endpoint that is not `https` (or `http` on a loopback
    /// host); [`EntraError::HttpClient`] when the HTTP client cannot be built.
    pub fn new(options: &EntraCommunicationTokenCredentialOptions) -> Result<Self, EntraError> {
        let endpoint = Endpoint::parse(&options.resource_endpoint).map_err(EntraError::Endpoint)?;
        let mut url = endpoint.url_for(options.route.path());
        url.query_pairs_mut()
            .append_pair("api-version", options.route.api_version());
        let http = match &options.http {
            Some(http) => http.clone(),
            None => {
                let budget = options.refresher_timeout();
                // Two thirds as `budget - budget / 3`: `budget * 2` overflows (a panic) for a
                // timeout past half of `Duration::MAX`.
                HttpClient::builder()
                    .request_timeout(budget / 3)
                    .retry_policy(RetryPolicy::default().total_timeout(Some(budget - budget / 3)))
                    .build()
                    .map_err(EntraError::HttpClient)?
            }
        };
        Ok(EntraTokenExchange {
            entra_credential: Arc::clone(&options.entra_credential),
            scopes: Arc::clone(&options.scopes),
            route: options.route,
            url,
            http,
            clock: options.clock.clone(),
            cache: Mutex::new(None),
            rejected: Mutex::new(None),
        })
    }

    /// The route the scopes selected.
    pub fn route(&self) -> ExchangeRoute {
        self.route
    }

    /// The exchange URL, with its `api-version`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// An ACS token for the Entra credential's current token: the cached one when the Entra
    /// token is unchanged and the cached ACS token has more than [`EXCHANGE_WINDOW`] left,
    /// otherwise a new exchange.
    ///
    /// An Entra token the exchange service refused with HTTP 401 is never sent again: while the
    /// Entra credential keeps returning it (Entra credentials cache their tokens, and
    /// `azure_core`'s `TokenCredential` has no way to ask past that cache), the exchange fails
    /// at once with [`EntraError::RejectedEntraToken`]; it is tried again as soon as the
    /// credential gives another token.
    ///
    /// # Errors
    /// [`EntraError::EntraCredential`] when the Entra credential fails (its error is the
    /// source); [`EntraError::Exchange`] when the exchange fails, with the status, ACS error
    /// code and message and request ids when the service answered;
    /// [`EntraError::RejectedEntraToken`] as above.
    pub async fn exchange(&self) -> Result<AccessToken, EntraError> {
        self.exchange_or_reuse(true).await
    }

    /// [`exchange`](Self::exchange), reusing the cached ACS token only when `reuse` is set.
    async fn exchange_or_reuse(&self, reuse: bool) -> Result<AccessToken, EntraError> {
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let entra = self
            .entra_credential
            .get_token(&scopes, None)
            .await
            .map_err(EntraError::EntraCredential)?;
        let entra_token = entra.token.secret();
        let entra_digest: [u8; 32] = Sha256::digest(entra_token.as_bytes()).into();

        // A clock outside what `time` represents (an injected one, years past ±9999) cannot be
        // compared with the cached expiry: exchange again rather than trust the cache.
        if reuse
            && let Some(cached) =
                offset_date_time(self.clock.now()).and_then(|now| self.cached(&entra_digest, now))
        {
            tracing::debug!(route = %self.route, "reusing the cached ACS token: the Entra token is unchanged and the ACS token is not due");
            return Ok(cached);
        }

        if let Some(answer) = self.rejected_answer(&entra_digest) {
            tracing::debug!(route = %self.route, "not exchanging: the Entra credential returned the Entra token the service rejected");
            return Err(EntraError::RejectedEntraToken(HttpError::from(answer)));
        }

        tracing::debug!(route = %self.route, "exchanging an Entra token for an ACS token");
        let response = self
            .http
            .send(|client| {
                client
                    .post(self.url.clone())
                    .bearer_auth(entra_token)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .header(http::header::ACCEPT, "application/json")
                    .body("{}")
                    .build()
            })
            .await
            .map_err(|error| self.failed(error, entra_digest))?;
        *self.rejected.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let body: ExchangeResponse = response.json().map_err(EntraError::Exchange)?;
        if body.access_token.token.expose().is_empty() {
            return Err(EntraError::Exchange(response.decode_error(
                DecodeError::new("the accessToken.token field is empty"),
            )));
        }
        let token = AccessToken::from(body.access_token);
        tracing::debug!(route = %self.route, expires_on = %token.expires_on(), attempts = response.attempts(), "exchanged an Entra token for an ACS token");
        *self.cache.lock().unwrap_or_else(PoisonError::into_inner) = Some(Cached {
            entra_digest,
            token: token.clone(),
        });
        Ok(token)
    }

    /// The service's 401 answer, when `entra_digest` is the Entra token it refused.
    fn rejected_answer(&self, entra_digest: &[u8; 32]) -> Option<ServiceError> {
        let rejected = self.rejected.lock().unwrap_or_else(PoisonError::into_inner);
        let rejected = rejected.as_ref()?;
        (rejected.entra_digest == *entra_digest).then(|| rejected.answer.clone())
    }

    /// The error of a failed exchange; a 401 also marks the Entra token as refused.
    fn failed(&self, error: HttpError, entra_digest: [u8; 32]) -> EntraError {
        if let Some(answer) = error.service_error()
            && answer.status() == http::StatusCode::UNAUTHORIZED
        {
            *self.rejected.lock().unwrap_or_else(PoisonError::into_inner) = Some(Rejected {
                entra_digest,
                answer: answer.clone(),
            });
        }
        EntraError::Exchange(error)
    }

    fn cached(&self, entra_digest: &[u8; 32], now: OffsetDateTime) -> Option<AccessToken> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let cached = cache.as_ref()?;
        (cached.entra_digest == *entra_digest && !cached.token.expires_within(EXCHANGE_WINDOW, now))
            .then(|| cached.token.clone())
    }
}

/// The instant as a UTC date-time, or `None` outside the years ±9999, where
/// `OffsetDateTime::from(SystemTime)` would panic.
fn offset_date_time(at: SystemTime) -> Option<OffsetDateTime> {
    let nanos = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).ok()?,
        Err(before) => -i128::try_from(before.duration().as_nanos()).ok()?,
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

#[async_trait::async_trait]
impl TokenRefresher for EntraTokenExchange {
    /// Exchanges the Entra credential's current token, never reusing the cached ACS token
    /// (see [`EntraTokenExchange`]); an Entra token the service refused is still not sent
    /// again.
    async fn refresh(&self) -> Result<RefreshedToken, BoxError> {
        Ok(self.exchange_or_reuse(false).await?.into())
    }

    /// The exchange service's `Retry-After` (a throttled or unavailable answer): the
    /// credential makes no new exchange before it has passed.
    fn retry_after(
        &self,
        error: &(dyn std::error::Error + Send + Sync + 'static),
    ) -> Option<Duration> {
        error.retry_after()
    }
}

impl fmt::Debug for EntraTokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraTokenExchange")
            .field("url", &self.url.as_str())
            .field("route", &self.route)
            .field("scopes", &self.scopes)
            // A credential's own Debug may show its secrets; never delegate to it.
            .field("entra_credential", &format_args!("<dyn TokenCredential>"))
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}
