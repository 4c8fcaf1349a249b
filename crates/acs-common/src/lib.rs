// docs.rs builds with `--cfg docsrs` on nightly: each feature-gated module gets an "Available on
// crate feature ... only" badge. Stable builds never see the attribute.
#![cfg_attr(docsrs, feature(doc_cfg))]
// The README's module links must work whichever features are on: it defines them as docs.rs
// URLs (so they also work on crates.io), and these definitions, which come first and so take
// precedence, point each module that is compiled in at its page in these docs.
#![doc = "[`token`]: crate::token"]
#![cfg_attr(feature = "identifiers", doc = "[`identifiers`]: crate::identifiers")]
#![cfg_attr(feature = "credential", doc = "[`credential`]: crate::credential")]
#![cfg_attr(feature = "entra", doc = "[`entra`]: crate::entra")]
#![cfg_attr(feature = "auth", doc = "[`auth`]: crate::auth")]
#![cfg_attr(feature = "identity", doc = "[`identity`]: crate::identity")]
#![cfg_attr(feature = "chat", doc = "[`chat`]: crate::chat")]
#![cfg_attr(
    any(feature = "entra", feature = "identity", feature = "chat"),
    doc = "[`http`]: crate::http"
)]
#![doc = ""]
#![doc = include_str!("../README.md")]

/// Reading ACS access tokens: [`token::AccessToken`], [`token::TokenClaims`], [`token::TokenError`].
///
/// This is the [`acs_token`] crate.
pub mod token {
    #[doc(inline)]
    pub use acs_token::*;
}

/// The credential ACS clients ask for tokens: [`credential::CommunicationTokenCredential`],
/// built from a static token or from a refresher with
/// [`credential::CommunicationTokenRefreshOptions`].
///
/// This is the [`acs_refresh`] crate (feature `credential`, on by default).
#[cfg(feature = "credential")]
#[cfg_attr(docsrs, doc(cfg(feature = "credential")))]
pub mod credential {
    #[doc(inline)]
    pub use acs_refresh::*;
}

/// Microsoft Entra token exchange: build a [`credential::CommunicationTokenCredential`] from
/// [`entra::EntraCommunicationTokenCredentialOptions`] and any `azure_core` `TokenCredential`.
///
/// This is the [`acs_entra`] crate (feature `entra`, on by default).
#[cfg(feature = "entra")]
#[cfg_attr(docsrs, doc(cfg(feature = "entra")))]
pub mod entra {
    #[doc(inline)]
    pub use acs_entra::*;
}

/// Communication identifiers and raw IDs: [`identifiers::CommunicationIdentifier`] and its kinds.
///
/// This is the [`acs_identifiers`] crate (feature `identifiers`, on by default).
#[cfg(feature = "identifiers")]
#[cfg_attr(docsrs, doc(cfg(feature = "identifiers")))]
pub mod identifiers {
    #[doc(inline)]
    pub use acs_identifiers::*;
}

/// Connection strings and HMAC-SHA256 request signing: [`auth::ConnectionString`],
/// [`auth::HmacSigner`].
///
/// This is the [`acs_auth`] crate (feature `auth`).
#[cfg(feature = "auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "auth")))]
pub mod auth {
    #[doc(inline)]
    pub use acs_auth::*;
}

/// The identity REST API: [`identity::CommunicationIdentityClient`] creates users, issues,
/// exchanges and revokes their tokens.
///
/// This is the [`acs_identity`] crate (feature `identity`).
#[cfg(feature = "identity")]
#[cfg_attr(docsrs, doc(cfg(feature = "identity")))]
pub mod identity {
    #[doc(inline)]
    pub use acs_identity::*;
}

/// Chat as a chat user: [`chat::ChatClient`] creates, lists and deletes threads, and
/// [`chat::ChatThreadClient`] sends and lists messages, manages participants, read receipts and
/// typing notifications, authorized by a [`credential::CommunicationTokenCredential`].
///
/// This is the [`acs_chat`] crate (feature `chat`, on by default).
#[cfg(feature = "chat")]
#[cfg_attr(docsrs, doc(cfg(feature = "chat")))]
pub mod chat {
    #[doc(inline)]
    pub use acs_chat::*;
}

/// The HTTP pieces the service clients share: [`http::HttpClient`], [`http::RetryPolicy`],
/// [`http::HttpError`] and [`http::ServiceError`], to configure retries or inspect a failed
/// request of the `entra`, `identity` or `chat` module.
///
/// This is the [`acs_http`] crate (with feature `entra`, `identity` or `chat`).
#[cfg(any(feature = "entra", feature = "identity", feature = "chat"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "entra", feature = "identity", feature = "chat")))
)]
pub mod http {
    #[doc(inline)]
    pub use acs_http::*;
}

// The user guides' examples are compiled as doctests.
#[cfg(all(doctest, feature = "identity"))]
#[doc = include_str!("../../../docs/getting-started.md")]
pub struct GettingStartedGuide;

// The workspace README's examples are compiled and run as doctests too.
#[cfg(all(doctest, feature = "identity"))]
#[doc = include_str!("../../../README.md")]
pub struct WorkspaceReadme;

#[cfg(all(doctest, feature = "identity"))]
#[doc = include_str!("../../../docs/troubleshooting.md")]
pub struct TroubleshootingGuide;

#[cfg(all(doctest, feature = "identity"))]
#[doc = include_str!("../../../docs/coming-from-other-sdks.md")]
pub struct ComingFromOtherSdksGuide;
