//! `cargo xtask interop`: runs the official ACS identity and chat SDKs (Python and JavaScript,
//! unchanged) against the local emulator, the harshest check of its fidelity.
//!
//! Builds `acs-emulator` (with its `tls` feature), installs each SDK (a venv under
//! `<target>/interop/venv`, `npm ci` in the JS directory), and starts two emulators on free
//! ports: one serving plain http, one `--tls` with its self-signed certificate written to
//! `<target>/interop/emulator-cert.pem`. Each identity flow script runs against both, and each
//! chat flow against the TLS one only (both chat SDKs refuse bearer tokens over http), with the
//! connection
//! string in `COMMUNICATION_SERVICES_CONNECTION_STRING`; against https the certificate is
//! trusted, never ignored (`ACS_EMULATOR_CERT_FILE` for Python, which passes it to azure-core as
//! `connection_verify`; `NODE_EXTRA_CA_CERTS` for Node). Then it stops the emulators and prints
//! a summary. A flow that runs and fails fails the task; an SDK
//! that cannot be installed (no interpreter, no network) is reported as "not run" instead.

use std::fmt;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The environment variable the flow scripts read the connection string from.
pub(crate) const CONNECTION_STRING_VAR: &str = "COMMUNICATION_SERVICES_CONNECTION_STRING";
/// The environment variable the Python flow reads the PEM file to trust for https from.
pub(crate) const CERT_FILE_VAR: &str = "ACS_EMULATOR_CERT_FILE";
/// How long the emulator may take to print its connection string once built.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// The chat flow scripts, beside each SDK's identity flow (run in the same directory, with the
/// same interpreter and environment).
const PYTHON_CHAT_FLOW: &str = "chat_flow.py";
const JS_CHAT_FLOW: &str = "chat_flow.mjs";
/// How long one flow may run before it is stopped and counted as failed.
const FLOW_TIMEOUT: Duration = Duration::from_secs(180);

/// What became of one SDK's flow.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed(String),
    NotRun(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Passed => f.write_str("passed"),
            Outcome::Failed(reason) => write!(f, "FAILED ({reason})"),
            Outcome::NotRun(reason) => write!(f, "not run ({reason})"),
        }
    }
}

/// One flow's line in the summary.
struct Report {
    sdk: String,
    outcome: Outcome,
    install: Duration,
    flow: Duration,
}

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    let interop = root.join("crates/acs-emulator/interop");
    let work = target_dir(root).join("interop");
    fs::create_dir_all(&work)
        .map_err(|error| format!("cannot create {}: {error}", work.display()))?;

    println!("xtask interop: building acs-emulator (feature tls)");
    let status = Command::new(crate::cargo())
        .args(["build", "-p", "acs-emulator", "--bin", "acs-emulator"])
        .args(["--features", "tls"])
        .current_dir(root)
        .status()
        .map_err(|error| format!("could not start cargo: {error}"))?;
    if !status.success() {
        return Err(format!("building acs-emulator failed ({status})"));
    }

    // Installs first (they may take a while), so the emulator's clock skew window and the
    // tokens' lifetimes are not eaten by them.
    let python_started = Instant::now();
    let python = prepare_python(&interop.join("python"), &work);
    let python_install = python_started.elapsed();
    let js_started = Instant::now();
    let js = prepare_js(&interop.join("js"), &work);
    let js_install = js_started.elapsed();

    let binary = target_dir(root)
        .join("debug")
        .join(format!("acs-emulator{}", env_exe_suffix()));
    let emulator = RunningEmulator::start(&binary, &[])?;
    println!("xtask interop: emulator at {}", emulator.endpoint);
    let cert_file = work.join("emulator-cert.pem");
    let _ = fs::remove_file(&cert_file);
    let tls_emulator = RunningEmulator::start(
        &binary,
        &[
            "--tls".as_ref(),
            "--cert-out".as_ref(),
            cert_file.as_os_str(),
        ],
    )?;
    if !cert_file.is_file() {
        return Err(format!(
            "the TLS emulator wrote no certificate to {}",
            cert_file.display()
        ));
    }
    println!(
        "xtask interop: TLS emulator at {} (certificate {})",
        tls_emulator.endpoint,
        cert_file.display()
    );

    let mut reports = Vec::new();
    for (sdk, prepared, install, over, script) in [
        (
            "python (azure-communication-identity)",
            &python,
            python_install,
            Transport::Http,
            None,
        ),
        (
            "js (@azure/communication-identity)",
            &js,
            js_install,
            Transport::Http,
            None,
        ),
        (
            "python (azure-communication-identity)",
            &python,
            python_install,
            Transport::Https,
            None,
        ),
        (
            "js (@azure/communication-identity)",
            &js,
            js_install,
            Transport::Https,
            None,
        ),
        (
            "python (azure-communication-chat)",
            &python,
            python_install,
            Transport::Https,
            Some(PYTHON_CHAT_FLOW),
        ),
        (
            "js (@azure/communication-chat)",
            &js,
            js_install,
            Transport::Https,
            Some(JS_CHAT_FLOW),
        ),
    ] {
        let sdk = format!("{sdk}, {over}");
        let flow_started = Instant::now();
        let outcome = match prepared {
            Ok(prepared) => {
                println!("xtask interop: running the {sdk} flow");
                let mut command = match script {
                    Some(script) => with_script(prepared, script),
                    None => copy_command(prepared),
                };
                match over {
                    Transport::Http => {
                        command.env(CONNECTION_STRING_VAR, &emulator.connection_string);
                    }
                    Transport::Https => {
                        command
                            .env(CONNECTION_STRING_VAR, &tls_emulator.connection_string)
                            .env(CERT_FILE_VAR, &cert_file)
                            .env("NODE_EXTRA_CA_CERTS", &cert_file);
                    }
                }
                run_flow(&mut command)
            }
            Err(reason) => {
                println!("xtask interop: WARNING: {sdk} not run: {reason}");
                Outcome::NotRun(reason.clone())
            }
        };
        reports.push(Report {
            sdk,
            outcome,
            install,
            flow: flow_started.elapsed(),
        });
    }
    drop(emulator);
    drop(tls_emulator);

    println!("\nxtask interop: summary");
    for report in &reports {
        println!(
            "  {:<44} {}  (install {:.1} s, flow {:.1} s)",
            report.sdk,
            report.outcome,
            report.install.as_secs_f64(),
            report.flow.as_secs_f64()
        );
    }
    let failed = reports
        .iter()
        .filter(|report| matches!(report.outcome, Outcome::Failed(_)))
        .count();
    let not_run = reports
        .iter()
        .filter(|report| matches!(report.outcome, Outcome::NotRun(_)))
        .count();
    // Worded so CI does not mistake it for a test runner's closing line.
    println!(
        "xtask interop: SDK flows that passed: {}; failed: {failed}; not run: {not_run} ({:.1} s)",
        reports.len() - failed - not_run,
        started.elapsed().as_secs_f64()
    );
    if not_run > 0 {
        println!(
            "xtask interop: WARNING: {not_run} flow(s) could not be run (SDK not installed) and were NOT checked"
        );
    }
    if failed > 0 {
        return Err(format!("{failed} interop flow(s) failed"));
    }
    Ok(())
}

/// Which emulator a flow talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    /// Plain http: each flow configures its SDK for it through the SDK's public options.
    Http,
    /// https with the emulator's self-signed certificate, trusted by the client.
    Https,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Http => "http",
            Transport::Https => "https",
        })
    }
}

/// A fresh command with `command`'s program, arguments, directory and environment changes, so
/// one prepared flow can run against both emulators.
fn copy_command(command: &Command) -> Command {
    let mut copy = Command::new(command.get_program());
    copy.args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        copy.current_dir(dir);
    }
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => copy.env(name, value),
            None => copy.env_remove(name),
        };
    }
    copy
}

/// A fresh command running `script` (in the prepared command's directory) with the prepared
/// command's program, directory and environment: another flow of the same installed SDK.
pub(crate) fn with_script(command: &Command, script: &str) -> Command {
    let mut copy = Command::new(command.get_program());
    copy.arg(script);
    if let Some(dir) = command.get_current_dir() {
        copy.current_dir(dir);
    }
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => copy.env(name, value),
            None => copy.env_remove(name),
        };
    }
    copy
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set, else `<root>/target`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    target_dir_from(root, std::env::var_os("CARGO_TARGET_DIR"))
}

/// [`target_dir`] given the value of `CARGO_TARGET_DIR` (relative paths are from `root`, as
/// for cargo run in `root`).
fn target_dir_from(root: &Path, cargo_target_dir: Option<std::ffi::OsString>) -> PathBuf {
    match cargo_target_dir {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

pub(crate) fn env_exe_suffix() -> &'static str {
    std::env::consts::EXE_SUFFIX
}

/// The venv's interpreter, or why the Python SDK cannot be installed. The venv is reused while
/// `requirements.txt` is unchanged (a copy of it beside the venv says what was installed).
fn prepare_python(dir: &Path, work: &Path) -> Result<Command, String> {
    let requirements_path = dir.join("requirements.txt");
    let requirements = fs::read_to_string(&requirements_path)
        .map_err(|error| format!("cannot read {}: {error}", requirements_path.display()))?;
    let venv = work.join("venv");
    let python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    let stamp = work.join("venv.requirements.txt");
    let installed = fs::read_to_string(&stamp).ok();
    if python.exists() && installed.as_deref() == Some(requirements.as_str()) {
        println!("xtask interop: python venv up to date");
    } else {
        let base = std::env::var("PYTHON").unwrap_or_else(|_| {
            if cfg!(windows) {
                "python".to_owned()
            } else {
                "python3".to_owned()
            }
        });
        if !python.exists() {
            println!("xtask interop: creating a venv at {}", venv.display());
            quiet(Command::new(&base).arg("-m").arg("venv").arg(&venv))
                .map_err(|error| format!("cannot create a venv with `{base}`: {error}"))?;
        }
        println!(
            "xtask interop: pip install -r {}",
            requirements_path.display()
        );
        let _ = fs::remove_file(&stamp);
        quiet(
            Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check", "-q"])
                .args(["--timeout", "30", "-r"])
                .arg(&requirements_path),
        )
        .map_err(|error| format!("installing the Python SDK failed: {error}"))?;
        fs::write(&stamp, &requirements)
            .map_err(|error| format!("cannot write {}: {error}", stamp.display()))?;
    }
    let mut command = Command::new(python);
    command.arg(dir.join("flow.py")).current_dir(dir);
    Ok(command)
}

/// `node flow.mjs`, or why the JS SDK cannot be installed. `npm ci` runs unless
/// `node_modules` was installed from this very `package-lock.json`.
pub(crate) fn prepare_js(dir: &Path, work: &Path) -> Result<Command, String> {
    let lock_path = dir.join("package-lock.json");
    let lock = fs::read_to_string(&lock_path)
        .map_err(|error| format!("cannot read {}: {error}", lock_path.display()))?;
    let stamp = work.join("npm.package-lock.json");
    let installed = fs::read_to_string(&stamp).ok();
    if dir.join("node_modules").is_dir() && installed.as_deref() == Some(lock.as_str()) {
        println!("xtask interop: node_modules up to date");
    } else {
        println!("xtask interop: npm ci in {}", dir.display());
        let _ = fs::remove_file(&stamp);
        let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
        quiet(
            Command::new(npm)
                .args(["ci", "--no-audit", "--no-fund", "--fetch-retries=1"])
                .current_dir(dir),
        )
        .map_err(|error| format!("installing the JS SDK failed: {error}"))?;
        fs::write(&stamp, &lock)
            .map_err(|error| format!("cannot write {}: {error}", stamp.display()))?;
    }
    let mut command = Command::new("node");
    command.arg("flow.mjs").current_dir(dir);
    Ok(command)
}

/// Runs a setup command, keeping its output unless it fails (then its last lines are the error).
pub(crate) fn quiet(command: &mut Command) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("could not start {:?}: {error}", command.get_program()))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stdout));
    Err(format!("{} ({})", last_lines(&text, 5), output.status))
}

/// The last `count` non-empty lines of `text`, joined with " | ".
pub(crate) fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines[lines.len().saturating_sub(count)..].join(" | ")
}

/// Runs a flow with its output shown as it goes; fails on a non-zero exit or a timeout.
fn run_flow(command: &mut Command) -> Outcome {
    let mut child = match command.stdin(Stdio::null()).spawn() {
        Ok(child) => child,
        Err(error) => {
            return Outcome::NotRun(format!(
                "could not start {:?}: {error}",
                command.get_program()
            ));
        }
    };
    match wait_with_timeout(&mut child, FLOW_TIMEOUT) {
        Ok(Some(status)) => flow_outcome(status),
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            Outcome::Failed(format!("timed out after {} s", FLOW_TIMEOUT.as_secs()))
        }
        Err(error) => Outcome::Failed(format!("could not wait for the flow: {error}")),
    }
}

fn flow_outcome(status: ExitStatus) -> Outcome {
    if status.success() {
        Outcome::Passed
    } else {
        Outcome::Failed(format!("flow exited with {status}"))
    }
}

pub(crate) fn wait_with_timeout(
    child: &mut Child,
    timeout: Duration,
) -> std::io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// The emulator process; killed on drop, so no error path leaves it running.
pub(crate) struct RunningEmulator {
    child: Child,
    pub(crate) endpoint: String,
    pub(crate) connection_string: String,
}

impl RunningEmulator {
    /// The emulator's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn start(binary: &Path, extra_args: &[&std::ffi::OsStr]) -> Result<Self, String> {
        let mut child = Command::new(binary)
            .args(["--port", "0"])
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("could not start {}: {error}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("the emulator has no stdout")?;
        let (lines, received) = mpsc::channel::<String>();
        // Keeps reading after startup so the emulator never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Once startup is over nobody listens: the send fails and the line is dropped.
                let _ = lines.send(line);
            }
        });
        let mut printed = String::new();
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut emulator = Self {
            child,
            endpoint: String::new(),
            connection_string: String::new(),
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match received.recv_timeout(left) {
                Ok(line) => {
                    printed.push_str(&line);
                    printed.push('\n');
                    if let Some(found) = parse_startup(&printed) {
                        emulator.endpoint = found.endpoint;
                        emulator.connection_string = found.connection_string;
                        return Ok(emulator);
                    }
                }
                Err(_) => {
                    let mut errors = String::new();
                    if let Some(mut stderr) = emulator.child.stderr.take() {
                        let _ = emulator.child.kill();
                        let _ = stderr.read_to_string(&mut errors);
                    }
                    return Err(format!(
                        "the emulator printed no connection string within {} s: {}",
                        STARTUP_TIMEOUT.as_secs(),
                        last_lines(&format!("{printed}{errors}"), 5)
                    ));
                }
            }
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the emulator's startup output tells a client.
#[derive(Debug, PartialEq, Eq)]
struct Startup {
    endpoint: String,
    connection_string: String,
}

/// Finds the connection string (`endpoint=...;accesskey=...`, keys in any case and order) in
/// the emulator's output so far, and the endpoint inside it. `None` until both are there.
fn parse_startup(output: &str) -> Option<Startup> {
    output.lines().map(str::trim).find_map(|line| {
        let mut endpoint = None;
        let mut has_key = false;
        for pair in line.split(';') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "endpoint" if value.starts_with("http://") || value.starts_with("https://") => {
                    endpoint = Some(value.trim().to_owned());
                }
                "accesskey" if !value.trim().is_empty() => has_key = true,
                _ => {}
            }
        }
        match endpoint {
            Some(endpoint) if has_key => Some(Startup {
                endpoint,
                connection_string: line.to_owned(),
            }),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
ACS emulator listening on http://127.0.0.1:37583/
resource ID: fd51016c-8f19-4279-9ec4-b2b4f65aa0c6

Connection string (contains the emulator's access key):
endpoint=http://127.0.0.1:37583/;accesskey=hCaOVKZJU+9FdhXi+kIHI84Ltj1lWZgG3N4LshB4xJ7gqf/c6ruBY0h66qD0BZ0F5rQY+eEzo5R0L0bSQWxl0A==

Press Ctrl-C to stop.
";

    #[test]
    fn the_connection_string_line_is_found_in_the_emulator_output() {
        let startup = parse_startup(OUTPUT).expect("a connection string");
        assert_eq!(startup.endpoint, "http://127.0.0.1:37583/");
        assert!(
            startup
                .connection_string
                .starts_with("endpoint=http://127.0.0.1:37583/;")
        );
        assert!(
            startup.connection_string.ends_with("0A=="),
            "the base64 padding is kept"
        );
    }

    #[test]
    fn nothing_is_found_before_the_connection_string_is_printed() {
        let partial: String = OUTPUT
            .lines()
            .take(4)
            .map(|line| format!("{line}\n"))
            .collect();
        assert_eq!(parse_startup(&partial), None);
        assert_eq!(parse_startup(""), None);
    }

    #[test]
    fn keys_are_case_insensitive_in_any_order_and_both_are_required() {
        let startup = parse_startup("AccessKey=pw==;Endpoint=https://x.communication.azure.com/")
            .expect("a connection string");
        assert_eq!(startup.endpoint, "https://x.communication.azure.com/");
        assert_eq!(parse_startup("endpoint=http://127.0.0.1:1/"), None);
        assert_eq!(
            parse_startup("endpoint=http://127.0.0.1:1/;accesskey="),
            None
        );
        assert_eq!(parse_startup("endpoint=127.0.0.1:1;accesskey=pw=="), None);
        // "ACS emulator listening on http://..." has an `=`-free endpoint: not a match.
        assert_eq!(parse_startup("listening on http://127.0.0.1:1/"), None);
    }

    #[test]
    fn the_target_dir_follows_cargo_target_dir() {
        let root = Path::new("/repo");
        assert_eq!(target_dir_from(root, None), Path::new("/repo/target"));
        assert_eq!(
            target_dir_from(root, Some("".into())),
            Path::new("/repo/target")
        );
        assert_eq!(
            target_dir_from(root, Some("/work/target-x".into())),
            Path::new("/work/target-x")
        );
        assert_eq!(
            target_dir_from(root, Some("out".into())),
            Path::new("/repo/out")
        );
    }

    #[test]
    fn setup_errors_keep_only_the_last_lines() {
        assert_eq!(last_lines("a\n\nb\n c \nd\n", 2), "c | d");
        assert_eq!(last_lines("", 3), "");
        assert_eq!(last_lines("only\n", 3), "only");
    }

    #[test]
    fn the_tls_emulator_output_gives_an_https_endpoint() {
        let output = "\
ACS emulator listening on https://127.0.0.1:40111/
resource ID: fd51016c-8f19-4279-9ec4-b2b4f65aa0c6
TLS certificate (self-signed, PEM): /work/target/interop/emulator-cert.pem

Connection string (contains the emulator's access key):
endpoint=https://127.0.0.1:40111/;accesskey=pw==
";
        let startup = parse_startup(output).expect("a connection string");
        assert_eq!(startup.endpoint, "https://127.0.0.1:40111/");
        assert_eq!(
            startup.connection_string,
            "endpoint=https://127.0.0.1:40111/;accesskey=pw=="
        );
    }

    #[test]
    fn a_copied_command_keeps_program_arguments_directory_and_environment() {
        let mut command = Command::new("node");
        command
            .arg("flow.mjs")
            .current_dir("/tmp/js")
            .env("A", "1")
            .env_remove("B");
        let copy = copy_command(&command);
        assert_eq!(copy.get_program(), "node");
        assert_eq!(copy.get_args().collect::<Vec<_>>(), ["flow.mjs"]);
        assert_eq!(copy.get_current_dir(), Some(Path::new("/tmp/js")));
        let envs: Vec<_> = copy.get_envs().collect();
        assert_eq!(
            envs,
            [
                (std::ffi::OsStr::new("A"), Some(std::ffi::OsStr::new("1"))),
                (std::ffi::OsStr::new("B"), None)
            ]
        );
        assert_eq!(Transport::Https.to_string(), "https");
        let chat = with_script(&command, "chat_flow.mjs");
        assert_eq!(chat.get_program(), "node");
        assert_eq!(chat.get_args().collect::<Vec<_>>(), ["chat_flow.mjs"]);
        assert_eq!(chat.get_current_dir(), Some(Path::new("/tmp/js")));
        assert_eq!(chat.get_envs().count(), 2);
    }

    #[test]
    fn outcomes_read_clearly_in_the_summary() {
        assert_eq!(Outcome::Passed.to_string(), "passed");
        assert_eq!(
            Outcome::NotRun("no network".into()).to_string(),
            "not run (no network)"
        );
        assert_eq!(
            Outcome::Failed("flow exited with exit status: 1".into()).to_string(),
            "FAILED (flow exited with exit status: 1)"
        );
    }
}
