use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use acs_auth::{AccessKey, HmacSigner, HmacVerifier};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::handlers::dispatch;
use crate::server::{self, Timeouts};
use crate::state::{Settings, Shared};
use crate::store::{self, Loaded, Store, WriteFailed};
use crate::{
    ChatLimits, Clock, EmulatorError, Fault, IdentityState, RequestRecord, Route, SystemClock,
    TokenStatus,
};

/// The resource location minted tokens carry unless told otherwise.
const DEFAULT_RESOURCE_LOCATION: &str = "unitedstates";

/// How many requests the request record keeps unless told otherwise.
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 1000;

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
    listen: IpAddr,
    port: u16,
    strict_auth: bool,
    request_log_capacity: usize,
    timeouts: Timeouts,
    access_key: Option<AccessKey>,
    resource_id: Option<String>,
    resource_location: String,
    clock: Arc<dyn Clock>,
    max_clock_skew: Duration,
    token_lifetime: Option<Duration>,
    allow_short_lifetimes: bool,
    exchange_lifetime: Duration,
    faults: Vec<Fault>,
    data_dir: Option<PathBuf>,
    chat_limits: ChatLimits,
    #[cfg(feature = "tls")]
    tls: bool,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            listen: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            strict_auth: false,
            request_log_capacity: DEFAULT_REQUEST_LOG_CAPACITY,
            timeouts: Timeouts {
                header_read: Duration::from_secs(10),
                body_read: Duration::from_secs(30),
                idle: Duration::from_secs(60),
                shutdown: Duration::from_secs(5),
            },
            access_key: None,
            resource_id: None,
            resource_location: DEFAULT_RESOURCE_LOCATION.to_owned(),
            clock: Arc::new(SystemClock),
            max_clock_skew: Duration::from_secs(15 * 60),
            token_lifetime: None,
            allow_short_lifetimes: false,
            exchange_lifetime: Duration::from_secs(60 * 60),
            faults: Vec::new(),
            data_dir: None,
            chat_limits: ChatLimits::default(),
            #[cfg(feature = "tls")]
            tls: false,
        }
    }
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("EmulatorBuilder");
        debug
            .field("listen", &self.listen)
            .field("port", &self.port)
            .field("strict_auth", &self.strict_auth)
            .field("request_log_capacity", &self.request_log_capacity)
            .field("timeouts", &self.timeouts);
        #[cfg(feature = "tls")]
        debug.field("tls", &self.tls);
        debug
            // `AccessKey`'s own `Debug` never prints the key.
            .field("access_key", &self.access_key)
            .field("resource_id", &self.resource_id)
            .field("resource_location", &self.resource_location)
            .field("clock", &self.clock)
            .field("max_clock_skew", &self.max_clock_skew)
            .field("token_lifetime", &self.token_lifetime)
            .field("allow_short_lifetimes", &self.allow_short_lifetimes)
            .field("exchange_lifetime", &self.exchange_lifetime)
            .field("faults", &self.faults)
            .field("data_dir", &self.data_dir)
            .field("chat_limits", &self.chat_limits)
            .finish()
    }
}

impl EmulatorBuilder {
    /// Listen on this port (default 0: a free port chosen by the system, so parallel tests
    /// never collide).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Listen on this address (default `127.0.0.1`). Anything but a loopback address makes the
    /// emulator, its access key's HMAC check and its unauthenticated control routes reachable
    /// from other machines; it also lifts the `Host` check of `/_emulator/*` (a container
    /// reached by its service name needs that). Only for a container or a trusted network.
    #[must_use]
    pub fn listen(mut self, address: IpAddr) -> Self {
        self.listen = address;
        self
    }

    /// Strict authentication (default off): identity routes take HMAC only (no bearer token),
    /// and the Entra exchange routes only a bearer token shaped like an Entra ID access token
    /// (a JWT with GUID `tid` and `oid` claims and an `exp`). Off by default because clients
    /// that authenticate to the identity API with an Entra token (as `TokenCredential` users
    /// of the official SDKs do) have no Entra ID to get one from here.
    #[must_use]
    pub fn strict_auth(mut self, strict: bool) -> Self {
        self.strict_auth = strict;
        self
    }

    /// How many requests [`RunningEmulator::requests`] keeps, the latest ones (default
    /// [`DEFAULT_REQUEST_LOG_CAPACITY`]; 0 keeps none).
    #[must_use]
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.request_log_capacity = capacity;
        self
    }

    /// How long a client may take to send a request's headers (default 10 s); a slower one
    /// is disconnected.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.header_read = timeout;
        self
    }

    /// How long a connection may sit without traffic while none of its requests is being
    /// answered (default 60 s); then it is closed.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.idle = timeout;
        self
    }

    /// How long [`RunningEmulator::shutdown`] (or a drop) lets requests in flight finish
    /// (default 5 s); connections still open then are dropped.
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.shutdown = timeout;
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

    /// Keep state in `dir` (created if needed), so it survives restarts: the access key, the
    /// resource ID and the token-signing key (tokens minted before a restart stay valid after
    /// it), every identity's deletion, revocations and count of tokens minted, and every chat
    /// thread with its participants, messages and read receipts, in an SQLite database
    /// (`acs-emulator.sqlite3`, WAL mode). Each change is committed before it is
    /// answered, so whatever a client saw acknowledged survives the process being killed.
    /// Without it (the default, as tests want) everything lives in memory.
    ///
    /// A kept resource ID must not be contradicted by [`resource_id`](Self::resource_id); a
    /// given [`access_key`](Self::access_key) replaces the kept one. One emulator at a time
    /// may use a directory.
    #[must_use]
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
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

    /// Binds the listening address and starts serving on the current tokio runtime.
    ///
    /// # Errors
    /// [`EmulatorError::InvalidSetting`] for a bad setting, [`EmulatorError::Bind`] when the
    /// port cannot be bound, [`EmulatorError::Tls`] when the TLS mode cannot be set up,
    /// [`EmulatorError::DataDir`] or [`EmulatorError::NewerDataVersion`] when the data
    /// directory cannot be used.
    pub async fn start(self) -> Result<RunningEmulator, EmulatorError> {
        let address = SocketAddr::from((self.listen, self.port));
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| EmulatorError::Bind { address, source })?;
        self.serve(listener, &tokio::runtime::Handle::current())
    }

    /// Binds the listening address and starts serving on `runtime`, from synchronous code (a test that
    /// drives a blocking client, or a program that owns its runtime).
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn start_on(
        self,
        runtime: &tokio::runtime::Handle,
    ) -> Result<RunningEmulator, EmulatorError> {
        let address = SocketAddr::from((self.listen, self.port));
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
        if self.timeouts.header_read.is_zero() || self.timeouts.idle.is_zero() {
            return Err(EmulatorError::InvalidSetting {
                reason: "header_read_timeout and idle_timeout must be positive",
            });
        }
        if let Some(id) = &self.resource_id
            && (id.is_empty() || id.contains(['_', ':', '/']))
        {
            return Err(EmulatorError::InvalidSetting {
                reason: "resource_id must be non-empty and free of `_`, `:` and `/`",
            });
        }
        let (store, loaded) = match &self.data_dir {
            Some(dir) => {
                let (store, loaded) = Store::open(dir)?;
                (Some(store), loaded)
            }
            None => (None, Loaded::default()),
        };
        // What the data directory keeps wins over a random default; a resource ID given that
        // differs from the kept one would orphan every kept identity.
        let resource_id = match (self.resource_id, loaded.resource_id) {
            (Some(given), Some(kept)) if given != kept => {
                return Err(EmulatorError::InvalidSetting {
                    reason: "resource_id differs from the one kept in the data directory",
                });
            }
            (Some(id), _) | (None, Some(id)) => id,
            (None, None) => uuid::Uuid::new_v4().hyphenated().to_string(),
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
        // A given access key replaces a kept one (rotating the key is what a user may want).
        let access_key = match self.access_key {
            Some(key) => key,
            None => AccessKey::from_bytes(match loaded.access_key {
                Some(kept) => kept,
                None => random_bytes(64)?,
            }),
        };
        let token_secret = match loaded.token_secret {
            Some(kept) => kept,
            None => random_bytes(32)?,
        };
        if let Some(store) = &store {
            for (key, value) in [
                (store::RESOURCE_ID, resource_id.as_bytes()),
                (store::ACCESS_KEY, access_key.expose_secret()),
                (store::TOKEN_SECRET, &token_secret),
            ] {
                store
                    .put_meta(key, value)
                    .map_err(|WriteFailed| EmulatorError::DataDir {
                        path: store.file().to_owned(),
                        source: "cannot write to the database".into(),
                    })?;
            }
        }
        let verifier = HmacVerifier::new(&access_key).with_max_clock_skew(max_clock_skew);
        #[cfg(feature = "tls")]
        let tls = self.tls;
        #[cfg(not(feature = "tls"))]
        let tls = false;
        let chat = crate::chat::ChatStore::restore(self.chat_limits, tls, &loaded.chat_threads)
            .map_err(|error| EmulatorError::DataDir {
                path: self.data_dir.clone().unwrap_or_default(),
                source: format!("a kept chat thread cannot be read: {error}").into(),
            })?;
        let shared = Arc::new(Shared::new(
            Settings {
                resource_id,
                resource_location: self.resource_location,
                token_lifetime_override: token_lifetime,
                allow_short_lifetimes: self.allow_short_lifetimes,
                default_identity_lifetime: time::Duration::minutes(1440),
                exchange_lifetime,
                strict_auth: self.strict_auth,
                open_listen: !self.listen.is_loopback(),
                request_log_capacity: self.request_log_capacity,
            },
            verifier,
            self.clock,
            chat,
            token_secret,
            store,
            loaded.identities,
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
            spawn_server(listener, router, stopped, self.timeouts, runtime)
        } else {
            certificate_pem = None;
            spawn_server(listener, router, stopped, self.timeouts, runtime)
        };
        #[cfg(not(feature = "tls"))]
        let task = {
            certificate_pem = None;
            spawn_server(listener, router, stopped, self.timeouts, runtime)
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
    timeouts: Timeouts,
    runtime: &tokio::runtime::Handle,
) -> JoinHandle<()>
where
    L: axum::serve::Listener,
    L::Io: Unpin,
{
    runtime.spawn(server::serve(listener, router, stopped, timeouts))
}

/// A started emulator. Dropping it stops the server (gracefully: requests in flight may finish
/// within the [shutdown timeout](EmulatorBuilder::shutdown_timeout)).
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
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The base URL, `http://127.0.0.1:<port>/` (`https://` in TLS mode; the listening
    /// address when it is not 127.0.0.1).
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

    /// The database file its state is kept in (see [`EmulatorBuilder::data_dir`]), or `None`
    /// when it keeps state in memory.
    pub fn data_file(&self) -> Option<&Path> {
        self.shared.data_file()
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

    /// How many tokens were minted for `identity_id` (a raw ID such as `8:acs:...`). Tokens of
    /// identities derived from an Entra exchange are not counted: those identities cost no
    /// memory until they are revoked or deleted.
    pub fn tokens_issued(&self, identity_id: &str) -> usize {
        self.shared.tokens_issued(identity_id)
    }

    /// The raw IDs of every identity stored, including deleted ones, sorted: the created ones,
    /// and those derived from an Entra exchange once revoked or deleted. A derived identity
    /// that was never changed is live (see [`identity_state`](Self::identity_state)) without
    /// being stored, so that distinct bearer tokens on the exchange routes cost no memory.
    pub fn identities(&self) -> Vec<String> {
        self.shared.identity_ids()
    }

    /// Whether `identity_id` exists, was deleted, or (`None`) was never known here. Every ID an
    /// Entra exchange on this resource gives exists until deleted, whether or not it was
    /// exchanged yet.
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

    /// Stops the server and waits until it has stopped: it stops accepting connections, lets
    /// requests in flight finish within the [shutdown timeout](EmulatorBuilder::shutdown_timeout),
    /// then drops the connections still open.
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

/// `len` bytes from the operating system's random source, for keys.
fn random_bytes(len: usize) -> Result<Vec<u8>, EmulatorError> {
    let mut bytes = vec![0; len];
    getrandom::fill(&mut bytes).map_err(|error| EmulatorError::Random {
        source: std::io::Error::other(error),
    })?;
    Ok(bytes)
}
