use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use acs_identifiers::CommunicationUserIdentifier;
use acs_refresh::{BoxError, RefreshedToken, TokenRefresher};

use crate::client::{CommunicationIdentityClient, expires_in_minutes};
use acs_http::ServiceErrorSource;

use crate::error::IdentityError;
use crate::scope::CommunicationTokenScope;

/// A [`TokenRefresher`] that issues one user a new token for fixed scopes on every call, so a
/// [`CommunicationTokenCredential`](acs_refresh::CommunicationTokenCredential) can keep a
/// service's own ACS identity signed in. Made by [`CommunicationIdentityClient::refresher`].
///
/// Each refresh is one `get_token` call (with the client's retries); its token comes back with
/// the service's `expiresOn`, so the credential never has to read the JWT. Failures reach the
/// credential as [`IdentityError`]s (its retry and backoff take over from there). A refresher
/// made with no scope fails every refresh with [`IdentityError::RefresherWithoutScopes`],
/// before sending anything.
#[derive(Clone)]
pub struct IdentityTokenRefresher {
    client: CommunicationIdentityClient,
    user: CommunicationUserIdentifier,
    scopes: Arc<[CommunicationTokenScope]>,
    expires_in: Option<Duration>,
}

impl IdentityTokenRefresher {
    pub(crate) fn new(
        client: CommunicationIdentityClient,
        user: CommunicationUserIdentifier,
        scopes: Vec<CommunicationTokenScope>,
    ) -> Self {
        IdentityTokenRefresher {
            client,
            user,
            scopes: scopes.into(),
            expires_in: None,
        }
    }

    /// Asks for tokens living `expires_in` (whole minutes; the service decides which it
    /// accepts) instead of the service's default of 24 hours.
    ///
    /// # Errors
    /// [`IdentityError::InvalidExpiresIn`] when it is not a whole, non-zero number of minutes.
    pub fn expires_in(mut self, expires_in: Duration) -> Result<Self, IdentityError> {
        expires_in_minutes(Some(expires_in))?;
        self.expires_in = Some(expires_in);
        Ok(self)
    }

    /// The user tokens are issued to.
    pub fn user(&self) -> &CommunicationUserIdentifier {
        &self.user
    }

    /// The scopes tokens are issued for (empty when the refresher was made without any: then
    /// every refresh fails with [`IdentityError::RefresherWithoutScopes`]).
    pub fn scopes(&self) -> &[CommunicationTokenScope] {
        &self.scopes
    }
}

impl fmt::Debug for IdentityTokenRefresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityTokenRefresher")
            .field("endpoint", self.client.endpoint())
            .field("user", &self.user)
            .field("scopes", &self.scopes)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

#[async_trait::async_trait]
impl TokenRefresher for IdentityTokenRefresher {
    async fn refresh(&self) -> Result<RefreshedToken, BoxError> {
        // `get_token` would refuse this too, but with a message that does not point at the
        // refresher's construction, where the fix is.
        if self.scopes.is_empty() {
            return Err(IdentityError::RefresherWithoutScopes.into());
        }
        let token = self
            .client
            .get_token(&self.user, self.scopes.iter(), self.expires_in)
            .await?;
        Ok(RefreshedToken::Token(token))
    }

    /// The identity service's `Retry-After` (a throttled or unavailable answer): the
    /// credential asks for no new token before it has passed.
    fn retry_after(
        &self,
        error: &(dyn std::error::Error + Send + Sync + 'static),
    ) -> Option<Duration> {
        error.retry_after()
    }
}
