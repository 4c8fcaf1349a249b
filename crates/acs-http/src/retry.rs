use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};
use time::OffsetDateTime;

/// When and how often a failed request is tried again (the Azure SDK convention).
///
/// Defaults: 3 retries (4 attempts), exponential delays from 0.8 s doubling each retry, each
/// delay at most 60 s, ±20 % jitter, on 408, 429, 500, 502, 503, 504 and transport errors
/// (including per-attempt timeouts). A `Retry-After` header (seconds or HTTP-date;
/// `retry-after-ms` / `x-ms-retry-after-ms` in milliseconds) replaces the computed delay. The
/// whole operation, attempts and delays together, is bounded by [`total_timeout`]
/// (default 2 minutes): a retry whose delay would end past the bound is not made, and an attempt
/// still running at the bound is cut off.
///
/// [`total_timeout`]: RetryPolicy::total_timeout
///
/// ```
/// use std::time::Duration;
/// use acs_http::RetryPolicy;
///
/// let policy = RetryPolicy::default().without_jitter();
/// assert_eq!(policy.delay_for_retry(1), Duration::from_millis(800));
/// assert_eq!(policy.delay_for_retry(2), Duration::from_millis(1600));
/// assert_eq!(policy.delay_for_retry(3), Duration::from_millis(3200));
/// assert_eq!(policy.delay_for_retry(20), Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
    total_timeout: Option<Duration>,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
            total_timeout: Some(Duration::from_secs(120)),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The default policy (see the type's documentation).
    pub fn new() -> Self {
        RetryPolicy::default()
    }

    /// A policy that never retries (one attempt), still bounded by the total timeout.
    pub fn no_retries() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// How many times a failed attempt is retried (attempts = retries + 1).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The delay before the first retry; each later retry doubles it.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The longest computed delay between attempts (a `Retry-After` header may ask for more).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Bounds the whole operation (all attempts and delays); `None` for no bound.
    pub fn total_timeout(mut self, bound: Option<Duration>) -> Self {
        self.total_timeout = bound;
        self
    }

    /// Turns off jitter, so delays are exact (for tests and reproducible schedules).
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// The configured number of retries.
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    /// The configured total time bound.
    pub fn total_bound(&self) -> Option<Duration> {
        self.total_timeout
    }

    /// The computed delay before retry number `retry` (1-based), before any `Retry-After`.
    pub fn delay_for_retry(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let base = self
            .initial_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        if self.jitter {
            // ±20 %, then capped again so the maximum stays a maximum. A product beyond what
            // `Duration` holds (a huge configured delay) saturates instead of panicking.
            let factor = 0.8 + 0.4 * fastrand::f64();
            Duration::try_from_secs_f64(base.as_secs_f64() * factor)
                .unwrap_or(Duration::MAX)
                .min(self.max_delay)
        } else {
            base
        }
    }

    /// Whether a response status is worth retrying: 408, 429, 500, 502, 503, 504.
    pub fn is_retriable_status(status: StatusCode) -> bool {
        matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
    }
}

/// The delay a response asks for before the next attempt, if any.
///
/// Reads, in order, `retry-after-ms` and `x-ms-retry-after-ms` (milliseconds), then
/// `Retry-After` as delay-seconds or an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`, or either
/// obsolete form RFC 9110 requires recipients to accept), the latter relative to `now`. A date in the past gives zero. Unreadable values are ignored, and so is an
/// HTTP-date when `now` is outside the years -9999 to 9999 (it cannot be compared).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use http::{HeaderMap, HeaderValue};
/// use acs_http::retry_after;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", HeaderValue::from_static("7"));
/// assert_eq!(retry_after(&headers, SystemTime::now()), Some(Duration::from_secs(7)));
///
/// headers.insert("retry-after", HeaderValue::from_static("Thu, 01 Jan 1970 00:01:40 GMT"));
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(90);
/// assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(10)));
/// ```
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header_str(headers, name).and_then(parse_number) {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = header_str(headers, "retry-after")?;
    if let Some(seconds) = parse_number(value) {
        return Some(Duration::from_secs_f64(seconds));
    }
    let this_year = offset_date_time(now)?.year();
    let at = parse_http_date(value, this_year)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// A non-negative, finite number of reasonable size (at most a year, so `Duration` cannot
/// overflow).
fn parse_number(text: &str) -> Option<f64> {
    let value: f64 = text.parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value.min(365.0 * 24.0 * 3600.0 * 1000.0))
}

/// Parses an HTTP-date in any of the three forms RFC 9110 §5.6.7 requires recipients to accept,
/// with the `httpdate` crate (which acs-auth signs with too): the IMF-fixdate servers send
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms, RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
fn parse_http_date(text: &str, this_year: i32) -> Option<SystemTime> {
    match rfc850_as_imf_fixdate(text, this_year) {
        Some(fixdate) => httpdate::parse_http_date(&fixdate).ok(),
        None => httpdate::parse_http_date(text).ok(),
    }
}

/// An RFC 850 date rewritten as an IMF-fixdate. Its year has two digits: RFC 9110 reads it as
/// the year with those digits that is at most 50 years after `this_year` (httpdate alone would
/// read 00-69 as 2000-2069 whatever the current year).
fn rfc850_as_imf_fixdate(text: &str, this_year: i32) -> Option<String> {
    // `Sunday, 06-Nov-94 08:49:37 GMT`
    const WEEKDAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let (weekday, rest) = text.split_once(", ")?;
    if !WEEKDAYS.contains(&weekday) {
        return None;
    }
    let (date, time_of_day) = rest.split_once(' ')?;
    let mut fields = date.split('-');
    let (day, month, two_digits) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some()
        || two_digits.len() != 2
        || !two_digits.bytes().all(|byte| byte.is_ascii_digit())
    {
        return None;
    }
    let mut year = this_year - this_year.rem_euclid(100) + two_digits.parse::<i32>().ok()?;
    if year > this_year + 50 {
        year -= 100;
    }
    Some(format!(
        "{}, {day} {month} {year:04} {time_of_day}",
        &weekday[..3]
    ))
}

/// Formats an instant as an IMF-fixdate, for `Retry-After` headers in tests and emulators.
///
/// `None` outside the years 1970 to 9999 (the range of the `httpdate` crate, the one
/// HTTP-date implementation of this workspace).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use acs_http::format_http_date;
///
/// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
/// assert_eq!(format_http_date(at).as_deref(), Some("Sun, 09 Sep 2001 01:46:40 GMT"));
/// let year_20000 = SystemTime::UNIX_EPOCH + Duration::from_secs(569_000_000_000);
/// assert_eq!(format_http_date(year_20000), None);
/// ```
pub fn format_http_date(at: SystemTime) -> Option<String> {
    let year = offset_date_time(at)?.year();
    (1970..=9999)
        .contains(&year)
        .then(|| httpdate::fmt_http_date(at))
}

/// The instant as a UTC date-time, or `None` outside what `time` represents (years ±9999).
/// `OffsetDateTime::from(SystemTime)` would panic there.
fn offset_date_time(at: SystemTime) -> Option<OffsetDateTime> {
    let nanos = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).ok()?,
        Err(before) => -i128::try_from(before.duration().as_nanos()).ok()?,
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}
