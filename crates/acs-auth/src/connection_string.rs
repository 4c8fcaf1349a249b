use std::fmt;
use std::str::FromStr;

use url::Url;

use crate::{AccessKey, AuthError, HmacSigner, HmacVerifier};

/// An ACS connection string: `endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>`.
///
/// Parsing is forgiving about form and strict about content:
/// - keys are case-insensitive and may come in any order;
/// - white space around keys and values is ignored, and so are empty parts (a trailing `;`);
/// - keys other than `endpoint` and `accesskey` are ignored, so strings with extra settings work;
/// - the endpoint must be an absolute `http` or `https` URL with a host, and the key valid base64;
/// - a repeated key is an error rather than a silent "last one wins";
/// - a leading byte-order mark (U+FEFF, from a file saved with one) is ignored.
///
/// No error says anything about the text beyond a position or a key name: the text holds a key.
///
/// # No `Display`
/// The only text form of a connection string contains the access key, so this type deliberately
/// does not implement `Display` (nor serde): there is no way to print one back by accident. Its
/// `Debug` shows the endpoint and `AccessKey(<redacted>)`.
///
/// ```
/// use acs_auth::ConnectionString;
///
/// let cs: ConnectionString =
///     " AccessKey = pw== ; Endpoint = https://contoso.communication.azure.com/ ;".parse()?;
/// assert_eq!(cs.endpoint().as_str(), "https://contoso.communication.azure.com/");
/// assert!(!format!("{cs:?}").contains("pw=="));
/// # Ok::<(), acs_auth::AuthError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    endpoint: Url,
    access_key: AccessKey,
}

impl ConnectionString {
    /// Parses a connection string; see the type's documentation for the accepted forms.
    ///
    /// # Errors
    /// [`AuthError::MissingEndpoint`], [`AuthError::MissingAccessKey`],
    /// [`AuthError::DuplicateKey`], [`AuthError::PairWithoutEquals`],
    /// [`AuthError::InvalidEndpoint`] or [`AuthError::InvalidAccessKey`].
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        // A byte-order mark, as a file saved by some editors starts with, is not part of it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut endpoint: Option<&str> = None;
        let mut access_key: Option<&str> = None;
        for (index, part) in text.split(';').enumerate() {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            // Split at the first `=` only: base64 values end in `=`.
            let Some((key, value)) = part.split_once('=') else {
                return Err(AuthError::PairWithoutEquals {
                    position: index + 1,
                });
            };
            let key = key.trim();
            let (slot, name) = if key.eq_ignore_ascii_case("endpoint") {
                (&mut endpoint, "endpoint")
            } else if key.eq_ignore_ascii_case("accesskey") {
                (&mut access_key, "accesskey")
            } else {
                continue;
            };
            if slot.replace(value.trim()).is_some() {
                return Err(AuthError::DuplicateKey { key: name });
            }
        }
        let endpoint = endpoint
            .filter(|value| !value.is_empty())
            .ok_or(AuthError::MissingEndpoint)?;
        let access_key = access_key
            .filter(|value| !value.is_empty())
            .ok_or(AuthError::MissingAccessKey)?;
        let endpoint = parse_endpoint(endpoint)?;
        let access_key = AccessKey::from_base64(access_key)?;
        Ok(Self {
            endpoint,
            access_key,
        })
    }

    /// Builds one from an endpoint and a key held separately (as .NET's
    /// `new CommunicationIdentityClient(endpoint, new AzureKeyCredential(key))` does).
    ///
    /// # Errors
    /// [`AuthError::MissingEndpoint`] or [`AuthError::InvalidEndpoint`].
    pub fn from_parts(endpoint: &str, access_key: AccessKey) -> Result<Self, AuthError> {
        let endpoint = endpoint.trim();
        if endpoint.is_empty() {
            return Err(AuthError::MissingEndpoint);
        }
        Ok(Self {
            endpoint: parse_endpoint(endpoint)?,
            access_key,
        })
    }

    /// The resource endpoint, e.g. `https://contoso.communication.azure.com/`.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The resource access key.
    pub fn access_key(&self) -> &AccessKey {
        &self.access_key
    }

    /// Splits into endpoint and key.
    pub fn into_parts(self) -> (Url, AccessKey) {
        (self.endpoint, self.access_key)
    }

    /// A signer keyed with this connection string's access key.
    pub fn signer(&self) -> HmacSigner {
        HmacSigner::new(&self.access_key)
    }

    /// A verifier keyed with this connection string's access key, with the default clock skew.
    pub fn verifier(&self) -> HmacVerifier {
        HmacVerifier::new(&self.access_key)
    }
}

fn parse_endpoint(text: &str) -> Result<Url, AuthError> {
    let url = Url::parse(text).map_err(|source| AuthError::InvalidEndpoint {
        source: Some(source),
    })?;
    let http = matches!(url.scheme(), "http" | "https");
    // Credentials in the URL would be printed by `Debug`; ACS endpoints never carry any.
    let credentials = !url.username().is_empty() || url.password().is_some();
    if !http || credentials || url.host_str().is_none_or(str::is_empty) {
        return Err(AuthError::InvalidEndpoint { source: None });
    }
    Ok(url)
}

impl FromStr for ConnectionString {
    type Err = AuthError;

    /// Same as [`ConnectionString::parse`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionString")
            .field("endpoint", &self.endpoint.as_str())
            .field("access_key", &self.access_key)
            .finish()
    }
}
