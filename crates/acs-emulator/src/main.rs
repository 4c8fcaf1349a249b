//! `acs-emulator`: runs the local ACS (Identity and Chat) until Ctrl-C.
//!
//! ```text
//! cargo run -p acs-emulator -- [--port N] [--listen ADDR] [--data-dir PATH] [--strict-auth]
//!                              [--token-lifetime-secs N] [--allow-short-lifetimes]
//!                              [--access-key BASE64] [--resource-id ID] [...]
//! cargo run -p acs-emulator --features tls -- --tls [--cert-out PATH] [...]
//! ```

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use acs_auth::AccessKey;
use acs_emulator::{Emulator, RunningEmulator};

const USAGE: &str = "\
Usage: acs-emulator [OPTIONS]

Runs a local Azure Communication Services emulator (on 127.0.0.1 unless told otherwise) until
Ctrl-C, and prints a connection string for it. Emulated: Identity (with the Entra ID token
exchanges) and Chat (bearer tokens it issued; the official chat SDKs need --tls). Not emulated:
SMS, Calling, Rooms, Phone Numbers, Email, Advanced Messaging, Job Router (their routes get a
404 naming the service).

Options (each also read from the environment variable named after it; a flag wins):
  --port N                  listen on port N (default: a free port)        ACS_EMULATOR_PORT
  --listen ADDR             listen on this IP address (default 127.0.0.1; ACS_EMULATOR_LISTEN
                            anything else is reachable from other machines: only in a
                            container or on a trusted network)
  --data-dir PATH           keep identities, revocations, chat threads,    ACS_EMULATOR_DATA_DIR
                            the access key, resource ID and token-signing
                            key in PATH (SQLite), so they survive restarts
                            (default: in memory, lost on exit)
  --token-lifetime-secs N   every minted token lives N seconds (test mode; ACS_EMULATOR_TOKEN_LIFETIME_SECS
                            below the service's 60-minute minimum is allowed)
  --allow-short-lifetimes   accept expiresInMinutes from 1 instead of 60   ACS_EMULATOR_ALLOW_SHORT_LIFETIMES
  --access-key BASE64       verify HMAC with this key (default: a random   ACS_EMULATOR_ACCESS_KEY
                            key, or the one kept in --data-dir)
  --resource-id ID          resource ID in identities and tokens (default: ACS_EMULATOR_RESOURCE_ID
                            a random UUID, or the one kept in --data-dir)
  --strict-auth             identity routes take HMAC only, and the Entra  ACS_EMULATOR_STRICT_AUTH
                            routes only Entra-shaped tokens (default: any
                            bearer token is taken, unverified)
  --request-log N           keep the latest N requests for inspection      ACS_EMULATOR_REQUEST_LOG
                            (default 1000)
  --shutdown-timeout-secs N on Ctrl-C or SIGTERM, let requests in flight  ACS_EMULATOR_SHUTDOWN_TIMEOUT_SECS
                            finish for up to N seconds (default 5); a
                            second Ctrl-C exits at once
  --tls                     serve https with a self-signed certificate for ACS_EMULATOR_TLS
                            127.0.0.1 and localhost, generated at start
                            (needs the `tls` feature)
  --cert-out PATH           with --tls: write that certificate (PEM) to    ACS_EMULATOR_CERT_OUT
                            PATH for clients to trust; without it the PEM
                            is printed
  -h, --help                print this help
Switches read from the environment take 1/true/yes or 0/false/no.

Fault injection (from this machine; JSON with the x-acs-emulator-control header):
  curl -H 'content-type: application/json' -H 'x-acs-emulator-control: 1' \\
       -d '{\"status\":503,\"retryAfterSeconds\":0,\"times\":2,\"route\":\"issueAccessToken\"}' \\
       http://127.0.0.1:PORT/_emulator/faults
and DELETE /_emulator/faults to clear them. GET /_emulator/health says whether it is ready.
Without --strict-auth, bearer tokens on identity routes and on the Entra exchange routes are
accepted without verification: the emulator has no Entra ID to check them with.";

/// Every option: its flag, its environment variable, and whether it takes a value.
const OPTIONS: &[(&str, &str, bool)] = &[
    ("--port", "ACS_EMULATOR_PORT", true),
    ("--listen", "ACS_EMULATOR_LISTEN", true),
    ("--data-dir", "ACS_EMULATOR_DATA_DIR", true),
    (
        "--token-lifetime-secs",
        "ACS_EMULATOR_TOKEN_LIFETIME_SECS",
        true,
    ),
    (
        "--allow-short-lifetimes",
        "ACS_EMULATOR_ALLOW_SHORT_LIFETIMES",
        false,
    ),
    ("--access-key", "ACS_EMULATOR_ACCESS_KEY", true),
    ("--resource-id", "ACS_EMULATOR_RESOURCE_ID", true),
    ("--strict-auth", "ACS_EMULATOR_STRICT_AUTH", false),
    ("--request-log", "ACS_EMULATOR_REQUEST_LOG", true),
    (
        "--shutdown-timeout-secs",
        "ACS_EMULATOR_SHUTDOWN_TIMEOUT_SECS",
        true,
    ),
    ("--tls", "ACS_EMULATOR_TLS", false),
    ("--cert-out", "ACS_EMULATOR_CERT_OUT", true),
];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("acs-emulator: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// One option as given: its flag, where it came from (for error messages), and its value
/// (`None` for a switch that is on).
struct Given {
    flag: &'static str,
    source: String,
    value: Option<String>,
}

/// The options from the environment first, then from the arguments, so a flag wins.
fn gather() -> Result<Option<Vec<Given>>, String> {
    let mut given = Vec::new();
    for &(flag, variable, takes_value) in OPTIONS {
        let Some(value) = std::env::var_os(variable) else {
            continue;
        };
        let value = value
            .into_string()
            .map_err(|_| format!("{variable} is not valid UTF-8"))?;
        if takes_value {
            if !value.is_empty() {
                given.push(Given {
                    flag,
                    source: variable.to_owned(),
                    value: Some(value),
                });
            }
        } else {
            match value.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => given.push(Given {
                    flag,
                    source: variable.to_owned(),
                    value: None,
                }),
                "" | "0" | "false" | "no" => {}
                _ => return Err(format!("{variable} takes 1/true/yes or 0/false/no")),
            }
        }
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let Some(&(flag, _, takes_value)) = OPTIONS.iter().find(|(flag, ..)| *flag == arg) else {
            return Err(format!("unknown argument `{arg}`"));
        };
        let value = if takes_value {
            Some(args.next().ok_or_else(|| format!("{flag} needs a value"))?)
        } else {
            None
        };
        given.push(Given {
            flag,
            source: flag.to_owned(),
            value,
        });
    }
    Ok(Some(given))
}

fn run() -> Result<(), String> {
    let Some(given) = gather()? else {
        println!("{USAGE}");
        return Ok(());
    };
    let mut builder = Emulator::builder();
    let mut tls = false;
    let mut cert_out: Option<PathBuf> = None;
    let mut data_dir: Option<PathBuf> = None;
    let mut listen = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut shutdown_timeout = Duration::from_secs(5);
    for Given {
        flag,
        source,
        value,
    } in given
    {
        let value = value.unwrap_or_default();
        let number = |what: &str| -> Result<u64, String> {
            value.parse().map_err(|_| format!("{source} takes {what}"))
        };
        match flag {
            "--port" => {
                let port = u16::try_from(number("0..=65535")?)
                    .map_err(|_| format!("{source} takes 0..=65535"))?;
                builder = builder.port(port);
            }
            "--listen" => {
                listen = value
                    .parse()
                    .map_err(|_| format!("{source} takes an IP address such as 127.0.0.1"))?;
                builder = builder.listen(listen);
            }
            "--data-dir" => data_dir = Some(PathBuf::from(value)),
            "--token-lifetime-secs" => {
                let seconds = number("a positive whole number")?;
                builder = builder.token_lifetime(Duration::from_secs(seconds));
            }
            "--allow-short-lifetimes" => builder = builder.allow_short_lifetimes(true),
            "--access-key" => {
                let key: AccessKey = value
                    .parse()
                    .map_err(|error| format!("{source}: {error}"))?;
                builder = builder.access_key(key);
            }
            "--resource-id" => builder = builder.resource_id(value),
            "--strict-auth" => builder = builder.strict_auth(true),
            "--request-log" => {
                let capacity = usize::try_from(number("a whole number")?)
                    .map_err(|_| format!("{source} is too large"))?;
                builder = builder.request_log_capacity(capacity);
            }
            "--shutdown-timeout-secs" => {
                shutdown_timeout = Duration::from_secs(number("a whole number of seconds")?);
                builder = builder.shutdown_timeout(shutdown_timeout);
            }
            "--tls" => tls = true,
            "--cert-out" => cert_out = Some(PathBuf::from(value)),
            _ => unreachable!("every option in OPTIONS is handled"),
        }
    }

    if cert_out.is_some() && !tls {
        return Err("--cert-out needs --tls".to_owned());
    }
    if tls {
        builder = with_tls(builder)?;
    }
    if let Some(path) = &data_dir {
        builder = builder.data_dir(path);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?;
    runtime.block_on(async {
        let emulator = builder.start().await.map_err(|error| {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            message
        })?;
        // Listening for Ctrl-C (and, on Unix, SIGTERM, as `docker stop` sends) starts before
        // the banner: whoever reads the connection string may signal at once.
        let mut stop_signals = StopSignals::new()?;
        if !listen.is_loopback() {
            eprintln!(
                "acs-emulator: WARNING: listening on {listen}, not on the loopback interface: \
                 other machines can reach it, its control routes included. Use this only in a \
                 container or on a trusted network."
            );
        }
        println!("ACS emulator listening on {}", emulator.endpoint());
        println!("resource ID: {}", emulator.resource_id());
        match emulator.data_file() {
            Some(file) => println!("data: {} (kept across restarts)", file.display()),
            None => println!("data: in memory (lost on exit; --data-dir PATH keeps it)"),
        }
        // Before the connection string: whoever waits for that line finds the file written.
        announce_certificate(&emulator, cert_out.as_deref())?;
        println!();
        println!("Connection string (contains the emulator's access key):");
        println!("{}", emulator.connection_string());
        println!();
        println!("Press Ctrl-C to stop.");
        stop_signals.next().await;
        println!(
            "stopping (requests in flight get up to {} s; Ctrl-C again to exit at once)",
            shutdown_timeout.as_secs()
        );
        tokio::select! {
            () = emulator.shutdown() => {}
            () = stop_signals.next() => {
                println!("stopped at once");
                // Every acknowledged write is already in the data directory.
                std::process::exit(130);
            }
        }
        println!("stopped");
        Ok(())
    })
}

/// Ctrl-C, and on Unix also SIGTERM: the first stops gracefully, a second exits at once.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Starts listening (on Unix, the handlers are in place when this returns).
    fn new() -> Result<Self, String> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen =
                |kind| signal(kind).map_err(|error| format!("cannot listen for signals: {error}"));
            Ok(Self {
                interrupt: listen(SignalKind::interrupt())?,
                terminate: listen(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(feature = "tls")]
fn with_tls(
    builder: acs_emulator::EmulatorBuilder,
) -> Result<acs_emulator::EmulatorBuilder, String> {
    Ok(builder.tls(true))
}

#[cfg(not(feature = "tls"))]
fn with_tls(_: acs_emulator::EmulatorBuilder) -> Result<acs_emulator::EmulatorBuilder, String> {
    Err("--tls needs acs-emulator built with the `tls` feature \
         (cargo run -p acs-emulator --features tls -- --tls)"
        .to_owned())
}

/// In TLS mode, writes the certificate to `cert_out` and says where, or prints it.
fn announce_certificate(emulator: &RunningEmulator, cert_out: Option<&Path>) -> Result<(), String> {
    #[cfg(feature = "tls")]
    if let Some(pem) = emulator.certificate_pem() {
        match cert_out {
            Some(path) => {
                std::fs::write(path, pem)
                    .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
                println!("TLS certificate (self-signed, PEM): {}", path.display());
            }
            None => {
                println!("TLS certificate (self-signed; trust it in the client):");
                print!("{pem}");
            }
        }
    }
    #[cfg(not(feature = "tls"))]
    let _ = (emulator, cert_out);
    Ok(())
}
