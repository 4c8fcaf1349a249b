use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use url::{Host, Url};

use crate::error::EndpointError;

/// A validated ACS resource endpoint, e.g. `https://contoso.communication.azure.com/`.
///
/// Rules: an absolute `https` URL with a host, no user name or password, no query or fragment.
/// Plain `http` is accepted only for loopback hosts (`127.0.0.0/8`, `::1`, `localhost`), for
/// tests and the local emulator.
///
/// ```
/// use acs_http::{Endpoint, EndpointError};
///
/// let endpoint: Endpoint = "https://contoso.communication.azure.com/".parse()?;
/// let url = endpoint.url_for("/access/entra/:exchangeAccessToken");
/// assert_eq!(url.as_str(), "https://contoso.communication.azure.com/access/entra/:exchangeAccessToken");
///
/// assert!("http://127.0.0.1:8080".parse::<Endpoint>().is_ok());
/// assert_eq!(
///     "http://contoso.communication.azure.com".parse::<Endpoint>(),
///     Err(EndpointError::InsecureHttp)
/// );
/// # Ok::<(), EndpointError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    url: Url,
}

impl Endpoint {
    /// Validates an endpoint given as text.
    ///
    /// # Errors
    /// An [`EndpointError`] naming the broken rule; it never echoes the input.
    pub fn parse(text: &str) -> Result<Self, EndpointError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(EndpointError::Empty);
        }
        let url = Url::parse(text).map_err(|source| EndpointError::Invalid { source })?;
        Endpoint::try_from(url)
    }

    /// The endpoint URL (its path always ends with `/`).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The endpoint as text.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// Whether the host is a loopback address (where plain http is allowed).
    pub fn is_loopback(&self) -> bool {
        self.url.host().is_some_and(|host| is_loopback(&host))
    }

    /// The URL of an operation: `path` (e.g. `/identities/{id}/:issueAccessToken`) appended to
    /// the endpoint's own path, with no query. Add the `api-version` with
    /// [`Url::query_pairs_mut`].
    ///
    /// The path is appended as text, not resolved as a relative reference, so segments such
    /// as `:exchangeAccessToken` are kept as they are.
    pub fn url_for(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        let joined = format!(
            "{}/{}",
            self.url.path().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        url.set_path(&joined);
        url
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.');
            name.eq_ignore_ascii_case("localhost")
        }
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

impl TryFrom<Url> for Endpoint {
    type Error = EndpointError;

    fn try_from(mut url: Url) -> Result<Self, Self::Error> {
        let loopback = match url.host() {
            None => return Err(EndpointError::MissingHost),
            Some(Host::Domain("")) => return Err(EndpointError::MissingHost),
            Some(host) => is_loopback(&host),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(EndpointError::InsecureHttp),
            other => {
                return Err(EndpointError::UnsupportedScheme {
                    scheme: other.to_owned(),
                });
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(EndpointError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(EndpointError::QueryOrFragment);
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Endpoint { url })
    }
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Endpoint::parse(text)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Endpoint").field(&self.url.as_str()).finish()
    }
}

impl AsRef<str> for Endpoint {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}
