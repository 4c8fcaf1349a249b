use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// The operating system's random source failed (the access key and the token-signing key
    /// are drawn from it when none is given or kept).
    #[error("cannot read the operating system's random source")]
    Random {
        /// What the random source reported.
        #[source]
        source: std::io::Error,
    },
    /// A builder setting is out of range.
    #[error("invalid emulator setting: {reason}")]
    InvalidSetting {
        /// Which setting, and why.
        reason: &'static str,
    },
    /// The data directory could not be opened or read (see
    /// [`EmulatorBuilder::data_dir`](crate::EmulatorBuilder::data_dir)): not writable, not an
    /// emulator's database, or in use by another emulator.
    #[error("cannot use the data directory {path}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The data directory was written by a newer emulator, whose schema this one cannot read.
    #[error(
        "the data in {path} is from a newer acs-emulator (schema version {found}; this one reads up to {supported}): upgrade, or use another --data-dir"
    )]
    NewerDataVersion {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest schema version this build reads.
        supported: i64,
    },
    /// The TLS certificate or server configuration could not be set up (TLS mode only).
    #[error("cannot set up TLS")]
    Tls {
        /// What the certificate generator or the TLS library said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
