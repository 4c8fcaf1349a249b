use std::borrow::Cow;

use http::header::{AUTHORIZATION, HOST, HeaderMap};
use http::{Method, Uri};
use subtle::ConstantTimeEq as _;
use time::{Duration, OffsetDateTime};

use crate::adapters::wire_path;
use crate::date::parse_rfc1123;
use crate::signer::{PortText, content_hash, default_port};
use crate::{AccessKey, AuthError, HmacSigner};

/// Checks HMAC-signed requests as the ACS service does: the server side of [`HmacSigner`], for
/// emulators and test servers.
///
/// The string to sign is rebuilt from the request as received: the method, the path and query
/// exactly as on the wire (percent-encoding untouched; an empty `?` ignored, as the signer does),
/// the headers the `Authorization` header lists in `SignedHeaders` (`host` is the `Host` header as
/// sent, or for HTTP/2 the URI's authority without a default port), and the body's actual
/// SHA-256, which must also equal `x-ms-content-sha256`. `SignedHeaders` must cover `host`,
/// `x-ms-content-sha256` and a date (`x-ms-date`, or `date`).
///
/// The checks run in this order, and the first that fails is the error:
/// 1. `Authorization` is present and well formed ([`AuthError::MissingHeader`],
///    [`AuthError::MalformedAuthorization`]);
/// 2. every signed header is present and printable, the date is RFC 1123
///    ([`AuthError::MissingHeader`], [`AuthError::MalformedHeader`]);
/// 3. `x-ms-content-sha256` matches the body ([`AuthError::ContentHashMismatch`]);
/// 4. the signature matches, compared in constant time ([`AuthError::SignatureMismatch`]);
/// 5. the date is within the allowed skew of `now` ([`AuthError::DateOutsideSkew`]); checked after
///    the signature, so this error means an authentic request with a wrong clock or a replay.
#[derive(Debug, Clone)]
pub struct HmacVerifier {
    signer: HmacSigner,
    max_clock_skew: Duration,
}

impl HmacVerifier {
    /// How far a request's date may be from the verifier's clock, either way, by default: the
    /// 15 minutes the service allows.
    pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::minutes(15);

    /// A verifier keyed with `key`, allowing [`DEFAULT_MAX_CLOCK_SKEW`](Self::DEFAULT_MAX_CLOCK_SKEW).
    pub fn new(key: &AccessKey) -> Self {
        Self::from(HmacSigner::new(key))
    }

    /// Allows `skew` (taken as its absolute value) between a request's date and the clock.
    #[must_use]
    pub fn with_max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew.abs();
        self
    }

    /// The allowed skew.
    pub fn max_clock_skew(&self) -> Duration {
        self.max_clock_skew
    }

    /// Verifies a received request whose body is already in memory, against the clock
    /// reading `now`.
    ///
    /// # Errors
    /// The first check that fails, as listed on [`HmacVerifier`].
    pub fn verify<B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
        now: OffsetDateTime,
    ) -> Result<(), AuthError> {
        self.verify_parts(
            request.method(),
            request.uri(),
            request.headers(),
            request.body().as_ref(),
            now,
        )
    }

    /// Verifies a request given as its parts, for servers that split the request to collect the
    /// body (`let (parts, body) = request.into_parts();` then
    /// `verify_parts(&parts.method, &parts.uri, &parts.headers, &bytes, now)`).
    ///
    /// # Errors
    /// The first check that fails, as listed on [`HmacVerifier`].
    pub fn verify_parts(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), AuthError> {
        let authorization = parse_authorization(header(headers, "authorization", &AUTHORIZATION)?)?;

        let mut values: Vec<Cow<'_, [u8]>> = Vec::with_capacity(4);
        let mut date = None;
        for name in authorization.signed_headers.split(';') {
            let value = if name.eq_ignore_ascii_case("host") {
                host(uri, headers)?
            } else {
                Cow::Borrowed(header(headers, name, name)?)
            };
            if name.eq_ignore_ascii_case("x-ms-date")
                || (name.eq_ignore_ascii_case("date") && date.is_none())
            {
                date = Some((name, values.len()));
            }
            values.push(value);
        }
        let (date_name, date_index) = date.ok_or(AuthError::MalformedAuthorization {
            reason: "SignedHeaders has no date (x-ms-date or date)",
        })?;
        let date =
            parse_rfc1123(&values[date_index]).ok_or_else(|| AuthError::MalformedHeader {
                name: date_name.to_ascii_lowercase(),
            })?;

        let expected_hash = content_hash(body);
        let received_hash = header(headers, "x-ms-content-sha256", &crate::X_MS_CONTENT_SHA256)?;
        if !bool::from(expected_hash.ct_eq(received_hash)) {
            return Err(AuthError::ContentHashMismatch);
        }

        let pieces: Vec<[&[u8]; 1]> = values.iter().map(|value| [&value[..]]).collect();
        let pieces: Vec<&[&[u8]]> = pieces.iter().map(|piece| &piece[..]).collect();
        let expected = self.signer.signature(
            method.as_str().as_bytes(),
            wire_path(uri.path()).as_bytes(),
            uri.query()
                .filter(|query| !query.is_empty())
                .map(str::as_bytes),
            &pieces,
        );
        if !bool::from(expected.ct_eq(authorization.signature.as_bytes())) {
            return Err(AuthError::SignatureMismatch);
        }

        let difference = date - now;
        if difference.abs() > self.max_clock_skew {
            return Err(AuthError::DateOutsideSkew {
                difference_seconds: difference.whole_seconds(),
                allowed_seconds: self.max_clock_skew.whole_seconds(),
            });
        }
        Ok(())
    }
}

impl From<HmacSigner> for HmacVerifier {
    fn from(signer: HmacSigner) -> Self {
        Self {
            signer,
            max_clock_skew: Self::DEFAULT_MAX_CLOCK_SKEW,
        }
    }
}

struct Authorization<'a> {
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &[u8]) -> Result<Authorization<'_>, AuthError> {
    const SCHEME: &str = "HMAC-SHA256 ";
    let malformed = |reason| AuthError::MalformedAuthorization { reason };
    let value = std::str::from_utf8(value).map_err(|_| malformed("not text"))?;
    let params = value
        .get(..SCHEME.len())
        .filter(|scheme| scheme.eq_ignore_ascii_case(SCHEME))
        .map(|_| value[SCHEME.len()..].trim())
        .ok_or(malformed("the scheme is not HMAC-SHA256"))?;
    let mut signed_headers = None;
    let mut signature = None;
    for param in params.split('&') {
        let (name, param_value) = param
            .split_once('=')
            .ok_or(malformed("a parameter is not name=value"))?;
        let slot = if name.eq_ignore_ascii_case("SignedHeaders") {
            &mut signed_headers
        } else if name.eq_ignore_ascii_case("Signature") {
            &mut signature
        } else {
            continue;
        };
        if slot.replace(param_value).is_some() {
            return Err(malformed("a parameter appears twice"));
        }
    }
    let signed_headers = signed_headers
        .filter(|list| !list.is_empty())
        .ok_or(malformed("SignedHeaders is missing"))?;
    let signature = signature
        .filter(|signature| !signature.is_empty())
        .ok_or(malformed("Signature is missing"))?;
    let covers = |wanted: &str| {
        signed_headers
            .split(';')
            .any(|name| name.eq_ignore_ascii_case(wanted))
    };
    if !covers("host") || !covers("x-ms-content-sha256") {
        return Err(malformed(
            "SignedHeaders must cover host and x-ms-content-sha256",
        ));
    }
    Ok(Authorization {
        signed_headers,
        signature,
    })
}

/// A header's value, which must be present and visible ASCII.
fn header<'a, K: http::header::AsHeaderName>(
    headers: &'a HeaderMap,
    name: &str,
    key: K,
) -> Result<&'a [u8], AuthError> {
    let value = headers.get(key).ok_or_else(|| AuthError::MissingHeader {
        name: name.to_ascii_lowercase(),
    })?;
    value
        .to_str()
        .map(str::as_bytes)
        .map_err(|_| AuthError::MalformedHeader {
            name: name.to_ascii_lowercase(),
        })
}

/// The host the client sent: its `Host` header, or (HTTP/2) the URI authority, where a default
/// port is dropped as the signer drops it.
fn host<'a>(uri: &'a Uri, headers: &'a HeaderMap) -> Result<Cow<'a, [u8]>, AuthError> {
    if headers.contains_key(HOST) {
        return header(headers, "host", HOST).map(Cow::Borrowed);
    }
    let authority = uri.authority().ok_or_else(|| AuthError::MissingHeader {
        name: "host".to_owned(),
    })?;
    let port = authority
        .port_u16()
        .filter(|port| Some(*port) != default_port(uri.scheme_str()));
    Ok(match port {
        None => Cow::Borrowed(authority.host().as_bytes()),
        Some(port) => {
            let mut text = PortText::default();
            Cow::Owned([authority.host().as_bytes(), text.write(port)].concat())
        }
    })
}
