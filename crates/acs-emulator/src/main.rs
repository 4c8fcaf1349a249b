//! `acs-emulator`: runs the local ACS (Identity and Chat) until Ctrl-C.
//!
//! ```text
//! cargo run -p acs-emulator -- [--port N] [--token-lifetime-secs N] [--allow-short-lifetimes]
//!                              [--access-key BASE64] [--resource-id ID]
//! cargo run -p acs-emulator --features tls -- --tls [--cert-out PATH] [...]
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use acs_auth::AccessKey;
use acs_emulator::{Emulator, RunningEmulator};

const USAGE: &str = "\
Usage: acs-emulator [OPTIONS]

Runs a local Azure Communication Services on 127.0.0.1 until Ctrl-C, and prints a connection
string for it. Emulated: Identity (with the Entra ID token exchanges) and Chat (bearer tokens
it issued; the official chat SDKs need --tls). Not emulated: SMS, Calling, Rooms, Phone
Numbers, Email, Advanced Messaging, Job Router (their routes get a 404 naming the service).

Options:
  --port N                  listen on port N (default: a free port)
  --token-lifetime-secs N   every minted token lives N seconds (test mode; below the
                            service's 60-minute minimum is allowed)
  --allow-short-lifetimes   accept expiresInMinutes from 1 instead of 60
  --access-key BASE64       verify HMAC with this key (default: a random key)
  --resource-id ID          resource ID in identities and tokens (default: a random UUID)
  --tls                     serve https with a self-signed certificate for 127.0.0.1 and
                            localhost, generated at start (needs the `tls` feature)
  --cert-out PATH           with --tls: write that certificate (PEM) to PATH for clients
                            to trust; without it the PEM is printed
  -h, --help                print this help

Fault injection: POST /_emulator/faults with
  {\"status\":503,\"retryAfterSeconds\":0,\"delayMs\":0,\"times\":2,\"route\":\"issueAccessToken\"}
and DELETE /_emulator/faults to clear them.
Bearer tokens on identity routes and on the Entra exchange routes are accepted without
verification: the emulator has no Entra ID to check them with.";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("acs-emulator: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut builder = Emulator::builder();
    let mut tls = false;
    let mut cert_out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--port" => {
                let port = value("--port")?;
                builder = builder.port(port.parse().map_err(|_| "--port takes 0..=65535")?);
            }
            "--token-lifetime-secs" => {
                let seconds: u64 = value("--token-lifetime-secs")?
                    .parse()
                    .map_err(|_| "--token-lifetime-secs takes a positive whole number")?;
                builder = builder.token_lifetime(Duration::from_secs(seconds));
            }
            "--allow-short-lifetimes" => builder = builder.allow_short_lifetimes(true),
            "--access-key" => {
                let key: AccessKey = value("--access-key")?
                    .parse()
                    .map_err(|error| format!("--access-key: {error}"))?;
                builder = builder.access_key(key);
            }
            "--resource-id" => builder = builder.resource_id(value("--resource-id")?),
            "--tls" => tls = true,
            "--cert-out" => cert_out = Some(PathBuf::from(value("--cert-out")?)),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }

    if cert_out.is_some() && !tls {
        return Err("--cert-out needs --tls".to_owned());
    }
    if tls {
        builder = with_tls(builder)?;
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
        println!("ACS emulator listening on {}", emulator.endpoint());
        println!("resource ID: {}", emulator.resource_id());
        // Before the connection string: whoever waits for that line finds the file written.
        announce_certificate(&emulator, cert_out.as_deref())?;
        println!();
        println!("Connection string (contains the emulator's access key):");
        println!("{}", emulator.connection_string());
        println!();
        println!("Press Ctrl-C to stop.");
        tokio::signal::ctrl_c()
            .await
            .map_err(|error| format!("cannot wait for Ctrl-C: {error}"))?;
        emulator.shutdown().await;
        println!("stopped");
        Ok(())
    })
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
