//! TLS mode: a self-signed certificate generated at start, and a listener that completes TLS
//! handshakes before handing connections to the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::server::TlsStream;

use crate::EmulatorError;

/// The names the certificate is valid for: the emulator only listens on 127.0.0.1, and clients
/// may call it `localhost`.
const SUBJECT_ALT_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];
/// How long a client may take to complete its handshake. Handshakes run side by side, so a slow
/// or silent client only holds its own connection.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A certificate made for this emulator instance, and the server configuration that presents it.
pub(crate) struct SelfSigned {
    pub(crate) certificate_pem: String,
    pub(crate) acceptor: TlsAcceptor,
}

impl SelfSigned {
    /// A fresh key pair and self-signed certificate for 127.0.0.1 and localhost, served with
    /// rustls on the aws-lc-rs provider (named explicitly, so a process that also links ring
    /// needs no process-wide default).
    pub(crate) fn generate() -> Result<Self, EmulatorError> {
        let tls_error =
            |source: Box<dyn std::error::Error + Send + Sync>| EmulatorError::Tls { source };
        let mut params = rcgen::CertificateParams::new(SUBJECT_ALT_NAMES.map(str::to_owned))
            .map_err(|error| tls_error(error.into()))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "acs-emulator");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = rcgen::KeyPair::generate().map_err(|error| tls_error(error.into()))?;
        let certificate = params
            .self_signed(&key)
            .map_err(|error| tls_error(error.into()))?;

        let private_key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|error| tls_error(error.into()))?
                .with_no_client_auth()
                .with_single_cert(vec![certificate.der().clone()], private_key)
                .map_err(|error| tls_error(error.into()))?;
        // The server speaks HTTP/1.1 only; saying so keeps clients from offering h2.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            certificate_pem: certificate.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

/// A TCP listener whose connections come out TLS-wrapped. Handshakes run as tasks owned by the
/// listener, so they end with it when the server stops.
pub(crate) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> Self {
        Self {
            tcp,
            acceptor,
            handshakes: JoinSet::new(),
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                // axum's accept for TcpListener retries on errors itself.
                (stream, peer) = axum::serve::Listener::accept(&mut self.tcp) => {
                    let acceptor = self.acceptor.clone();
                    self.handshakes.spawn(async move {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                            Ok(Ok(tls)) => Some((tls, peer)),
                            // Plain http on the TLS port, a client that rejected the
                            // certificate, or a silent one: only that connection is dropped.
                            Ok(Err(error)) => {
                                tracing::debug!(%peer, %error, "acs-emulator: TLS handshake failed");
                                None
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "acs-emulator: TLS handshake timed out");
                                None
                            }
                        }
                    });
                }
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    if let Ok(Some(connection)) = done {
                        return connection;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
