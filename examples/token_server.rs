//! A token server: the part of your app that holds the ACS connection string.
//!
//! `POST /acs-token` looks up the caller's ACS identity, creating it on their first visit, and
//! answers a `chat`+`voip` token for it as `{"token": "<JWT>", "expiresOn": "<RFC 3339>"}`:
//! `AccessToken`'s serde form, the identity API's own shape. `examples/token_client.rs` is the
//! client that calls it.
//!
//! By default it starts a local ACS emulator in this process (6-second tokens, so a client's
//! proactive refreshes come quickly). With `COMMUNICATION_SERVICES_CONNECTION_STRING` set, it
//! uses that ACS resource instead.
//!
//! ```sh
//! cargo run --example token_server [-- --port 8080] [--token-lifetime-secs 6]
//! ```

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use acs_common::identifiers::CommunicationUserIdentifier;
use acs_common::identity::{CommunicationIdentityClient, CommunicationTokenScope};
use acs_common::token::{AccessToken, BoxError};
use acs_emulator::{Emulator, RunningEmulator};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, oneshot};
use tokio::task::JoinHandle;

/// The header that names the caller. It stands in for your app's own sign-in: a real server
/// takes the user from its session or a verified bearer token, never from a name the client
/// sends.
pub(crate) const USER_HEADER: &str = "x-app-user";

/// How the server runs; tests use port 0 and shorter tokens.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    /// The port on 127.0.0.1 (0: any free port).
    pub(crate) port: u16,
    /// How long the in-process emulator's tokens live.
    pub(crate) token_lifetime: Duration,
    /// An ACS resource to use instead of the emulator.
    pub(crate) connection_string: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            port: 8080,
            token_lifetime: Duration::from_secs(6),
            connection_string: None,
        }
    }
}

/// What the handler needs: the identity client, and which ACS identity each app user has.
#[derive(Debug)]
struct AppState {
    identity: CommunicationIdentityClient,
    // In production this mapping lives in your user database. A tokio mutex, held while a new
    // identity is created, so two first requests of one user cannot create two identities.
    users: Mutex<HashMap<String, CommunicationUserIdentifier>>,
}

/// `POST /acs-token`: the caller's identity (created on first use) and a fresh token for it.
async fn issue_token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<AccessToken>, (StatusCode, String)> {
    let app_user = headers
        .get(USER_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|name| !name.is_empty())
        .ok_or((
            StatusCode::UNAUTHORIZED,
            format!("sign in first: send your user name in the `{USER_HEADER}` header"),
        ))?
        .to_owned();

    let user = {
        let mut users = state.users.lock().await;
        match users.get(&app_user) {
            Some(user) => user.clone(),
            None => {
                let user = state.identity.create_user().await.map_err(upstream)?;
                users.insert(app_user, user.clone());
                user
            }
        }
    };
    let scopes = [CommunicationTokenScope::Chat, CommunicationTokenScope::VoIp];
    let token = state
        .identity
        .get_token(&user, scopes, None)
        .await
        .map_err(upstream)?;
    Ok(Json(token))
}

/// An identity service failure, as the client sees it: a 502 with the error's text (which
/// never contains a key or token), logged here too.
fn upstream(error: acs_common::identity::IdentityError) -> (StatusCode, String) {
    eprintln!("token server: the identity service failed: {error}");
    (
        StatusCode::BAD_GATEWAY,
        format!("the identity service failed: {error}"),
    )
}

/// The token server's routes, over an identity client.
pub(crate) fn router(identity: CommunicationIdentityClient) -> Router {
    let state = Arc::new(AppState {
        identity,
        users: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route("/acs-token", post(issue_token))
        .with_state(state)
}

/// A running token server.
#[derive(Debug)]
pub(crate) struct TokenServer {
    addr: SocketAddr,
    emulator: Option<RunningEmulator>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TokenServer {
    /// Starts the identity service (an in-process emulator, unless a connection string is
    /// given) and the HTTP server on 127.0.0.1.
    pub(crate) async fn start(config: ServerConfig) -> Result<TokenServer, BoxError> {
        let (connection_string, emulator) = match config.connection_string {
            Some(connection_string) => (connection_string, None),
            None => {
                let emulator = Emulator::builder()
                    .token_lifetime(config.token_lifetime)
                    .start()
                    .await?;
                (emulator.connection_string(), Some(emulator))
            }
        };
        let identity = CommunicationIdentityClient::from_connection_string(&connection_string)?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
            .await
            .map_err(|error| {
                format!(
                    "cannot listen on 127.0.0.1:{}: {error} (choose another port with --port N, \
                     and give the client --url http://127.0.0.1:N/acs-token)",
                    config.port
                )
            })?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router(identity))
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(TokenServer {
            addr,
            emulator,
            stop: Some(stop),
            task,
        })
    }

    /// The token endpoint's URL.
    pub(crate) fn url(&self) -> String {
        format!("http://{}/acs-token", self.addr)
    }

    /// The in-process emulator, if the server runs on one.
    pub(crate) fn emulator(&self) -> Option<&RunningEmulator> {
        self.emulator.as_ref()
    }

    /// Stops accepting requests, finishes those in flight, and stops the emulator.
    pub(crate) async fn shutdown(mut self) -> Result<(), BoxError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await??;
        if let Some(emulator) = self.emulator.take() {
            emulator.shutdown().await;
        }
        Ok(())
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<ServerConfig, String> {
    let mut config = ServerConfig {
        connection_string: std::env::var("COMMUNICATION_SERVICES_CONNECTION_STRING").ok(),
        ..ServerConfig::default()
    };
    while let Some(flag) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|value| value.parse().ok())
                .ok_or(format!("{name} takes a whole number"))
        };
        match flag.as_str() {
            "--port" => {
                config.port = u16::try_from(number("--port")?)
                    .map_err(|_| "--port takes a port number (0 to 65535)".to_owned())?;
            }
            "--token-lifetime-secs" => {
                let seconds = number("--token-lifetime-secs")?;
                if seconds == 0 {
                    return Err("--token-lifetime-secs must be at least 1".to_owned());
                }
                config.token_lifetime = Duration::from_secs(seconds);
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: token_server [--port N] [--token-lifetime-secs N]"
                ));
            }
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    match serve(std::env::args().skip(1)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("token server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Serves until Ctrl-C.
async fn serve(args: impl Iterator<Item = String>) -> Result<(), BoxError> {
    let config = parse_args(args)?;
    let server = TokenServer::start(config.clone()).await?;
    match server.emulator() {
        Some(emulator) => println!(
            "token server: identities and tokens from a local ACS emulator at {} (tokens live {} s)",
            emulator.endpoint(),
            config.token_lifetime.as_secs()
        ),
        None => println!(
            "token server: identities and tokens from the ACS resource of COMMUNICATION_SERVICES_CONNECTION_STRING"
        ),
    }
    println!(
        "token server: POST {} with header `{USER_HEADER}: <name>` answers {{\"token\", \"expiresOn\"}}",
        server.url()
    );
    println!("token server: now run `cargo run --example token_client`; Ctrl-C stops this server");
    tokio::signal::ctrl_c().await?;
    server.shutdown().await
}
