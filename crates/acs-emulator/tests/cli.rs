//! The `acs-emulator` binary: arguments, the printed connection string, and serving.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use acs_auth::ConnectionString;
use acs_token::TokenClaims;

const BINARY: &str = env!("CARGO_BIN_EXE_acs-emulator");

/// Stops the emulator process even when an assertion fails first.
struct KillOnDrop(std::process::Child);

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
    let stdout = child.0.stdout.take().unwrap();
    let connection_string = BufReader::new(stdout)
        .lines()
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

    assert_eq!(answer.status, 201, "{}", answer.text);
    let claims =
        TokenClaims::decode(answer.json["accessToken"]["token"].as_str().unwrap()).unwrap();
    let lifetime = claims.expires_on - claims.issued_at.unwrap();
    assert_eq!(lifetime.whole_seconds(), 20);
}
