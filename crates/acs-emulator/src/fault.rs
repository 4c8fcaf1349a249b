use std::time::Duration;

use http::StatusCode;

use crate::Route;

/// The statuses a fault may answer.
pub(crate) const INJECTABLE_STATUSES: std::ops::RangeInclusive<u16> = 200..=599;

/// A failure or slowdown to inject into the next requests, to test a client's retries,
/// timeouts and error handling.
///
/// A fault applies to the next [`times`](Fault::times) requests (1 by default) on its route (any
/// route by default). It is checked before anything else, so an injected status is answered even
/// to a request that would otherwise fail. A delay holds the request that long (on the tokio
/// timer, so paused test time skips it) and then serves it, or answers the injected status.
///
/// ```
/// use std::time::Duration;
/// use acs_emulator::{Fault, Route};
///
/// // The next 2 token requests get 503 with `Retry-After: 0`; the third succeeds.
/// let outage = Fault::status(503).retry_after(Duration::ZERO).times(2).on(Route::IssueAccessToken);
/// // The next request on any route is held 30 s, then served.
/// let slow = Fault::delay(Duration::from_secs(30));
/// # let _ = (outage, slow);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub(crate) status: Option<StatusCode>,
    pub(crate) delay: Duration,
    pub(crate) retry_after: Option<u64>,
    pub(crate) times: u32,
    pub(crate) route: Option<Route>,
}

impl Fault {
    /// Answer with `status` (an error body with a code naming the status, such as
    /// `ServiceUnavailable`). A status outside 200..=599 is taken as 500: an informational
    /// status (such as `101 Switching Protocols`) is not an answer a client can be handed.
    pub fn status(status: u16) -> Self {
        let status = Some(status)
            .filter(|status| INJECTABLE_STATUSES.contains(status))
            .and_then(|status| StatusCode::from_u16(status).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self {
            status: Some(status),
            delay: Duration::ZERO,
            retry_after: None,
            times: 1,
            route: None,
        }
    }

    /// Hold the request for `delay`, then serve it normally.
    pub fn delay(delay: Duration) -> Self {
        Self {
            status: None,
            delay,
            retry_after: None,
            times: 1,
            route: None,
        }
    }

    /// Also hold the request for `delay` before answering (combines with [`status`](Fault::status)).
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Send `Retry-After: <whole seconds>` with the injected status.
    #[must_use]
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after.as_secs());
        self
    }

    /// Apply to the next `times` matching requests (0 makes the fault a no-op).
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Apply only to requests on `route`.
    #[must_use]
    pub fn on(mut self, route: Route) -> Self {
        self.route = Some(route);
        self
    }

    /// Whether this fault applies to a request on `route`.
    pub(crate) fn matches(&self, route: Route) -> bool {
        self.times > 0 && self.route.is_none_or(|wanted| wanted == route)
    }
}

/// What one request gets from the fault queue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultHit {
    pub(crate) status: Option<StatusCode>,
    pub(crate) delay: Duration,
    pub(crate) retry_after: Option<u64>,
}

impl From<&Fault> for FaultHit {
    fn from(fault: &Fault) -> Self {
        Self {
            status: fault.status,
            delay: fault.delay,
            retry_after: fault.retry_after,
        }
    }
}
