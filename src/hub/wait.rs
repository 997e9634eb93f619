//! Estimated waits in the queue, from recent hand-offs. Pure arithmetic over recorded
//! samples: the caller passes the time in, so every case is a table test.
//!
//! The model: each hand-off of a customer who really waited tells how much executive time
//! one place in the queue took, `waited × executives online / position on joining`. The
//! estimate for a customer at position `p` with `e` executives online is the mean of the
//! recent samples × `p / e`. Customers served at once are not samples (they say how idle
//! the executives were, not how fast the queue moves), and samples older than
//! [`MAX_AGE`] are ignored (last night's queue says little about this morning's).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::conversation::events::WaitEstimate;

/// How many recent hand-offs the mean covers.
pub const WINDOW: usize = 20;
/// Fewer recent hand-offs than this: too little data to estimate.
pub const MIN_SAMPLES: usize = 3;
/// Hand-offs older than this are not recent.
pub const MAX_AGE: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, Copy)]
struct Sample {
    /// When the hand-off happened.
    at: Instant,
    /// Executive time one place in the queue took.
    per_place: Duration,
}

/// The last [`WINDOW`] hand-offs of customers who waited.
#[derive(Debug, Default)]
pub struct WaitStats {
    samples: VecDeque<Sample>,
}

impl WaitStats {
    /// A customer who started waiting at `position` (from 1) was handed off at `at` after
    /// waiting `waited`, with `executives` online.
    pub fn record(&mut self, at: Instant, waited: Duration, position: usize, executives: usize) {
        let position = u32::try_from(position.max(1)).unwrap_or(u32::MAX);
        let executives = u32::try_from(executives.max(1)).unwrap_or(u32::MAX);
        let per_place = waited.saturating_mul(executives) / position;
        if self.samples.len() == WINDOW {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample { at, per_place });
    }

    /// The estimated wait at `now` for a customer at `position` (from 1) with `executives`
    /// online: [`WaitEstimate::TooLittleData`] with fewer than [`MIN_SAMPLES`] recent
    /// hand-offs or no executive online.
    pub fn estimate(&self, now: Instant, position: usize, executives: usize) -> WaitEstimate {
        // Runs under the hub's lock: one pass, no allocation.
        let (count, total) = self
            .samples
            .iter()
            .filter(|s| now.saturating_duration_since(s.at) <= MAX_AGE)
            .fold((0u32, Duration::ZERO), |(n, sum), s| {
                (n + 1, sum.saturating_add(s.per_place))
            });
        if (count as usize) < MIN_SAMPLES || executives == 0 {
            return WaitEstimate::TooLittleData;
        }
        let mean = total / count;
        let position = u32::try_from(position.max(1)).unwrap_or(u32::MAX);
        let executives = u32::try_from(executives).unwrap_or(u32::MAX);
        WaitEstimate::About(mean.saturating_mul(position) / executives)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// One hand-off: seconds waited, position on joining, executives online.
    type HandOff = (u64, usize, usize);

    /// Stats with one sample per hand-off, all recorded at `at`.
    fn stats(at: Instant, samples: &[HandOff]) -> WaitStats {
        let mut stats = WaitStats::default();
        for &(waited, position, executives) in samples {
            stats.record(at, secs(waited), position, executives);
        }
        stats
    }

    #[test]
    fn too_little_data_is_said_so() {
        let now = Instant::now();
        let table: [(&[HandOff], usize, usize); 4] = [
            (&[], 1, 1),
            (&[(60, 1, 1), (60, 1, 1)], 1, 1),
            // Enough samples, but nobody online to serve.
            (&[(60, 1, 1), (60, 1, 1), (60, 1, 1)], 1, 0),
            (&[(60, 1, 1), (60, 1, 1), (60, 1, 1), (60, 1, 1)], 3, 0),
        ];
        for (samples, position, executives) in table {
            assert_eq!(
                stats(now, samples).estimate(now, position, executives),
                WaitEstimate::TooLittleData,
                "{samples:?} {position} {executives}"
            );
        }
    }

    #[test]
    fn the_estimate_scales_with_position_and_executives() {
        let now = Instant::now();
        // One place took 2, 4 and 6 minutes of one executive's time: 4 on average.
        let samples = [(120, 1, 1), (480, 2, 1), (180, 1, 2)];
        let table = [
            // (position, executives, expected seconds)
            (1, 1, 240),
            (3, 1, 720),
            (3, 2, 360),
            (1, 4, 60),
            // A position 0 counts as the head of the queue.
            (0, 1, 240),
        ];
        for (position, executives, expected) in table {
            assert_eq!(
                stats(now, &samples).estimate(now, position, executives),
                WaitEstimate::About(secs(expected)),
                "{position} {executives}"
            );
        }
    }

    #[test]
    fn only_the_last_window_counts() {
        let now = Instant::now();
        let mut stats = stats(now, &[(6000, 1, 1); WINDOW]);
        for _ in 0..WINDOW {
            stats.record(now, secs(60), 1, 1);
        }
        assert_eq!(stats.estimate(now, 2, 1), WaitEstimate::About(secs(120)));
    }

    #[test]
    fn old_hand_offs_are_not_recent() {
        let then = Instant::now();
        let mut stats = stats(then, &[(600, 1, 1), (600, 1, 1)]);
        let later = then + MAX_AGE + secs(1);
        stats.record(later, secs(60), 1, 1);
        // Two of the three samples are too old.
        assert_eq!(stats.estimate(later, 1, 1), WaitEstimate::TooLittleData);
        stats.record(later, secs(60), 1, 1);
        stats.record(later, secs(90), 1, 1);
        assert_eq!(
            stats.estimate(later, 1, 1),
            WaitEstimate::About(Duration::from_secs(70))
        );
    }
}
