//! How each supported request type is read for signing and receives its headers.

use http::header::HOST;

use crate::AuthError;
use crate::signer::{AuthHeaders, Sealed, Target, default_port};

/// A body [`HmacSigner::sign`](crate::HmacSigner::sign) can hash: bytes in memory, or `()` for
/// a request without a body (a `GET`), which is signed as an empty body.
///
/// Implemented for `()`, `[u8]`, `str`, `Vec<u8>`, `String`, `Box<[u8]>`, `[u8; N]`,
/// `Cow<[u8]>`, [`bytes::Bytes`] and references to any of them; implement it for a body type
/// of your own.
pub trait SignableBody {
    /// The bytes that will be sent.
    fn body_bytes(&self) -> &[u8];
}

impl SignableBody for () {
    fn body_bytes(&self) -> &[u8] {
        &[]
    }
}

macro_rules! signable_as_ref {
    ($($ty:ty),*) => {$(
        impl SignableBody for $ty {
            fn body_bytes(&self) -> &[u8] {
                self.as_ref()
            }
        }
    )*};
}
signable_as_ref!(
    [u8],
    str,
    Vec<u8>,
    String,
    Box<[u8]>,
    bytes::Bytes,
    std::borrow::Cow<'_, [u8]>
);

impl<T: SignableBody + ?Sized> SignableBody for &T {
    fn body_bytes(&self) -> &[u8] {
        (**self).body_bytes()
    }
}

impl<const N: usize> SignableBody for [u8; N] {
    fn body_bytes(&self) -> &[u8] {
        self
    }
}

impl<B: SignableBody> Sealed for http::Request<B> {
    fn target(&self) -> Result<Target<'_>, AuthError> {
        let uri = self.uri();
        let (host, port) = match uri.authority() {
            Some(authority) => {
                let port = authority
                    .port_u16()
                    .filter(|port| Some(*port) != default_port(uri.scheme_str()));
                (authority.host(), port)
            }
            // Origin-form URI: the Host header already says what will be sent.
            None => {
                let host = self
                    .headers()
                    .get(HOST)
                    .and_then(|value| value.to_str().ok())
                    .ok_or(AuthError::MissingHost)?;
                (host, None)
            }
        };
        if host.is_empty() {
            return Err(AuthError::MissingHost);
        }
        Ok(Target {
            method: self.method().as_str(),
            host,
            port,
            path: wire_path(uri.path()),
            query: uri.query().filter(|query| !query.is_empty()),
            body: self.body().body_bytes(),
        })
    }

    fn apply(&mut self, headers: AuthHeaders) {
        headers.apply_to(self.headers_mut());
    }

    fn signed_date(&self) -> Option<&str> {
        self.headers()
            .get(crate::X_MS_DATE)
            .and_then(|value| value.to_str().ok())
    }
}

#[cfg(feature = "reqwest")]
impl Sealed for reqwest::Request {
    fn target(&self) -> Result<Target<'_>, AuthError> {
        let url = self.url();
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or(AuthError::MissingHost)?;
        let body = match self.body() {
            None => &[][..],
            Some(body) => body.as_bytes().ok_or(AuthError::BodyNotBuffered)?,
        };
        Ok(Target {
            method: self.method().as_str(),
            host,
            // `Url::port` is already `None` for the scheme's default port.
            port: url.port(),
            path: wire_path(url.path()),
            query: url.query().filter(|query| !query.is_empty()),
            body,
        })
    }

    fn apply(&mut self, headers: AuthHeaders) {
        headers.apply_to(self.headers_mut());
    }

    fn signed_date(&self) -> Option<&str> {
        self.headers()
            .get(crate::X_MS_DATE)
            .and_then(|value| value.to_str().ok())
    }
}

/// An empty path goes on the wire as `/`.
pub(crate) fn wire_path(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}
