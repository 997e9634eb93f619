//! Warnings that a client can trigger at will (a refused connection, a refused login, a
//! wrong executive token), logged at most once per interval for each kind. The ones in
//! between are counted, and the next warning that gets through says how many it stands for
//! (`suppressed`), so a flood of connections costs one log line a second, not one per
//! connection. The count of the last ones held back, when no warning of their kind follows,
//! is logged by the server's housekeeping, every 10 s ([`WarnThrottle::take_held_back`]).
//!
//! The interval is a direct (unkeyed) GCRA rate limiter from `governor`, as the per-address
//! budgets use; the count is an atomic. No lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

/// At most one warning of a kind per this interval.
pub(crate) const WARN_INTERVAL: Duration = Duration::from_secs(1);

/// One kind of warning, throttled to one per [`WARN_INTERVAL`].
pub(crate) struct WarnThrottle<C: Clock = DefaultClock> {
    limiter: RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<C::Instant>>,
    /// Warnings not logged since the last one that was.
    suppressed: AtomicU64,
}

impl WarnThrottle<DefaultClock> {
    /// A throttle on the real clock.
    pub(crate) fn new() -> WarnThrottle {
        WarnThrottle::with_clock(DefaultClock::default())
    }
}

impl Default for WarnThrottle<DefaultClock> {
    fn default() -> Self {
        WarnThrottle::new()
    }
}

impl<C: Clock> WarnThrottle<C> {
    /// A throttle on `clock` (tests pass a fake clock).
    pub(crate) fn with_clock(clock: C) -> WarnThrottle<C> {
        let quota = Quota::with_period(WARN_INTERVAL).expect("the interval is not zero");
        WarnThrottle {
            limiter: RateLimiter::direct_with_clock(quota, clock),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when this warning may be logged, `n` being how many were held back since
    /// the last one logged; `None` when it is to be held back (and is counted).
    pub(crate) fn admit(&self) -> Option<u64> {
        match self.limiter.check() {
            Ok(()) => Some(self.suppressed.swap(0, Ordering::Relaxed)),
            Err(_) => {
                self.suppressed.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// The warnings held back that no later warning has reported, once the interval since
    /// the last one logged is over (a line saying so takes that warning's place); `None`
    /// when there are none, or while a warning of the kind may still come and carry them.
    pub(crate) fn take_held_back(&self) -> Option<u64> {
        if self.suppressed.load(Ordering::Relaxed) == 0 || self.limiter.check().is_err() {
            return None;
        }
        Some(self.suppressed.swap(0, Ordering::Relaxed)).filter(|&n| n > 0)
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn one_warning_per_interval_then_the_count_of_those_held_back() {
        let clock = FakeRelativeClock::default();
        let throttle = WarnThrottle::with_clock(clock.clone());
        assert_eq!(throttle.admit(), Some(0), "the first warning is logged");
        for _ in 0..5 {
            assert_eq!(throttle.admit(), None, "within the interval: held back");
        }
        clock.advance(WARN_INTERVAL / 2);
        assert_eq!(throttle.admit(), None, "still within the interval");
        clock.advance(WARN_INTERVAL / 2);
        assert_eq!(
            throttle.admit(),
            Some(6),
            "the next one says how many it stands for"
        );
        assert_eq!(throttle.admit(), None);
        clock.advance(WARN_INTERVAL * 10);
        assert_eq!(
            throttle.admit(),
            Some(1),
            "no burst saved up over a quiet spell"
        );
        assert_eq!(throttle.admit(), None);
    }

    #[test]
    fn the_last_ones_held_back_are_reported_without_a_later_warning() {
        let clock = FakeRelativeClock::default();
        let throttle = WarnThrottle::with_clock(clock.clone());
        assert_eq!(throttle.take_held_back(), None, "nothing held back");
        assert_eq!(throttle.admit(), Some(0));
        for _ in 0..3 {
            assert_eq!(throttle.admit(), None);
        }
        assert_eq!(
            throttle.take_held_back(),
            None,
            "a warning may still carry them"
        );
        clock.advance(WARN_INTERVAL);
        assert_eq!(throttle.take_held_back(), Some(3));
        assert_eq!(throttle.take_held_back(), None, "reported once");
        // The report took the interval's place: the next warning waits for its turn, and
        // carries only what came after the report.
        assert_eq!(throttle.admit(), None);
        clock.advance(WARN_INTERVAL);
        assert_eq!(throttle.admit(), Some(1));
    }
}
