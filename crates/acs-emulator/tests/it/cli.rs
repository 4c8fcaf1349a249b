//! The `acs-emulator` binary: arguments, the printed connection string, and serving.

use crate::common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use acs_auth::ConnectionString;
use acs_token::TokenClaims;

const BINARY: &str = env!("CARGO_BIN_EXE_acs-emulator");

/// Stops the emulator process even when an assertion fails first.
pub(crate) struct KillOnDrop(pub(crate) std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn help_and_bad_arguments() {
    let help = Command::new(BINARY).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--token-lifetime-secs"));
    for args in [
        &["--bogus"][..],
        &["--port", "http"],
        &["--port"],
        &["--token-lifetime-secs", "-3"],
        &["--access-key", "not base64!"],
        &["--cert-out", "emulator.pem"],
        &["--tls", "--cert-out"],
        &["--listen", "localhost"],
        &["--request-log", "many"],
    ] {
        let output = Command::new(BINARY).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("Usage"), "{args:?}: {stderr}");
        assert!(!stderr.contains("not base64!"), "{stderr}");
    }
}

#[test]
fn the_printed_connection_string_reaches_a_working_emulator() {
    let mut child = KillOnDrop(
        Command::new(BINARY)
            .args(["--token-lifetime-secs", "20"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Kept open until the process is stopped, so its later lines never meet a closed pipe.
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let connection_string = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.starts_with("endpoint="))
        .expect("a connection string line");
    let parsed: ConnectionString = connection_string.parse().unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer = runtime.block_on(async {
        let url = parsed
            .endpoint()
            .join("identities?api-version=2022-06-01")
            .unwrap();
        let mut request = http::Request::post(url.as_str())
            .body(br#"{"createTokenWithScopes":["voip"]}"#.to_vec())
            .unwrap();
        parsed.signer().sign(&mut request).unwrap();
        common::send_signed(request).await
    });
    drop(child);
    drop(lines);

    assert_eq!(answer.status, 201, "{}", answer.text);
    let claims =
        TokenClaims::decode(answer.json["accessToken"]["token"].as_str().unwrap()).unwrap();
    let lifetime = claims.expires_on - claims.issued_at.unwrap();
    assert_eq!(lifetime.whole_seconds(), 20);
}

#[cfg(not(feature = "tls"))]
#[test]
fn tls_without_the_feature_is_a_clear_error() {
    let output = Command::new(BINARY).arg("--tls").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`tls` feature"), "{stderr}");
}

#[cfg(feature = "tls")]
#[test]
fn tls_mode_writes_the_certificate_before_printing_an_https_connection_string() {
    let cert_out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("acs-emulator-cli-{}.pem", std::process::id()));
    let _ = std::fs::remove_file(&cert_out);
    let mut child = KillOnDrop(
        Command::new(BINARY)
            .arg("--tls")
            .arg("--cert-out")
            .arg(&cert_out)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let connection_string = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| {
            printed.push(line.clone());
            line.starts_with("endpoint=")
        })
        .expect("a connection string line");
    assert!(
        printed
            .iter()
            .any(|line| line.ends_with(&format!("PEM): {}", cert_out.display()))),
        "{printed:?}"
    );
    // Written before the connection string was printed.
    let pem = std::fs::read_to_string(&cert_out).expect("the certificate file");
    let parsed: ConnectionString = connection_string.parse().unwrap();
    assert_eq!(parsed.endpoint().scheme(), "https");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
            .build()
            .unwrap();
        let url = parsed
            .endpoint()
            .join("identities?api-version=2025-06-30")
            .unwrap();
        let mut request = http::Request::post(url.as_str()).body(Vec::new()).unwrap();
        parsed.signer().sign(&mut request).unwrap();
        client
            .execute(reqwest::Request::try_from(request).unwrap())
            .await
            .expect("the emulator answers over https")
            .status()
    });
    drop(child);
    drop(lines);
    let _ = std::fs::remove_file(&cert_out);
    assert_eq!(status, 201);
}

/// Starts the binary with `args` and `env`, and reads its output up to the connection string:
/// the lines printed before it, and the connection string.
pub(crate) fn start_binary(
    args: &[&str],
    env: &[(&str, &str)],
) -> (
    KillOnDrop,
    std::io::Lines<BufReader<std::process::ChildStdout>>,
    Vec<String>,
    ConnectionString,
) {
    let mut command = Command::new(BINARY);
    command.args(args).stdout(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = KillOnDrop(command.spawn().unwrap());
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let connection_string = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| {
            printed.push(line.clone());
            line.starts_with("endpoint=")
        })
        .expect("a connection string line");
    (child, lines, printed, connection_string.parse().unwrap())
}

/// A signed request to `path_and_query` of the emulator behind `connection_string`.
pub(crate) fn signed(
    connection_string: &ConnectionString,
    path_and_query: &str,
    body: &[u8],
) -> http::Request<Vec<u8>> {
    let url = connection_string.endpoint().join(path_and_query).unwrap();
    let mut request = http::Request::post(url.as_str())
        .body(body.to_vec())
        .unwrap();
    connection_string.signer().sign(&mut request).unwrap();
    request
}

#[test]
fn every_option_also_comes_from_the_environment_and_a_flag_wins() {
    let (child, lines, printed, _) = start_binary(
        &["--resource-id", "from-the-flag"],
        &[
            ("ACS_EMULATOR_RESOURCE_ID", "from-the-environment"),
            ("ACS_EMULATOR_STRICT_AUTH", "true"),
            ("ACS_EMULATOR_REQUEST_LOG", "5"),
        ],
    );
    drop(child);
    drop(lines);
    assert!(
        printed
            .iter()
            .any(|line| line == "resource ID: from-the-flag"),
        "{printed:?}"
    );
    assert!(
        printed
            .iter()
            .any(|line| line.starts_with("data: in memory")),
        "{printed:?}"
    );

    for (name, value) in [
        ("ACS_EMULATOR_PORT", "http"),
        ("ACS_EMULATOR_STRICT_AUTH", "maybe"),
        ("ACS_EMULATOR_LISTEN", "localhost:80"),
        ("ACS_EMULATOR_TOKEN_LIFETIME_SECS", "-1"),
    ] {
        let output = Command::new(BINARY).env(name, value).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
    // The access key's value never appears in an error, from a flag or the environment.
    let output = Command::new(BINARY)
        .env("ACS_EMULATOR_ACCESS_KEY", "not base64!")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("not base64!"));
}

/// Every identity whose creation was acknowledged before a `kill -9` is there after a restart.
#[test]
fn acknowledged_writes_survive_kill_9() {
    use std::sync::{Arc, Mutex};
    let dir = common::ScratchDir::new("kill9");
    let data_dir = dir.0.to_str().unwrap().to_owned();
    let (mut child, lines, printed, connection_string) =
        start_binary(&["--data-dir", &data_dir], &[]);
    let data_line = format!("data: {}", dir.0.join("acs-emulator.sqlite3").display());
    assert!(
        printed.iter().any(|line| line.starts_with(&data_line)),
        "{printed:?}"
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let create = "identities?api-version=2023-10-01";
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut clients = Vec::new();
        for _ in 0..16 {
            let (client, acknowledged, connection_string) = (
                client.clone(),
                Arc::clone(&acknowledged),
                connection_string.clone(),
            );
            clients.push(tokio::spawn(async move {
                loop {
                    let request = signed(&connection_string, create, b"{}");
                    let Ok(response) = client
                        .execute(reqwest::Request::try_from(request).unwrap())
                        .await
                    else {
                        return;
                    };
                    assert_eq!(response.status(), 201);
                    let Ok(body) = response.json::<serde_json::Value>().await else {
                        return;
                    };
                    let id = body["identity"]["id"].as_str().unwrap().to_owned();
                    acknowledged.lock().unwrap().push(id);
                }
            }));
        }
        // Kill it in the middle of the load, with requests in flight.
        while acknowledged.lock().unwrap().len() < 300 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        child.0.kill().unwrap(); // SIGKILL
        child.0.wait().unwrap();
        for client in clients {
            client.await.unwrap();
        }
    });
    drop(lines);
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 300);

    let (restarted, lines, printed_after, after) = start_binary(&["--data-dir", &data_dir], &[]);
    // The connection string (the last line read) carries the same, kept, key.
    let key = |printed: &[String]| {
        let line = printed.last().unwrap();
        line.split(";accesskey=").nth(1).unwrap().to_owned()
    };
    assert_eq!(key(&printed_after), key(&printed), "the key is kept");
    let present = runtime.block_on(async {
        let mut present = 0;
        for id in &acknowledged {
            let path = format!(
                "identities/{}/:issueAccessToken?api-version=2023-10-01",
                common::encode(id)
            );
            let answer =
                common::send_signed(signed(&after, &path, br#"{"scopes":["chat"]}"#)).await;
            if answer.status == 200 {
                present += 1;
            }
        }
        present
    });
    drop(restarted);
    drop(lines);
    eprintln!(
        "durability: {} identities acknowledged before kill -9, {present} present after restart",
        acknowledged.len()
    );
    assert_eq!(present, acknowledged.len(), "acknowledged identities lost");
}

/// A stop waits for requests in flight (here a client that sent half a request and a one-hour
/// shutdown timeout), but a second Ctrl-C exits at once.
#[cfg(unix)]
#[test]
fn a_second_ctrl_c_exits_at_once() {
    use std::io::Write as _;
    let (mut child, mut lines, _, connection_string) =
        start_binary(&["--shutdown-timeout-secs", "3600"], &[]);
    let address = connection_string.endpoint().socket_addrs(|| None).unwrap()[0];
    let mut half = std::net::TcpStream::connect(address).unwrap();
    half.write_all(b"POST /identities HTTP/1.1\r\nHost: 127.0.0.1\r\nCont")
        .unwrap();
    let interrupt = |pid: u32| {
        let status = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    let pid = child.0.id();
    interrupt(pid);
    let stopping = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.starts_with("stopping"));
    assert!(stopping.is_some());
    interrupt(pid);
    // Bounded wait (a failure guard, not a speed target): without the second Ctrl-C it would
    // wait for the hour.
    let mut status = None;
    for _ in 0..600 {
        if let Some(exited) = child.0.try_wait().unwrap() {
            status = Some(exited);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let status = status.expect("the emulator exited after the second Ctrl-C");
    assert_eq!(status.code(), Some(130));
    drop(half);
}

/// A data directory written by a newer emulator is refused with a message that says so.
#[test]
fn a_data_dir_from_a_newer_emulator_is_a_clear_error() {
    let dir = common::ScratchDir::new("newer-cli");
    std::fs::create_dir_all(&dir.0).unwrap();
    let database = rusqlite::Connection::open(dir.0.join("acs-emulator.sqlite3")).unwrap();
    database
        .execute_batch("PRAGMA application_id = 1094931269; PRAGMA user_version = 99;")
        .unwrap();
    drop(database);
    let output = Command::new(BINARY)
        .arg("--data-dir")
        .arg(&dir.0)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("newer acs-emulator (schema version 99"),
        "{stderr}"
    );
}
