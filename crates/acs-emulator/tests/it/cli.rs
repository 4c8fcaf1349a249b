//! The `acs-emulator` binary: arguments, the printed connection string, and serving.

use crate::common;

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
        &["--cert-out", "emulator.pem"],
        &["--tls", "--cert-out"],
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
