use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use acs_auth::{AccessKey, ConnectionString, HmacSigner};
use acs_http::{BoxError, Endpoint, HttpClient, HttpClientOptions, RetryPolicy, TokenResponse};
use acs_identifiers::CommunicationUserIdentifier;
use acs_token::AccessToken;
use http::Method;
use http::header::{ACCEPT, CONTENT_TYPE};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::{IdentityError, IdentityOperation};
use crate::refresher::IdentityTokenRefresher;
use crate::scope::CommunicationTokenScope;
use crate::wire::{
    CreateIdentityRequest, CreateIdentityResponse, IssueTokenRequest, TeamsUserExchangeRequest,
};

/// The identity API version this client speaks unless told otherwise.
pub const DEFAULT_API_VERSION: &str = "2025-06-30";

/// The Entra ID scope a bearer token for the ACS data plane is requested for.
pub const ENTRA_SCOPE: &str = "https://communication.azure.com//.default";

/// The shortest token lifetime the public service accepts: 60 minutes. Not checked by this
/// client (the service decides; an emulator may accept less).
pub const MIN_EXPIRES_IN: Duration = Duration::from_secs(60 * 60);

/// The longest token lifetime the public service accepts (and its default): 24 hours. Not
/// checked by this client.
pub const MAX_EXPIRES_IN: Duration = Duration::from_secs(24 * 60 * 60);

/// Path segments keep only unreserved characters; `:` in `8:acs:...` becomes `%3A`, as the
/// official clients send it.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A client for the Azure Communication Services identity API: create and delete users, issue
/// and revoke their access tokens, and exchange Teams users' Entra ID tokens.
///
/// Requests are signed with the resource's access key (HMAC-SHA256, each attempt signed anew
/// so retries carry a fresh date) or, with feature `entra`, carry an Entra ID bearer token.
/// Retries, timeouts and error decoding come from [`acs_http`]. Clones share one connection
/// pool; the client is `Send + Sync`, and its `Debug` output shows no secret.
#[derive(Clone)]
pub struct CommunicationIdentityClient {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Endpoint,
    authentication: Authentication,
    http: HttpClient,
    api_version: String,
}

enum Authentication {
    Hmac(HmacSigner),
    #[cfg(feature = "entra")]
    Entra(Arc<dyn azure_core::credentials::TokenCredential>),
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `HmacSigner`'s own `Debug` never prints the key.
            Authentication::Hmac(signer) => f.debug_tuple("Hmac").field(signer).finish(),
            #[cfg(feature = "entra")]
            Authentication::Entra(_) => f.write_str("EntraId"),
        }
    }
}

/// How a [`CommunicationIdentityClient`] authenticates: with the resource's access key (every
/// request signed with HMAC-SHA256) or, with feature `entra`, with an Entra ID credential (a
/// bearer token for [`ENTRA_SCOPE`] on every request). Made with `From`, so
/// [`CommunicationIdentityClient::builder`] takes either directly.
#[derive(Clone)]
#[non_exhaustive]
pub enum IdentityAuthentication {
    /// The resource's access key.
    AccessKey(AccessKey),
    /// An Entra ID credential (credentials cache their tokens).
    #[cfg(feature = "entra")]
    TokenCredential(Arc<dyn azure_core::credentials::TokenCredential>),
}

impl fmt::Debug for IdentityAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityAuthentication::AccessKey(key) => {
                f.debug_tuple("AccessKey").field(key).finish()
            }
            // A credential's own Debug may show its secrets; never delegate to it.
            #[cfg(feature = "entra")]
            IdentityAuthentication::TokenCredential(_) => f.write_str("TokenCredential(..)"),
        }
    }
}

impl From<AccessKey> for IdentityAuthentication {
    fn from(key: AccessKey) -> Self {
        IdentityAuthentication::AccessKey(key)
    }
}

#[cfg(feature = "entra")]
impl From<Arc<dyn azure_core::credentials::TokenCredential>> for IdentityAuthentication {
    fn from(credential: Arc<dyn azure_core::credentials::TokenCredential>) -> Self {
        IdentityAuthentication::TokenCredential(credential)
    }
}

#[cfg(feature = "entra")]
impl<C: azure_core::credentials::TokenCredential + 'static> From<Arc<C>>
    for IdentityAuthentication
{
    fn from(credential: Arc<C>) -> Self {
        IdentityAuthentication::TokenCredential(credential)
    }
}

impl From<IdentityAuthentication> for Authentication {
    fn from(authentication: IdentityAuthentication) -> Self {
        match authentication {
            IdentityAuthentication::AccessKey(key) => Authentication::Hmac(HmacSigner::new(&key)),
            #[cfg(feature = "entra")]
            IdentityAuthentication::TokenCredential(credential) => {
                Authentication::Entra(credential)
            }
        }
    }
}

impl fmt::Debug for CommunicationIdentityClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommunicationIdentityClient")
            .field("endpoint", &self.inner.endpoint)
            .field("authentication", &self.inner.authentication)
            .field("api_version", &self.inner.api_version)
            .field("retry_policy", self.inner.http.retry_policy())
            .finish_non_exhaustive()
    }
}

impl CommunicationIdentityClient {
    /// A client for the resource of `connection_string`
    /// (`endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>`), with
    /// the default options.
    ///
    /// # Errors
    /// [`IdentityError::ConnectionString`] when the string cannot be read (the error never
    /// repeats it), [`IdentityError::Endpoint`] when its endpoint is plain `http` on a host
    /// that is not loopback, [`IdentityError::HttpClient`] when the HTTP client cannot be built.
    pub fn from_connection_string(connection_string: &str) -> Result<Self, IdentityError> {
        let connection_string =
            ConnectionString::parse(connection_string).map_err(IdentityError::ConnectionString)?;
        Self::new(connection_string)
    }

    /// A client for the resource of `connection_string`, with the default options.
    ///
    /// # Errors
    /// As [`from_connection_string`](Self::from_connection_string), less the parsing.
    pub fn new(connection_string: ConnectionString) -> Result<Self, IdentityError> {
        let (endpoint, key) = connection_string.into_parts();
        Self::builder(endpoint, key).build()
    }

    /// A builder for a client of the resource at `endpoint`, authenticated with its access key
    /// ([`AccessKey`]) or, with feature `entra`, an Entra ID credential
    /// (`Arc<dyn TokenCredential>`): each operation then asks it for a token for
    /// [`ENTRA_SCOPE`]. The endpoint is checked by
    /// [`build`](CommunicationIdentityClientBuilder::build).
    ///
    /// ```
    /// use acs_auth::AccessKey;
    /// use acs_identity::CommunicationIdentityClient;
    ///
    /// let key: AccessKey = "pw==".parse()?;
    /// let client =
    ///     CommunicationIdentityClient::builder("https://contoso.communication.azure.com", key)
    ///         .build()?;
    /// assert_eq!(client.endpoint().as_str(), "https://contoso.communication.azure.com/");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(
        endpoint: impl AsRef<str>,
        authentication: impl Into<IdentityAuthentication>,
    ) -> CommunicationIdentityClientBuilder {
        CommunicationIdentityClientBuilder::new(
            endpoint.as_ref().to_owned(),
            authentication.into().into(),
        )
    }

    /// The resource endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The `api-version` sent with every request.
    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    /// The HTTP client (and its retry policy) requests go through.
    pub fn http_client(&self) -> &HttpClient {
        &self.inner.http
    }

    /// Creates a user (`POST /identities`).
    ///
    /// # Errors
    /// [`IdentityError::Request`] when the request fails (see its accessors for the status and
    /// ACS error code), [`IdentityError::UnexpectedResponse`] when the answer has no identity.
    pub async fn create_user(&self) -> Result<CommunicationUserIdentifier, IdentityError> {
        let operation = IdentityOperation::CreateUser;
        let body = CreateIdentityRequest::default();
        let response: CreateIdentityResponse = self
            .send_json(operation, Method::POST, "/identities", Some(&body))
            .await?;
        response.user(operation)
    }

    /// Creates a user and issues it a token for `scopes`, in one request.
    ///
    /// `expires_in` is the token's lifetime in whole minutes (the wire's unit); `None` lets the
    /// service choose (24 hours). The service decides which lifetimes it accepts (the public
    /// service: [`MIN_EXPIRES_IN`] to [`MAX_EXPIRES_IN`]) and answers others with HTTP 400.
    ///
    /// # Errors
    /// [`IdentityError::NoScopes`], [`IdentityError::InvalidExpiresIn`] before sending; then as
    /// [`create_user`](Self::create_user), and [`IdentityError::UnexpectedResponse`] when the
    /// answer has no token or an empty one.
    pub async fn create_user_and_token<S>(
        &self,
        scopes: impl IntoIterator<Item = S>,
        expires_in: Option<Duration>,
    ) -> Result<(CommunicationUserIdentifier, AccessToken), IdentityError>
    where
        S: Into<CommunicationTokenScope>,
    {
        let operation = IdentityOperation::CreateUserAndToken;
        let scopes = collect_scopes(scopes)?;
        let body = CreateIdentityRequest {
            create_token_with_scopes: Some(scopes.iter().map(|s| s.as_str()).collect()),
            expires_in_minutes: expires_in_minutes(expires_in)?,
        };
        let response: CreateIdentityResponse = self
            .send_json(operation, Method::POST, "/identities", Some(&body))
            .await?;
        let token = response.access_token.clone();
        let user = response.user(operation)?;
        let token = token.ok_or(IdentityError::UnexpectedResponse {
            operation,
            reason: "the answer has no accessToken",
        })?;
        Ok((user, access_token(operation, token)?))
    }

    /// Issues `user` a token for `scopes`
    /// (`POST /identities/{id}/:issueAccessToken`). `expires_in` as in
    /// [`create_user_and_token`](Self::create_user_and_token).
    ///
    /// # Errors
    /// [`IdentityError::NoScopes`], [`IdentityError::InvalidExpiresIn`] or
    /// [`IdentityError::EmptyArgument`] before sending; [`IdentityError::Request`] when the
    /// request fails ([`is_not_found`](IdentityError::is_not_found) for an unknown or deleted
    /// user); [`IdentityError::UnexpectedResponse`] when the answer's token is empty.
    pub async fn get_token<S>(
        &self,
        user: &CommunicationUserIdentifier,
        scopes: impl IntoIterator<Item = S>,
        expires_in: Option<Duration>,
    ) -> Result<AccessToken, IdentityError>
    where
        S: Into<CommunicationTokenScope>,
    {
        let operation = IdentityOperation::GetToken;
        let scopes = collect_scopes(scopes)?;
        let body = IssueTokenRequest {
            scopes: scopes.iter().map(|s| s.as_str()).collect(),
            expires_in_minutes: expires_in_minutes(expires_in)?,
        };
        let path = format!("/identities/{}/:issueAccessToken", user_segment(user)?);
        let response: TokenResponse = self
            .send_json(operation, Method::POST, &path, Some(&body))
            .await?;
        access_token(operation, response)
    }

    /// Revokes every token issued to `user` so far
    /// (`POST /identities/{id}/:revokeAccessTokens`).
    ///
    /// # Errors
    /// [`IdentityError::EmptyArgument`] before sending; [`IdentityError::Request`] when the
    /// request fails.
    pub async fn revoke_tokens(
        &self,
        user: &CommunicationUserIdentifier,
    ) -> Result<(), IdentityError> {
        let path = format!("/identities/{}/:revokeAccessTokens", user_segment(user)?);
        self.send(
            IdentityOperation::RevokeTokens,
            Method::POST,
            &path,
            None::<&()>,
        )
        .await
        .map(drop)
    }

    /// Deletes `user` and revokes its tokens (`DELETE /identities/{id}`).
    ///
    /// # Errors
    /// [`IdentityError::EmptyArgument`] before sending; [`IdentityError::Request`] when the
    /// request fails.
    pub async fn delete_user(
        &self,
        user: &CommunicationUserIdentifier,
    ) -> Result<(), IdentityError> {
        let path = format!("/identities/{}", user_segment(user)?);
        self.send(
            IdentityOperation::DeleteUser,
            Method::DELETE,
            &path,
            None::<&()>,
        )
        .await
        .map(drop)
    }

    /// Exchanges a Teams user's Entra ID token for an ACS token
    /// (`POST /teamsUser/:exchangeAccessToken`). `token` is the Entra ID token of the Teams
    /// user, `app_id` the Entra application it was issued to and `user_id` the user's object
    /// id; the service checks they agree.
    ///
    /// # Errors
    /// [`IdentityError::EmptyArgument`] before sending; [`IdentityError::Request`] when the
    /// request fails; [`IdentityError::UnexpectedResponse`] when the answer's token is empty.
    /// No error repeats the token.
    pub async fn get_token_for_teams_user(
        &self,
        token: &str,
        app_id: &str,
        user_id: &str,
    ) -> Result<AccessToken, IdentityError> {
        for (value, argument) in [(token, "token"), (app_id, "app_id"), (user_id, "user_id")] {
            if value.trim().is_empty() {
                return Err(IdentityError::EmptyArgument { argument });
            }
        }
        let body = TeamsUserExchangeRequest {
            token,
            app_id,
            user_id,
        };
        let operation = IdentityOperation::GetTokenForTeamsUser;
        let response: TokenResponse = self
            .send_json(
                operation,
                Method::POST,
                "/teamsUser/:exchangeAccessToken",
                Some(&body),
            )
            .await?;
        access_token(operation, response)
    }

    /// A [`TokenRefresher`](acs_refresh::TokenRefresher) that issues `user` a new token for
    /// `scopes` each time it is called, for a
    /// [`CommunicationTokenCredential`](acs_refresh::CommunicationTokenCredential) holding a
    /// service's own ACS identity. See [`IdentityTokenRefresher`].
    ///
    /// `scopes` must name at least one scope. This method cannot fail, so an empty list is not
    /// refused here: the refresher is made (and a `tracing` warning logged), and each of its
    /// refreshes then fails with [`IdentityError::RefresherWithoutScopes`] without sending a
    /// request, which the credential reports as a refresher error.
    pub fn refresher<S>(
        &self,
        user: CommunicationUserIdentifier,
        scopes: impl IntoIterator<Item = S>,
    ) -> IdentityTokenRefresher
    where
        S: Into<CommunicationTokenScope>,
    {
        let scopes: Vec<CommunicationTokenScope> = scopes.into_iter().map(Into::into).collect();
        if scopes.is_empty() {
            tracing::warn!(
                "CommunicationIdentityClient::refresher was given no scopes: every refresh will fail"
            );
        }
        IdentityTokenRefresher::new(self.clone(), user, scopes)
    }

    async fn send_json<T, B>(
        &self,
        operation: IdentityOperation,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, IdentityError>
    where
        T: serde::de::DeserializeOwned,
        B: serde::Serialize + ?Sized,
    {
        self.send(operation, method, path, body)
            .await?
            .json()
            .map_err(|source| IdentityError::Request { operation, source })
    }

    /// Sends one operation's request through the retry loop, signing (or authorizing) every
    /// attempt afresh.
    async fn send<B>(
        &self,
        operation: IdentityOperation,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<acs_http::Response, IdentityError>
    where
        B: serde::Serialize + ?Sized,
    {
        let inner = &*self.inner;
        let mut url = inner.endpoint.url_for(path);
        url.query_pairs_mut()
            .append_pair("api-version", &inner.api_version);
        let body: Option<Vec<u8>> =
            match body {
                // Serializing our own request types cannot fail; map it anyway rather than panic.
                Some(body) => Some(serde_json::to_vec(body).map_err(|_| {
                    IdentityError::UnexpectedResponse {
                        operation,
                        reason: "the request body could not be serialized",
                    }
                })?),
                None => None,
            };
        let bearer = self.bearer(operation).await?;
        tracing::debug!(%operation, %method, path = url.path(), "calling the ACS identity API");

        let result = inner
            .http
            .send(|client| {
                let mut builder = client
                    .request(method.clone(), url.clone())
                    .header(ACCEPT, "application/json");
                builder = match &body {
                    Some(body) => builder
                        .header(CONTENT_TYPE, "application/json")
                        .body(body.clone()),
                    // An explicit empty body gives `Content-Length: 0` on a bodiless POST.
                    None if method == Method::POST => builder.body(Vec::new()),
                    None => builder,
                };
                let mut request = builder.build()?;
                match &inner.authentication {
                    Authentication::Hmac(signer) => signer.sign(&mut request)?,
                    #[cfg(feature = "entra")]
                    Authentication::Entra(_) => {
                        if let Some(bearer) = &bearer {
                            request
                                .headers_mut()
                                .insert(http::header::AUTHORIZATION, bearer.clone());
                        }
                    }
                }
                Ok::<_, BoxError>(request)
            })
            .await;
        let _ = &bearer; // used only by the Entra arm
        result.map_err(|source| IdentityError::Request { operation, source })
    }

    /// The `Authorization: Bearer` value for this operation (Entra ID), or `None` (HMAC).
    async fn bearer(
        &self,
        operation: IdentityOperation,
    ) -> Result<Option<http::HeaderValue>, IdentityError> {
        match &self.inner.authentication {
            Authentication::Hmac(_) => {
                let _ = operation;
                Ok(None)
            }
            #[cfg(feature = "entra")]
            Authentication::Entra(credential) => {
                let token = credential
                    .get_token(&[ENTRA_SCOPE], None)
                    .await
                    .map_err(|source| IdentityError::EntraCredential { operation, source })?;
                let mut value =
                    http::HeaderValue::try_from(format!("Bearer {}", token.token.secret()))
                        .map_err(|_| IdentityError::UnexpectedResponse {
                            operation,
                            reason: "the Entra ID token is not a valid header value",
                        })?;
                value.set_sensitive(true);
                Ok(Some(value))
            }
        }
    }
}

/// The token of a success answer; an empty one is no token (acs-entra refuses it too).
fn access_token(
    operation: IdentityOperation,
    response: TokenResponse,
) -> Result<AccessToken, IdentityError> {
    if response.token.expose().is_empty() {
        return Err(IdentityError::UnexpectedResponse {
            operation,
            reason: "the answer's token is empty",
        });
    }
    Ok(response.into())
}

/// Checks and collects scopes: at least one is required.
fn collect_scopes<S: Into<CommunicationTokenScope>>(
    scopes: impl IntoIterator<Item = S>,
) -> Result<Vec<CommunicationTokenScope>, IdentityError> {
    let scopes: Vec<CommunicationTokenScope> = scopes.into_iter().map(Into::into).collect();
    if scopes.is_empty() {
        return Err(IdentityError::NoScopes);
    }
    Ok(scopes)
}

/// Converts a token lifetime to the wire's `expiresInMinutes`. Only the unit is checked (a
/// whole, non-zero number of minutes that fits the wire's integer): which lifetimes are
/// allowed is the service's decision.
pub(crate) fn expires_in_minutes(
    expires_in: Option<Duration>,
) -> Result<Option<u32>, IdentityError> {
    let Some(expires_in) = expires_in else {
        return Ok(None);
    };
    let whole_minutes = expires_in.subsec_nanos() == 0 && expires_in.as_secs() % 60 == 0;
    match u32::try_from(expires_in.as_secs() / 60) {
        Ok(minutes) if whole_minutes && minutes > 0 && minutes <= i32::MAX as u32 => {
            Ok(Some(minutes))
        }
        _ => Err(IdentityError::InvalidExpiresIn { expires_in }),
    }
}

/// The user's id as one percent-encoded path segment.
fn user_segment(user: &CommunicationUserIdentifier) -> Result<String, IdentityError> {
    let id = user.id();
    if id.trim().is_empty() {
        return Err(IdentityError::EmptyArgument { argument: "user" });
    }
    Ok(utf8_percent_encode(id, PATH_SEGMENT).to_string())
}

/// Builds a [`CommunicationIdentityClient`] with options: api-version, HTTP client, retry
/// policy, timeouts.
///
/// ```
/// use std::time::Duration;
/// use acs_http::RetryPolicy;
/// use acs_identity::CommunicationIdentityClient;
///
/// let key: acs_auth::AccessKey = "pw==".parse()?;
/// let client = CommunicationIdentityClient::builder("https://contoso.communication.azure.com", key)
///     .api_version("2023-10-01")
///     .retry_policy(RetryPolicy::default().max_retries(5))
///     .request_timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(client.api_version(), "2023-10-01");
/// assert_eq!(client.http_client().retry_policy().retries(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CommunicationIdentityClientBuilder {
    endpoint: String,
    authentication: Authentication,
    api_version: String,
    http: HttpClientOptions,
}

impl fmt::Debug for CommunicationIdentityClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommunicationIdentityClientBuilder")
            // Unchecked text could hold user-info credentials: not shown until validated.
            .field("endpoint", &"<unchecked>")
            .field("authentication", &self.authentication)
            .field("api_version", &self.api_version)
            .field("http", &self.http)
            .finish()
    }
}

impl CommunicationIdentityClientBuilder {
    fn new(endpoint: String, authentication: Authentication) -> Self {
        CommunicationIdentityClientBuilder {
            endpoint,
            authentication,
            api_version: DEFAULT_API_VERSION.to_owned(),
            http: HttpClientOptions::default(),
        }
    }

    /// The `api-version` to send (default [`DEFAULT_API_VERSION`], `2025-06-30`).
    pub fn api_version(mut self, api_version: impl Into<String>) -> Self {
        self.api_version = api_version.into();
        self
    }

    /// Sends through `http` (to share its connection pool with other clients). Its retry
    /// policy applies unless [`retry_policy`](Self::retry_policy) is also set; the timeouts
    /// of this builder are then ignored (the client's own apply).
    pub fn http_client(mut self, http: HttpClient) -> Self {
        self.http = self.http.http_client(http);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]: 3 retries, exponential delays from
    /// 0.8 s, a 120 s total bound).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.http = self.http.retry_policy(policy);
        self
    }

    /// The timeout of each attempt (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.http = self.http.request_timeout(timeout);
        self
    }

    /// The connection timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http = self.http.connect_timeout(timeout);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`IdentityError::Endpoint`] when the endpoint is not `https` (plain `http` is allowed
    /// for loopback hosts only), has a query, or credentials; [`IdentityError::HttpClient`]
    /// when the HTTP client cannot be built.
    pub fn build(self) -> Result<CommunicationIdentityClient, IdentityError> {
        let endpoint = Endpoint::parse(&self.endpoint).map_err(IdentityError::Endpoint)?;
        let http = self.http.build().map_err(IdentityError::HttpClient)?;
        Ok(CommunicationIdentityClient {
            inner: Arc::new(Inner {
                endpoint,
                authentication: self.authentication,
                http,
                api_version: self.api_version,
            }),
        })
    }
}
