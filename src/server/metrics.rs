//! What the server measures about itself: connections, and how long it takes to answer a
//! line, from the line read off the socket to the answer handed to the kernel. Within a
//! round trip that is the server's own share; the rest is the network and waiting to be
//! scheduled. `--stats-every` logs a summary of each period.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::latency::{Latency, Percentiles};

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
    pub fn lines_per_s(&self) -> f64 {
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
        let accepted = self.accepted.load(Ordering::Relaxed);
        let fresh = Period {
            accepted_before: accepted,
            ..Period::default()
        };
        let old = std::mem::replace(&mut *self.lock(), fresh);
        Snapshot {
            period: old.since.elapsed(),
            open: self.open.load(Ordering::Relaxed),
            accepted: accepted - old.accepted_before,
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
    every: Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    metrics.take();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let s = metrics.take();
        let (p50, p99, max) = s
            .answer_ms
            .map_or((0.0, 0.0, 0.0), |p| (p.p50, p.p99, p.max));
        tracing::info!(
            open = s.open,
            accepted = s.accepted,
            lines_per_s = format_args!("{:.0}", s.lines_per_s()),
            answer_p50_ms = p50,
            answer_p99_ms = p99,
            answer_max_ms = max,
            "server statistics for the last {}",
            humantime::format_duration(every)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
