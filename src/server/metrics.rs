//! What the server measures about itself: connections, and how long it takes to answer a
//! line, from the line read off the socket to the answer handed to the kernel. Within a
//! round trip that is the server's own share; the rest is the network and waiting to be
//! scheduled. `--stats-every` logs a summary of each period, with how many customer
//! lookups the registry's cache answered and how many it had to read from SQLite, and how
//! many customers wait for an executive at the end of the period.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::hub::Hub;
use crate::latency::{Latency, Percentiles};
use crate::registry::Registry;

/// Counters shared by every connection task.
#[derive(Default)]
pub struct Metrics {
    accepted: AtomicU64,
    open: AtomicU64,
    /// Since the last [`Metrics::take`]. A short lock per answered line: the histogram
    /// update is a few nanoseconds and never held across an `.await`.
    answers: Mutex<Period>,
}

struct Period {
    since: Instant,
    accepted_before: u64,
    latency: Latency,
}

impl Default for Period {
    fn default() -> Self {
        Period {
            since: Instant::now(),
            accepted_before: 0,
            latency: Latency::default(),
        }
    }
}

/// A summary of one period (see [`Metrics::take`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// How long the period lasted.
    pub period: Duration,
    /// Connections open now (customers and executives).
    pub open: u64,
    /// Connections accepted during the period.
    pub accepted: u64,
    /// Time from a line read to its answer written, in milliseconds; `None` when no line
    /// was answered.
    pub answer_ms: Option<Percentiles>,
}

impl Snapshot {
    /// Lines answered per second during the period.
    pub(crate) fn lines_per_s(&self) -> f64 {
        let lines = self.answer_ms.map_or(0, |p| p.count);
        lines as f64 / self.period.as_secs_f64().max(f64::EPSILON)
    }
}

impl Metrics {
    /// Counts a connection as open until the returned guard is dropped.
    pub(super) fn connection(self: &Arc<Self>) -> OpenConnection {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenConnection(Arc::clone(self))
    }

    /// Records the time from a line read to its answer written.
    pub(super) fn answered(&self, took: Duration) {
        self.lock().latency.record(took);
    }

    /// The summary since the previous call (or the start), and a new period begins.
    pub fn take(&self) -> Snapshot {
        // The new histogram is allocated before the lock is taken.
        let mut fresh = Period::default();
        let mut period = self.lock();
        // Read under the lock, so that two callers cannot interleave their periods.
        let accepted = self.accepted.load(Ordering::Relaxed);
        fresh.accepted_before = accepted;
        let old = std::mem::replace(&mut *period, fresh);
        drop(period);
        Snapshot {
            period: old.since.elapsed(),
            open: self.open.load(Ordering::Relaxed),
            accepted: accepted.saturating_sub(old.accepted_before),
            answer_ms: old.latency.percentiles(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Period> {
        // A panic while recording cannot leave the histogram half-updated in a way that
        // matters for statistics, so a poisoned lock is simply reused.
        self.answers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An open connection (see [`Metrics::connection`]).
pub(super) struct OpenConnection(Arc<Metrics>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Logs a summary every `every` until `stop` is cancelled.
pub(super) async fn log_every(
    metrics: Arc<Metrics>,
    registry: Registry,
    hub: Hub,
    every: Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    metrics.take();
    let mut cache_before = registry.cache_counts().unwrap_or_default();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let s = metrics.take();
        let (p50, p99, max) = s
            .answer_ms
            .map_or((0.0, 0.0, 0.0), |p| (p.p50, p.p99, p.max));
        let cache = registry.cache_counts().unwrap_or_default();
        let hub = hub.occupancy();
        tracing::info!(
            open = s.open,
            accepted = s.accepted,
            lines_per_s = format_args!("{:.0}", s.lines_per_s()),
            answer_p50_ms = p50,
            answer_p99_ms = p99,
            answer_max_ms = max,
            cache_hits = cache.hits - cache_before.hits,
            cache_loads = cache.loads - cache_before.loads,
            waiting = hub.waiting,
            executives = hub.executives,
            chats = hub.chats,
            "server statistics for the last {}",
            humantime::format_duration(every)
        );
        cache_before = cache;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::demo;
    use crate::rut::Rut;
    use crate::test_logs::Captured;

    #[tokio::test]
    async fn each_period_is_logged_with_its_answers_and_cache_lookups() {
        let captured = Captured::default();
        // A current-thread test: the logger below runs on this thread, under this
        // subscriber.
        let _default = tracing::subscriber::set_default(captured.subscriber());
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(&dir.path().join("stats.db")).unwrap();
        let metrics = Arc::new(Metrics::default());
        let stop = tokio_util::sync::CancellationToken::new();
        let hub = Hub::new(1, crate::console::Console::capture());
        let logger = log_every(
            Arc::clone(&metrics),
            registry.clone(),
            hub,
            Duration::from_millis(50),
            stop.clone(),
        );
        let activity = async {
            // After the logger's first `take`: these belong to its first period.
            tokio::task::yield_now().await;
            let _open = metrics.connection();
            metrics.answered(Duration::from_micros(250));
            metrics.answered(Duration::from_micros(750));
            let jorge = Rut::from_number(demo::JORGE_RUT_NUMBER).unwrap();
            registry.customer(jorge).await.unwrap();
            registry.customer(jorge).await.unwrap();
            while !captured.text().contains("server statistics") {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            stop.cancel();
        };
        tokio::join!(logger, activity);

        let text = captured.text();
        let line = text
            .lines()
            .find(|line| line.contains("server statistics"))
            .unwrap();
        for field in [
            "server statistics for the last 50ms",
            "open=1",
            "accepted=1",
            "answer_max_ms=0.75",
            "cache_hits=1",
            "cache_loads=1",
            "waiting=0",
            "executives=0",
            "chats=0",
        ] {
            assert!(line.contains(field), "{field} missing in {line}");
        }
    }

    #[test]
    fn a_period_counts_connections_and_answers_then_starts_again() {
        let metrics = Arc::new(Metrics::default());
        let first = metrics.connection();
        let second = metrics.connection();
        for ms in [1, 2, 3, 4] {
            metrics.answered(Duration::from_millis(ms));
        }
        drop(first);
        let s = metrics.take();
        assert_eq!((s.open, s.accepted), (1, 2));
        let answers = s.answer_ms.expect("answers recorded");
        assert_eq!(answers.count, 4);
        assert!((answers.max - 4.0).abs() < 0.01, "{answers:?}");
        assert!(s.lines_per_s() > 0.0);

        // The next period starts empty but still sees the connection left open.
        let s = metrics.take();
        assert_eq!((s.open, s.accepted), (1, 0));
        assert_eq!(s.answer_ms, None);
        drop(second);
        assert_eq!(metrics.take().open, 0);
    }
}
