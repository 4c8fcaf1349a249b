use std::net::SocketAddr;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The listening socket could not be bound (the port is taken, or not allowed).
    #[error("cannot listen on {address}")]
    Bind {
        /// The address it tried.
        address: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The bound socket could not be set up for serving.
    #[error("cannot serve on the bound socket")]
    Socket {
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A builder setting is out of range.
    #[error("invalid emulator setting: {reason}")]
    InvalidSetting {
        /// Which setting, and why.
        reason: &'static str,
    },
    /// The TLS certificate or server configuration could not be set up (TLS mode only).
    #[error("cannot set up TLS")]
    Tls {
        /// What the certificate generator or the TLS library said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
