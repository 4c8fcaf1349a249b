//! The wall clock the exchange's cache and the refresh engine measure expiry against.

use std::fmt;
#[cfg(feature = "test-util")]
use std::sync::Arc;
use std::time::SystemTime;

use acs_refresh::CommunicationTokenRefreshOptions;

/// The system clock, or (feature `test-util`) an injected one shared with the refresh engine.
#[derive(Clone, Default)]
pub(crate) struct Clock {
    #[cfg(feature = "test-util")]
    custom: Option<Custom>,
}

#[cfg(feature = "test-util")]
#[derive(Clone)]
struct Custom {
    now: Arc<dyn Fn() -> SystemTime + Send + Sync>,
    install: Arc<
        dyn Fn(CommunicationTokenRefreshOptions) -> CommunicationTokenRefreshOptions + Send + Sync,
    >,
}

impl Clock {
    #[cfg(feature = "test-util")]
    pub(crate) fn custom<C>(clock: C) -> Self
    where
        C: acs_refresh::test_util::WallClock + Clone,
    {
        let reader = clock.clone();
        Clock {
            custom: Some(Custom {
                now: Arc::new(move || reader.now()),
                install: Arc::new(move |options| options.wall_clock(clock.clone())),
            }),
        }
    }

    pub(crate) fn now(&self) -> SystemTime {
        #[cfg(feature = "test-util")]
        if let Some(custom) = &self.custom {
            return (custom.now)();
        }
        SystemTime::now()
    }

    /// Gives the refresh engine the same clock.
    pub(crate) fn install(
        &self,
        options: CommunicationTokenRefreshOptions,
    ) -> CommunicationTokenRefreshOptions {
        #[cfg(feature = "test-util")]
        if let Some(custom) = &self.custom {
            return (custom.install)(options);
        }
        options
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[cfg(feature = "test-util")]
        if self.custom.is_some() {
            return f.write_str("Clock::Custom");
        }
        f.write_str("Clock::System")
    }
}
