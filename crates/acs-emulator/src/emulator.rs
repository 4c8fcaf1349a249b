use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use acs_auth::{AccessKey, HmacSigner, HmacVerifier};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::handlers::dispatch;
use crate::state::{Settings, Shared};
use crate::{
    ChatLimits, Clock, EmulatorError, Fault, IdentityState, RequestRecord, Route, SystemClock,
    TokenStatus,
};

/// The resource location minted tokens carry unless told otherwise.
const DEFAULT_RESOURCE_LOCATION: &str = "unitedstates";

/// The local ACS service. Start one with [`Emulator::start`] (all defaults) or configure it with
/// [`Emulator::builder`].
#[derive(Debug, Clone, Copy)]
pub struct Emulator;

impl Emulator {
    /// A builder with the defaults: a free port on 127.0.0.1, a random access key and resource
    /// ID, the system clock, the service's token lifetimes and no faults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Starts an emulator with the defaults on the current tokio runtime.
    ///
    /// # Errors
    /// [`EmulatorError::Bind`] when no port can be bound.
    pub async fn start() -> Result<RunningEmulator, EmulatorError> {
        Self::builder().start().await
    }
}

/// Options for an [`Emulator`]. Its `Debug` does not show the access key.
pub struct EmulatorBuilder {
    port: u16,
    access_key: Option<AccessKey>,
    resource_id: Option<String>,
    resource_location: String,
    clock: Arc<dyn Clock>,
    max_clock_skew: Duration,
    token_lifetime: Option<Duration>,
    allow_short_lifetimes: bool,
    exchange_lifetime: Duration,
    faults: Vec<Fault>,
    chat_limits: ChatLimits,
    #[cfg(feature = "tls")]
    tls: bool,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            access_key: None,
            resource_id: None,
            resource_location: DEFAULT_RESOURCE_LOCATION.to_owned(),
            clock: Arc::new(SystemClock),
            max_clock_skew: Duration::from_secs(15 * 60),
            token_lifetime: None,
            allow_short_lifetimes: false,
            exchange_lifetime: Duration::from_secs(60 * 60),
            faults: Vec::new(),
            chat_limits: ChatLimits::default(),
            #[cfg(feature = "tls")]
            tls: false,
        }
    }
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("EmulatorBuilder");
        debug.field("port", &self.port);
        #[cfg(feature = "tls")]
        debug.field("tls", &self.tls);
        debug
            .field(
                "access_key",
                &self.access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("resource_id", &self.resource_id)
            .field("resource_location", &self.resource_location)
            .field("clock", &self.clock)
            .field("max_clock_skew", &self.max_clock_skew)
            .field("token_lifetime", &self.token_lifetime)
            .field("allow_short_lifetimes", &self.allow_short_lifetimes)
            .field("exchange_lifetime", &self.exchange_lifetime)
            .field("faults", &self.faults)
            .field("chat_limits", &self.chat_limits)
            .finish()
    }
}

impl EmulatorBuilder {
    /// Listen on this port of 127.0.0.1 (default 0: a free port chosen by the system, so
    /// parallel tests never collide).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Verify HMAC-signed requests with this key (default: 64 random bytes per instance).
    #[must_use]
    pub fn access_key(mut self, key: AccessKey) -> Self {
        self.access_key = Some(key);
        self
    }

    /// The resource ID in identities (`8:acs:<resource id>_<user>`) and token claims (default: a
    /// random UUID per instance). It must be non-empty and free of `_`, `:` and `/`.
    #[must_use]
    pub fn resource_id(mut self, resource_id: impl Into<String>) -> Self {
        self.resource_id = Some(resource_id.into());
        self
    }

    /// The `resourceLocation` claim of minted tokens (default `unitedstates`).
    #[must_use]
    pub fn resource_location(mut self, location: impl Into<String>) -> Self {
        self.resource_location = location.into();
        self
    }

    /// The wall clock used for token times and for checking `x-ms-date` (default
    /// [`SystemClock`]); pass a [`ManualClock`](crate::ManualClock) in tests.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How far a signed request's date may be from the clock (default 15 minutes, as the service).
    #[must_use]
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// Test mode: every token minted lives exactly `lifetime`, whatever `expiresInMinutes` the
    /// request asked for. Lifetimes far below the service's 60-minute minimum (seconds) are
    /// allowed, so demos show refreshes quickly.
    #[must_use]
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = Some(lifetime);
        self
    }

    /// Test mode: accept `expiresInMinutes` from 1 instead of 60 (the maximum stays 1440).
    #[must_use]
    pub fn allow_short_lifetimes(mut self, allow: bool) -> Self {
        self.allow_short_lifetimes = allow;
        self
    }

    /// Lifetime of tokens from the exchange routes (default 60 minutes); overridden by
    /// [`token_lifetime`](Self::token_lifetime).
    #[must_use]
    pub fn exchange_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.exchange_lifetime = lifetime;
        self
    }

    /// Serve HTTPS instead of plain HTTP (default `false`), with a self-signed certificate for
    /// `127.0.0.1` and `localhost` generated at start, for clients that insist on `https://`.
    /// [`RunningEmulator::endpoint`] then starts with `https://`, and
    /// [`RunningEmulator::certificate_pem`] is the certificate for the client to trust.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(mut self, enabled: bool) -> Self {
        self.tls = enabled;
        self
    }

    /// How much the Chat service stores and how large a request or page may be (default
    /// [`ChatLimits::default`]).
    #[must_use]
    pub fn chat_limits(mut self, limits: ChatLimits) -> Self {
        self.chat_limits = limits;
        self
    }

    /// Queues a fault from the start (see [`RunningEmulator::inject`]).
    #[must_use]
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Binds 127.0.0.1 and starts serving on the current tokio runtime.
    ///
    /// # Errors
    /// [`EmulatorError::InvalidSetting`] for a bad setting, [`EmulatorError::Bind`] when the
    /// port cannot be bound, [`EmulatorError::Tls`] when the TLS mode cannot be set up.
    pub async fn start(self) -> Result<RunningEmulator, EmulatorError> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| EmulatorError::Bind { address, source })?;
        self.serve(listener, &tokio::runtime::Handle::current())
    }

    /// Binds 127.0.0.1 and starts serving on `runtime`, from synchronous code (a test that
    /// drives a blocking client, or a program that owns its runtime).
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn start_on(
        self,
        runtime: &tokio::runtime::Handle,
    ) -> Result<RunningEmulator, EmulatorError> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let listener = std::net::TcpListener::bind(address)
            .map_err(|source| EmulatorError::Bind { address, source })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| EmulatorError::Socket { source })?;
        let _entered = runtime.enter();
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|source| EmulatorError::Socket { source })?;
        self.serve(listener, runtime)
    }

    fn serve(
        self,
        listener: tokio::net::TcpListener,
        runtime: &tokio::runtime::Handle,
    ) -> Result<RunningEmulator, EmulatorError> {
        let resource_id = match self.resource_id {
            Some(id) => {
                if id.is_empty() || id.contains(['_', ':', '/']) {
                    return Err(EmulatorError::InvalidSetting {
                        reason: "resource_id must be non-empty and free of `_`, `:` and `/`",
                    });
                }
                id
            }
            None => uuid::Uuid::new_v4().hyphenated().to_string(),
        };
        let lifetime = |duration: Duration, what| {
            time::Duration::try_from(duration)
                .ok()
                .filter(|lifetime| lifetime.is_positive())
                .ok_or(EmulatorError::InvalidSetting { reason: what })
        };
        let token_lifetime = self
            .token_lifetime
            .map(|value| lifetime(value, "token_lifetime must be positive"))
            .transpose()?;
        let exchange_lifetime = lifetime(
            self.exchange_lifetime,
            "exchange_token_lifetime must be positive",
        )?;
        let max_clock_skew = time::Duration::try_from(self.max_clock_skew).map_err(|_| {
            EmulatorError::InvalidSetting {
                reason: "max_clock_skew is too large",
            }
        })?;
        let access_key = self
            .access_key
            .unwrap_or_else(|| AccessKey::from_bytes(rand::random::<[u8; 64]>().to_vec()));
        let verifier = HmacVerifier::new(&access_key).with_max_clock_skew(max_clock_skew);
        #[cfg(feature = "tls")]
        let tls = self.tls;
        #[cfg(not(feature = "tls"))]
        let tls = false;
        let shared = Arc::new(Shared::new(
            Settings {
                resource_id,
                resource_location: self.resource_location,
                token_lifetime_override: token_lifetime,
                allow_short_lifetimes: self.allow_short_lifetimes,
                default_identity_lifetime: time::Duration::minutes(1440),
                exchange_lifetime,
            },
            verifier,
            self.clock,
            crate::chat::ChatStore::new(self.chat_limits, tls),
        ));
        for fault in self.faults {
            shared.push_fault(fault);
        }

        let address = listener
            .local_addr()
            .map_err(|source| EmulatorError::Socket { source })?;
        let router = axum::Router::new()
            .fallback(dispatch)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        // In TLS mode, the certificate clients are to trust.
        let certificate_pem: Option<String>;
        #[cfg(feature = "tls")]
        let task = if self.tls {
            let certificate = crate::tls::SelfSigned::generate()?;
            certificate_pem = Some(certificate.certificate_pem);
            let listener = crate::tls::TlsListener::new(listener, certificate.acceptor);
            spawn_server(listener, router, stopped, runtime)
        } else {
            certificate_pem = None;
            spawn_server(listener, router, stopped, runtime)
        };
        #[cfg(not(feature = "tls"))]
        let task = {
            certificate_pem = None;
            spawn_server(listener, router, stopped, runtime)
        };
        let scheme = if certificate_pem.is_some() {
            "https"
        } else {
            "http"
        };
        tracing::debug!(%address, scheme, "acs-emulator listening");
        Ok(RunningEmulator {
            endpoint: format!("{scheme}://{address}/"),
            #[cfg(feature = "tls")]
            certificate_pem,
            address,
            access_key,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// Serves `router` on `listener` (plain TCP or TLS) until `stopped` fires or its sender drops.
fn spawn_server<L>(
    listener: L,
    router: axum::Router,
    stopped: oneshot::Receiver<()>,
    runtime: &tokio::runtime::Handle,
) -> JoinHandle<()>
where
    L: axum::serve::Listener,
    L::Addr: fmt::Debug,
{
    runtime.spawn(async move {
        let server = axum::serve(listener, router).with_graceful_shutdown(async move {
            // A dropped sender also means stop.
            let _ = stopped.await;
        });
        if let Err(error) = server.await {
            tracing::warn!(%error, "acs-emulator stopped with an I/O error");
        }
    })
}

/// A started emulator. Dropping it stops the server (gracefully: requests in flight finish).
///
/// Its `Debug` shows the endpoint and resource ID, never the access key.
pub struct RunningEmulator {
    endpoint: String,
    #[cfg(feature = "tls")]
    certificate_pem: Option<String>,
    address: SocketAddr,
    access_key: AccessKey,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("endpoint", &self.endpoint)
            .field("resource_id", &self.shared.settings.resource_id)
            .field("access_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The base URL, `http://127.0.0.1:<port>/` (`https://` in TLS mode).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// In TLS mode, the emulator's self-signed certificate (PEM, valid for `127.0.0.1` and
    /// `localhost`), for a client to trust instead of turning certificate checks off; `None`
    /// when serving plain HTTP. It is public: no secret is in it.
    #[cfg(feature = "tls")]
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate_pem.as_deref()
    }

    /// The socket address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// A connection string for it: `endpoint=http://127.0.0.1:<port>/;accesskey=<base64 key>`
    /// (`https://` in TLS mode).
    ///
    /// It contains the access key: hand it to the client under test, never to a log.
    pub fn connection_string(&self) -> String {
        format!(
            "endpoint={};accesskey={}",
            self.endpoint,
            STANDARD.encode(self.access_key.expose_secret())
        )
    }

    /// The access key it verifies HMAC signatures with.
    pub fn access_key(&self) -> &AccessKey {
        &self.access_key
    }

    /// A signer for requests to it (the same as a client would build from the connection string).
    pub fn signer(&self) -> HmacSigner {
        HmacSigner::new(&self.access_key)
    }

    /// The resource ID in its identities and tokens.
    pub fn resource_id(&self) -> &str {
        &self.shared.settings.resource_id
    }

    /// Queues a fault for the next matching requests. Faults are used in the order queued; each
    /// request takes one use of the first fault that applies to its route.
    pub fn inject(&self, fault: Fault) {
        self.shared.push_fault(fault);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// How many faults still have uses left.
    pub fn pending_faults(&self) -> usize {
        self.shared.pending_faults()
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests()
    }

    /// How many requests on `route` were answered so far (any status).
    pub fn request_count(&self, route: Route) -> usize {
        self.shared
            .requests()
            .iter()
            .filter(|record| record.route == Some(route))
            .count()
    }

    /// How many tokens were minted for `identity_id` (a raw ID such as `8:acs:...`).
    pub fn tokens_issued(&self, identity_id: &str) -> usize {
        self.shared.tokens_issued(identity_id)
    }

    /// The raw IDs of every identity known (created, or met through an Entra exchange),
    /// including deleted ones, sorted.
    pub fn identities(&self) -> Vec<String> {
        self.shared.identity_ids()
    }

    /// Whether `identity_id` exists, was deleted, or (`None`) was never known here.
    pub fn identity_state(&self, identity_id: &str) -> Option<IdentityState> {
        self.shared.identity_state(identity_id)
    }

    /// What the emulator knows of `token` on its clock: valid, expired, revoked, of a deleted
    /// identity, or not minted here.
    pub fn token_status(&self, token: &str) -> TokenStatus {
        self.shared.token_status(token)
    }

    /// Whether `token` was minted here and is still [`TokenStatus::Valid`].
    pub fn is_token_valid(&self, token: &str) -> bool {
        self.token_status(token) == TokenStatus::Valid
    }

    /// Stops the server and waits until it has stopped (requests in flight finish first).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
