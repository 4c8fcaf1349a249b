//! `acs-emulator`: runs the local ACS service until Ctrl-C.
//!
//! ```text
//! cargo run -p acs-emulator -- [--port N] [--token-lifetime-secs N] [--allow-short-lifetimes]
//!                              [--access-key BASE64] [--resource-id ID]
//! ```

use std::process::ExitCode;
use std::time::Duration;

use acs_auth::AccessKey;
use acs_emulator::Emulator;

const USAGE: &str = "\
Usage: acs-emulator [OPTIONS]

Runs a local Azure Communication Services identity and token-exchange service on 127.0.0.1
until Ctrl-C, and prints a connection string for it.

Options:
  --port N                  listen on port N (default: a free port)
  --token-lifetime-secs N   every minted token lives N seconds (test mode; below the
                            service's 60-minute minimum is allowed)
  --allow-short-lifetimes   accept expiresInMinutes from 1 instead of 60
  --access-key BASE64       verify HMAC with this key (default: a random key)
  --resource-id ID          resource ID in identities and tokens (default: a random UUID)
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
            other => return Err(format!("unknown argument `{other}`")),
        }
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
