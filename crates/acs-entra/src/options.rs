use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use acs_http::HttpClient;
use azure_core::credentials::TokenCredential;

use crate::clock::Clock;
use crate::error::EntraError;
use crate::scopes::{DEFAULT_SCOPE, ExchangeRoute};

/// What a Microsoft Entra-backed [`CommunicationTokenCredential`](acs_refresh::CommunicationTokenCredential)
/// needs: the ACS resource endpoint, an Entra [`TokenCredential`] and the scopes to ask it for.
///
/// The options own a copy of the scopes, validated when they are set; changing the caller's
/// list afterwards has no effect.
///
/// ```
/// # use std::sync::Arc;
/// # fn entra() -> Arc<dyn azure_core::credentials::TokenCredential> { unimplemented!() }
/// # fn main() -> Result<(), acs_entra::EntraError> {
/// # if false {
/// use acs_entra::{EntraCommunicationTokenCredentialOptions, ExchangeRoute};
///
/// let options = EntraCommunicationTokenCredentialOptions::new(
///     "https://contoso.communication.azure.com",
///     entra(),
/// )
/// .with_scopes(["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"])?;
/// assert_eq!(options.route(), ExchangeRoute::TeamsExtension);
/// # }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct EntraCommunicationTokenCredentialOptions {
    pub(crate) resource_endpoint: String,
    pub(crate) entra_credential: Arc<dyn TokenCredential>,
    pub(crate) scopes: Arc<[String]>,
    pub(crate) route: ExchangeRoute,
    pub(crate) http: Option<HttpClient>,
    pub(crate) refresh_proactively: bool,
    pub(crate) refresher_timeout: Option<Duration>,
    pub(crate) clock: Clock,
}

/// How long one refresh (the Entra credential's call and the exchange, retries included) may
/// take by default: 30 seconds, the refresh engine's own default. The official SDKs have no
/// such bound (their retries alone may take minutes with a 100 s (.NET) network timeout per
/// try); 30 s is as long as a user waiting for a first token accepts, and a failed refresh is
/// retried by the engine with backoff.
pub const DEFAULT_REFRESHER_TIMEOUT: Duration = Duration::from_secs(30);

/// Headroom over an HTTP client's total retry bound for the Entra credential's own call, when
/// the options carry a client of the caller's and no explicit refresher timeout.
const ENTRA_CALL_HEADROOM: Duration = Duration::from_secs(10);

impl EntraCommunicationTokenCredentialOptions {
    /// Options for `resource_endpoint` (e.g. `https://contoso.communication.azure.com`) with
    /// the default scope, `https://communication.azure.com/clients/.default`.
    ///
    /// The endpoint is checked when the credential is built: it must be `https`, except for
    /// loopback hosts.
    pub fn new(
        resource_endpoint: impl Into<String>,
        entra_credential: Arc<dyn TokenCredential>,
    ) -> Self {
        EntraCommunicationTokenCredentialOptions {
            resource_endpoint: resource_endpoint.into(),
            entra_credential,
            scopes: Arc::from([DEFAULT_SCOPE.to_owned()]),
            route: ExchangeRoute::CommunicationClients,
            http: None,
            refresh_proactively: true,
            refresher_timeout: None,
            clock: Clock::default(),
        }
    }

    /// The scopes to request from the Entra credential. All must start with
    /// `https://auth.msft.communication.azure.com/` (or its GCC High variant
    /// `https://auth.msft.communication.azure.us/`), or all with
    /// `https://communication.azure.com/clients/`; that choice selects the exchange route.
    ///
    /// # Errors
    /// [`EntraError::EmptyScopes`] or [`EntraError::InvalidScopes`], with the official texts.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Result<Self, EntraError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let scopes: Vec<String> = scopes
            .into_iter()
            .map(|scope| scope.as_ref().to_owned())
            .collect();
        self.route = ExchangeRoute::for_scopes(&scopes)?;
        self.scopes = scopes.into();
        Ok(self)
    }

    /// Uses this HTTP client (timeouts, retry policy, connection pool) for the exchange instead
    /// of a new one whose time bounds fit the [`refresher_timeout`](Self::refresher_timeout).
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.http = Some(client);
        self
    }

    /// How long one refresh may take (the Entra credential's call plus the exchange with its
    /// retries) before it is cut off and the waiting callers get a timeout error. Default:
    /// [`DEFAULT_REFRESHER_TIMEOUT`] (30 s), or, with an [`http_client`](Self::http_client) of
    /// your own and no timeout set here, its total retry bound plus 10 s. Without an HTTP
    /// client of your own, the exchange's attempts take at most a third of it each, and its
    /// retries end within two thirds of it.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # fn entra() -> Arc<dyn azure_core::credentials::TokenCredential> { unimplemented!() }
    /// # if false {
    /// use acs_entra::EntraCommunicationTokenCredentialOptions;
    ///
    /// let options = EntraCommunicationTokenCredentialOptions::new(
    ///     "https://contoso.communication.azure.com",
    ///     entra(),
    /// )
    /// .with_refresher_timeout(Duration::from_secs(10));
    /// assert_eq!(options.refresher_timeout(), Duration::from_secs(10));
    /// # }
    /// ```
    pub fn with_refresher_timeout(mut self, timeout: Duration) -> Self {
        self.refresher_timeout = Some(timeout);
        self
    }

    /// The refresher timeout in effect (see [`with_refresher_timeout`](Self::with_refresher_timeout)).
    pub fn refresher_timeout(&self) -> Duration {
        match (self.refresher_timeout, &self.http) {
            (Some(timeout), _) => timeout,
            (None, Some(http)) => http
                .retry_policy()
                .total_bound()
                .map_or(Duration::MAX, |bound| {
                    bound.saturating_add(ENTRA_CALL_HEADROOM)
                }),
            (None, None) => DEFAULT_REFRESHER_TIMEOUT,
        }
    }

    /// Whether the credential refreshes in the background before its token expires. Default:
    /// `true`, which also pre-warms: a credential built inside a Tokio runtime starts the first
    /// exchange at once, as the official SDKs do. With `false`, the first exchange happens at
    /// the first `get_token`, and later ones when a caller finds the token expiring.
    pub fn refresh_proactively(mut self, refresh_proactively: bool) -> Self {
        self.refresh_proactively = refresh_proactively;
        self
    }

    /// Measure token expiry against `clock` instead of the system clock, in the refresh engine
    /// and in the exchange's cache alike (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn wall_clock<C>(mut self, clock: C) -> Self
    where
        C: acs_refresh::test_util::WallClock + Clone,
    {
        self.clock = Clock::custom(clock);
        self
    }

    /// The resource endpoint as given.
    pub fn resource_endpoint(&self) -> &str {
        &self.resource_endpoint
    }

    /// The scopes (the options' own copy).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The exchange route the scopes select.
    pub fn route(&self) -> ExchangeRoute {
        self.route
    }
}

impl fmt::Debug for EntraCommunicationTokenCredentialOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraCommunicationTokenCredentialOptions")
            .field("resource_endpoint", &self.resource_endpoint)
            // A credential's own Debug may show its secrets; never delegate to it.
            .field("entra_credential", &format_args!("<dyn TokenCredential>"))
            .field("scopes", &self.scopes)
            .field("route", &self.route)
            .field("refresh_proactively", &self.refresh_proactively)
            .field("refresher_timeout", &self.refresher_timeout())
            .finish_non_exhaustive()
    }
}
