use std::fmt;

use acs_token::Redacted;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit as _, Mac as _};
use http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::date::format_rfc1123;
use crate::{AccessKey, AuthError};

/// The `x-ms-date` header: when the request was signed, as an RFC 1123 date.
pub const X_MS_DATE: HeaderName = HeaderName::from_static("x-ms-date");
/// The `x-ms-content-sha256` header: base64 of the SHA-256 of the body.
pub const X_MS_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-ms-content-sha256");

/// Everything in the `Authorization` value before the signature.
pub(crate) const AUTHORIZATION_PREFIX: &str =
    "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=";
/// Length of base64 text for 32 bytes (a SHA-256 digest or an HMAC-SHA256 tag).
pub(crate) const DIGEST_BASE64_LEN: usize = 44;

/// Signs requests for an ACS resource with its access key (HMAC-SHA256, as the service expects).
///
/// The key is absorbed once, in [`HmacSigner::new`]; each signature starts from a copy of that
/// keyed state, so signing allocates nothing beyond the three header values it returns. A signer
/// is cheap to clone and is `Send + Sync`. Its `Debug` does not show the key.
///
/// What gets signed, following the ACS protocol:
/// - `x-ms-date`: the signing time as an RFC 1123 date (`Wed, 13 Apr 2022 18:09:12 GMT`);
/// - `x-ms-content-sha256`: base64 of the SHA-256 of the body;
/// - the string to sign `VERB\npathAndQuery\ndate;host;contentHash`, where `pathAndQuery` is the
///   path as it goes on the wire (percent-encoding untouched) plus `?query` only when the query is
///   not empty, and `host` is the URI's host, with the port only when it is not the scheme's
///   default (443 for https, 80 for http);
/// - `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64 HMAC>`.
///
/// # Which host is signed
/// The signer signs the host that will be sent: for an absolute URI that is its authority's host
/// and non-default port, which is what hyper (and so reqwest) puts in the `Host` header when the
/// request has none. A `Host` header already on an [`http::Request`] is only used when its URI has
/// no authority (origin-form, such as `/identities`); with an absolute URI, set no `Host` header
/// of your own, or make it agree with the URI.
#[derive(Clone, Debug)]
pub struct HmacSigner {
    key: Redacted<Hmac<Sha256>>,
}

/// A request in plain parts, for signing requests of HTTP libraries this crate has no adapter for
/// (see [`HmacSigner::sign_parts`]). Every field is signed exactly as given, except the method,
/// which is upper-cased as every official SDK does. [`from_url`](Self::from_url) derives the
/// host and path fields from a URL by the protocol's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestParts<'a> {
    /// The method, as sent (`GET`, `POST`, ...).
    pub method: &'a str,
    /// The host as it will appear in the `Host` header, with the port only when it is not the
    /// scheme's default: `contoso.communication.azure.com`, `localhost:8443`.
    pub host: &'a str,
    /// The request target as it will go on the wire: path, plus `?query` only when there is a
    /// query. `/identities?api-version=2025-06-30`.
    pub path_and_query: &'a str,
    /// The body bytes (empty for none).
    pub body: &'a [u8],
}

/// The three headers that authenticate a request, as computed by [`HmacSigner::sign_parts`].
///
/// `Debug` shows the date and content hash but not the signature: a signed request can be
/// replayed for as long as the service accepts its date.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthHeaders {
    date: HeaderValue,
    content_sha256: HeaderValue,
    authorization: HeaderValue,
}

impl<'a> RequestParts<'a> {
    /// The parts of a request to `url`: the host with its port only when it is not the
    /// scheme's default, and the path plus `?query` only when the query is not empty, as they
    /// go on the wire.
    ///
    /// ```
    /// use acs_auth::RequestParts;
    ///
    /// let url = url::Url::parse("https://localhost:8443/identities?api-version=2025-06-30")?;
    /// let parts = RequestParts::from_url("post", &url, b"{}");
    /// assert_eq!(parts.host, "localhost:8443");
    /// assert_eq!(parts.path_and_query, "/identities?api-version=2025-06-30");
    ///
    /// let url = url::Url::parse("https://contoso.communication.azure.com:443/x?")?;
    /// let parts = RequestParts::from_url("GET", &url, b"");
    /// assert_eq!(parts.host, "contoso.communication.azure.com");
    /// assert_eq!(parts.path_and_query, "/x");
    /// # Ok::<(), url::ParseError>(())
    /// ```
    pub fn from_url(method: &'a str, url: &'a url::Url, body: &'a [u8]) -> Self {
        use url::Position;
        // `Url` drops a scheme's default port when it parses, so the authority slice is the
        // host as sent.
        let host = &url[Position::BeforeHost..Position::AfterPort];
        let path_and_query = match url.query() {
            Some(query) if !query.is_empty() => &url[Position::BeforePath..Position::AfterQuery],
            _ => crate::adapters::wire_path(&url[Position::BeforePath..Position::AfterPath]),
        };
        RequestParts {
            method,
            host,
            path_and_query,
            body,
        }
    }

    /// The string this request's signature is computed over, dated `date`:
    /// `VERB\npathAndQuery\ndate;host;contentHash`. It holds no secret (the key never enters
    /// it), so print it when a service answers 401 and compare it with what the service
    /// received.
    ///
    /// # Errors
    /// [`AuthError::UnsupportedDate`] when `date`'s year is outside 1970..=9999.
    pub fn string_to_sign(&self, date: OffsetDateTime) -> Result<String, AuthError> {
        let date = format_rfc1123(date).ok_or(AuthError::UnsupportedDate)?;
        let target = Target {
            method: self.method,
            host: self.host,
            port: None,
            path: self.path_and_query,
            query: None,
            body: self.body,
        };
        Ok(target.string_to_sign(std::str::from_utf8(&date).unwrap_or_default()))
    }
}

impl HmacSigner {
    /// The string a signed request's signature was computed over (see
    /// [`RequestParts::string_to_sign`]), dated by its `x-ms-date` header: to print when the
    /// service answers 401. Never contains the key.
    ///
    /// ```
    /// use acs_auth::{AccessKey, HmacSigner};
    ///
    /// let signer = HmacSigner::new(&"pw==".parse::<AccessKey>()?);
    /// let mut request = http::Request::get("https://example.com/testPath?testQuery=test").body(())?;
    /// let date = time::macros::datetime!(2022-04-13 18:09:12 UTC);
    /// signer.sign_at(&mut request, date)?;
    /// assert_eq!(
    ///     HmacSigner::string_to_sign(&request)?,
    ///     "GET\n/testPath?testQuery=test\nWed, 13 Apr 2022 18:09:12 GMT;example.com;\
    ///      47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`AuthError::MissingHeader`] when the request has no `x-ms-date` (it was not signed),
    /// [`AuthError::MissingHost`], [`AuthError::BodyNotBuffered`] as for signing.
    pub fn string_to_sign<R: SignableRequest>(request: &R) -> Result<String, AuthError> {
        let date = request
            .signed_date()
            .ok_or_else(|| AuthError::MissingHeader {
                name: X_MS_DATE.as_str().to_owned(),
            })?;
        Ok(request.target()?.string_to_sign(date))
    }

    /// A signer keyed with `key`.
    pub fn new(key: &AccessKey) -> Self {
        let keyed = Hmac::<Sha256>::new_from_slice(key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Self {
            key: Redacted::new(keyed),
        }
    }

    /// Signs `request` in place, dated now by the system clock: sets `x-ms-date`,
    /// `x-ms-content-sha256` and `Authorization`, replacing any earlier values.
    ///
    /// `request` is an [`http::Request`] whose body is bytes (`Vec<u8>`, `String`, `Bytes`,
    /// `&[u8]`, ...) or, with the `reqwest` feature, a `reqwest::Request`.
    ///
    /// # Errors
    /// [`AuthError::MissingHost`] when the request names no host; [`AuthError::BodyNotBuffered`]
    /// for a streaming reqwest body.
    pub fn sign<R: SignableRequest>(&self, request: &mut R) -> Result<(), AuthError> {
        self.sign_at(request, OffsetDateTime::now_utc())
    }

    /// [`sign`](Self::sign), dated `now` instead of by the system clock (for tests and for callers
    /// with their own clock). `now` may have any offset; it is written in GMT.
    ///
    /// # Errors
    /// As [`sign`](Self::sign), plus [`AuthError::UnsupportedDate`] when `now`'s year is outside
    /// 1970..=9999.
    pub fn sign_at<R: SignableRequest>(
        &self,
        request: &mut R,
        now: OffsetDateTime,
    ) -> Result<(), AuthError> {
        let headers = self.compute(&request.target()?, now)?;
        request.apply(headers);
        Ok(())
    }

    /// The core: computes the headers for a request given as plain parts, for any HTTP library.
    /// The adapters behind [`sign`](Self::sign) and the verifier use the same computation.
    ///
    /// # Errors
    /// [`AuthError::UnsupportedDate`] when `now`'s year is outside 1970..=9999.
    pub fn sign_parts(
        &self,
        parts: &RequestParts<'_>,
        now: OffsetDateTime,
    ) -> Result<AuthHeaders, AuthError> {
        let target = Target {
            method: parts.method,
            host: parts.host,
            port: None,
            path: parts.path_and_query,
            query: None,
            body: parts.body,
        };
        self.compute(&target, now)
    }

    fn compute(&self, target: &Target<'_>, now: OffsetDateTime) -> Result<AuthHeaders, AuthError> {
        let date = format_rfc1123(now).ok_or(AuthError::UnsupportedDate)?;
        let content_hash = content_hash(target.body);
        let mut port_text = PortText::default();
        let port = target.port.map(|port| port_text.write(port));
        let host: [&[u8]; 2] = [target.host.as_bytes(), port.unwrap_or_default()];
        let signature = self.signature(
            target.method.as_bytes(),
            target.path.as_bytes(),
            target.query.map(str::as_bytes),
            &[&[&date[..]], &host, &[&content_hash[..]]],
        );

        let mut authorization = [0_u8; AUTHORIZATION_PREFIX.len() + DIGEST_BASE64_LEN];
        authorization[..AUTHORIZATION_PREFIX.len()]
            .copy_from_slice(AUTHORIZATION_PREFIX.as_bytes());
        authorization[AUTHORIZATION_PREFIX.len()..].copy_from_slice(&signature);
        let mut authorization = header_value(&authorization);
        authorization.set_sensitive(true);
        Ok(AuthHeaders {
            date: header_value(&date),
            content_sha256: header_value(&content_hash),
            authorization,
        })
    }

    /// Base64 of the HMAC of `VERB\npath[?query]\nvalue;value;...`, where each signed value may be
    /// given in several pieces (a host and its `:port`). Fed piece by piece: no string is built.
    pub(crate) fn signature(
        &self,
        method: &[u8],
        path: &[u8],
        query: Option<&[u8]>,
        values: &[&[&[u8]]],
    ) -> [u8; DIGEST_BASE64_LEN] {
        let mut mac = self.key.expose().clone();
        update_upper_case(&mut mac, method);
        mac.update(b"\n");
        mac.update(path);
        if let Some(query) = query {
            mac.update(b"?");
            mac.update(query);
        }
        mac.update(b"\n");
        for (index, pieces) in values.iter().enumerate() {
            if index > 0 {
                mac.update(b";");
            }
            for piece in *pieces {
                mac.update(piece);
            }
        }
        base64_digest(&mac.finalize().into_bytes().into())
    }
}

/// Feeds `method` upper-cased (`get` is signed as `GET`, as every official SDK does), without
/// allocating.
fn update_upper_case(mac: &mut Hmac<Sha256>, method: &[u8]) {
    if !method.iter().any(u8::is_ascii_lowercase) {
        mac.update(method);
        return;
    }
    for chunk in method.chunks(16) {
        let mut buffer = [0_u8; 16];
        let buffer = &mut buffer[..chunk.len()];
        buffer.copy_from_slice(chunk);
        buffer.make_ascii_uppercase();
        mac.update(buffer);
    }
}

impl From<&AccessKey> for HmacSigner {
    fn from(key: &AccessKey) -> Self {
        Self::new(key)
    }
}

impl AuthHeaders {
    /// The `x-ms-date` value.
    pub fn date(&self) -> &HeaderValue {
        &self.date
    }

    /// The `x-ms-content-sha256` value.
    pub fn content_sha256(&self) -> &HeaderValue {
        &self.content_sha256
    }

    /// The `Authorization` value (marked sensitive, so http's own `Debug` hides it too).
    pub fn authorization(&self) -> &HeaderValue {
        &self.authorization
    }

    /// The signature alone: the base64 text after `Signature=`.
    pub fn signature(&self) -> &str {
        let bytes = &self.authorization.as_bytes()[AUTHORIZATION_PREFIX.len()..];
        // Always base64 (ASCII): this type is only built from `compute`.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// Sets the three headers in `headers`, replacing any earlier values.
    pub fn apply_to(self, headers: &mut HeaderMap) {
        headers.insert(X_MS_DATE, self.date);
        headers.insert(X_MS_CONTENT_SHA256, self.content_sha256);
        headers.insert(AUTHORIZATION, self.authorization);
    }
}

impl fmt::Debug for AuthHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthHeaders")
            .field("date", &self.date)
            .field("content_sha256", &self.content_sha256)
            .field("authorization", &"HMAC-SHA256 <redacted>")
            .finish()
    }
}

/// Requests that [`HmacSigner::sign`] can sign in place: [`http::Request`]`<B>` for any
/// [`SignableBody`](crate::SignableBody) `B` (bytes, or `()` for none) and, with the `reqwest`
/// feature, `reqwest::Request`.
///
/// Sealed: for other HTTP libraries, use [`HmacSigner::sign_parts`].
pub trait SignableRequest: sealed::Sealed {}

impl<T: sealed::Sealed> SignableRequest for T {}

pub(crate) use sealed::{Sealed, Target};

mod sealed {
    #![allow(unreachable_pub)] // Sealed-trait pattern: public in name, unreachable by design.

    use super::AuthHeaders;
    use crate::AuthError;

    /// What the adapters extract from a request to sign it.
    #[derive(Debug)]
    pub struct Target<'a> {
        pub method: &'a str,
        pub host: &'a str,
        /// A port to sign after `host` (already known not to be the scheme's default).
        pub port: Option<u16>,
        pub path: &'a str,
        /// Signed as `?query` after the path; `None` when empty.
        pub query: Option<&'a str>,
        pub body: &'a [u8],
    }

    pub trait Sealed {
        fn target(&self) -> Result<Target<'_>, AuthError>;
        fn apply(&mut self, headers: AuthHeaders);
        /// The `x-ms-date` header's text, once signed.
        fn signed_date(&self) -> Option<&str>;
    }

    impl Target<'_> {
        /// `VERB\npath[?query]\ndate;host[:port];contentHash`, the method upper-cased.
        pub fn string_to_sign(&self, date: &str) -> String {
            use std::fmt::Write as _;
            let hash = super::content_hash(self.body);
            let mut text = self.method.to_ascii_uppercase();
            text.push('\n');
            text.push_str(self.path);
            if let Some(query) = self.query {
                text.push('?');
                text.push_str(query);
            }
            text.push('\n');
            text.push_str(date);
            text.push(';');
            text.push_str(self.host);
            if let Some(port) = self.port {
                let _ = write!(text, ":{port}");
            }
            text.push(';');
            text.push_str(std::str::from_utf8(&hash).unwrap_or_default());
            text
        }
    }
}

/// The port a scheme implies, which is left out of the signed host.
pub(crate) fn default_port(scheme: Option<&str>) -> Option<u16> {
    match scheme {
        Some(scheme) if scheme.eq_ignore_ascii_case("https") => Some(443),
        Some(scheme) if scheme.eq_ignore_ascii_case("http") => Some(80),
        _ => None,
    }
}

/// Base64 of the SHA-256 of `body`: the `x-ms-content-sha256` value.
pub(crate) fn content_hash(body: &[u8]) -> [u8; DIGEST_BASE64_LEN] {
    base64_digest(&Sha256::digest(body).into())
}

fn base64_digest(digest: &[u8; 32]) -> [u8; DIGEST_BASE64_LEN] {
    let mut out = [0_u8; DIGEST_BASE64_LEN];
    let written = BASE64
        .encode_slice(digest, &mut out)
        .unwrap_or_else(|_| unreachable!("32 bytes are 44 base64 characters"));
    debug_assert_eq!(written, DIGEST_BASE64_LEN);
    out
}

fn header_value(bytes: &[u8]) -> HeaderValue {
    // Only ever called with the ASCII this module writes (a date, base64, a fixed prefix).
    HeaderValue::from_bytes(bytes).unwrap_or_else(|_| unreachable!("signing headers are ASCII"))
}

/// `:` and up to five digits, written without allocating.
#[derive(Default)]
pub(crate) struct PortText {
    buffer: [u8; 6],
}

impl PortText {
    pub(crate) fn write(&mut self, port: u16) -> &[u8] {
        let mut start = self.buffer.len();
        let mut rest = port;
        loop {
            start -= 1;
            self.buffer[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        start -= 1;
        self.buffer[start] = b':';
        &self.buffer[start..]
    }
}
