//! How each supported request type is read for signing and receives its headers.

use http::header::HOST;

use crate::AuthError;
use crate::signer::{AuthHeaders, Sealed, Target, default_port};

impl<B: AsRef<[u8]>> Sealed for http::Request<B> {
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
            body: self.body().as_ref(),
        })
    }

    fn apply(&mut self, headers: AuthHeaders) {
        headers.apply_to(self.headers_mut());
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
}

/// An empty path goes on the wire as `/`.
pub(crate) fn wire_path(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}
