//! A fake Entra ID credential for tests (feature `test-util`).
//!
//! [`FakeEntraCredential`] hands out a token of the test's choosing, valid for an hour, counts
//! its calls and records the scopes each call asked for. The test can rotate the token or make
//! every later call fail.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use std::sync::Arc;
//!
//! use acs_entra::TokenCredential;
//! use acs_entra::test_util::FakeEntraCredential;
//!
//! let entra = Arc::new(FakeEntraCredential::new("entra-token-one"));
//! // ... hand `entra.clone()` to the code under test as its `Arc<dyn TokenCredential>` ...
//! let token = entra.get_token(&["scope/.default"], None).await.unwrap();
//! assert_eq!(token.token.secret(), "entra-token-one");
//!
//! entra.rotate("entra-token-two");
//! let token = entra.get_token(&["scope/.default"], None).await.unwrap();
//! assert_eq!(token.token.secret(), "entra-token-two");
//!
//! entra.fail_with("no sign-in available");
//! assert!(entra.get_token(&["scope/.default"], None).await.is_err());
//!
//! assert_eq!(entra.calls(), 3);
//! assert_eq!(entra.scopes_seen(), vec![vec!["scope/.default".to_owned()]; 3]);
//! // Debug output never shows the token.
//! assert!(!format!("{entra:?}").contains("entra-token"));
//! # }
//! ```

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use time::{Duration, OffsetDateTime};

/// How long each token the fake hands out is valid, from the system clock's now.
const TOKEN_LIFETIME: Duration = Duration::hours(1);

/// A fake Entra ID [`TokenCredential`]: a fixed token the test can rotate, a call counter, the
/// scopes of each call, and an optional failure. Its `Debug` output leaves the token out.
pub struct FakeEntraCredential {
    calls: AtomicUsize,
    token: Mutex<String>,
    failure: Mutex<Option<String>>,
    scopes: Mutex<Vec<Vec<String>>>,
}

impl FakeEntraCredential {
    /// A credential that hands out `token` until [`rotate`](Self::rotate)d.
    pub fn new(token: impl Into<String>) -> Self {
        FakeEntraCredential {
            calls: AtomicUsize::new(0),
            token: Mutex::new(token.into()),
            failure: Mutex::new(None),
            scopes: Mutex::new(Vec::new()),
        }
    }

    /// Hands out `token` from the next call on.
    pub fn rotate(&self, token: impl Into<String>) {
        *lock(&self.token) = token.into();
    }

    /// Fails every later call with a credential error carrying `message`.
    pub fn fail_with(&self, message: impl Into<String>) {
        *lock(&self.failure) = Some(message.into());
    }

    /// How many times `get_token` was called, failed calls included.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// The scopes of each call so far, in call order.
    pub fn scopes_seen(&self) -> Vec<Vec<String>> {
        lock(&self.scopes).clone()
    }
}

impl fmt::Debug for FakeEntraCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeEntraCredential")
            .field("calls", &self.calls())
            .field("failing", &lock(&self.failure).is_some())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl TokenCredential for FakeEntraCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        lock(&self.scopes).push(scopes.iter().map(|scope| (*scope).to_owned()).collect());
        if let Some(message) = lock(&self.failure).clone() {
            return Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                message,
            ));
        }
        let token = lock(&self.token).clone();
        Ok(AccessToken::new(
            token,
            OffsetDateTime::now_utc() + TOKEN_LIFETIME,
        ))
    }
}

/// A test that panicked while holding a lock should not hide the fake's state from the next.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
