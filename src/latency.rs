//! Latency histograms (HDR, 3 significant digits) and their percentiles, shared by the
//! load generator's report and the server's own statistics.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest sample.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

/// A latency histogram in microseconds (1 µs to 1 h, 3 significant digits).
pub struct Latency {
    hist: Histogram<u64>,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            hist: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .expect("constant histogram bounds are valid"),
        }
    }
}

impl Latency {
    /// Adds one sample (clamped into the histogram's range).
    pub fn record(&mut self, sample: Duration) {
        let micros = u64::try_from(sample.as_micros())
            .unwrap_or(u64::MAX)
            .clamp(1, self.hist.high());
        // Cannot fail: the value was clamped into range.
        let _ = self.hist.record(micros);
    }

    /// The percentiles, or `None` without samples.
    pub fn percentiles(&self) -> Option<Percentiles> {
        if self.hist.is_empty() {
            return None;
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Some(Percentiles {
            count: self.hist.len(),
            p50: ms(self.hist.value_at_quantile(0.50)),
            p90: ms(self.hist.value_at_quantile(0.90)),
            p99: ms(self.hist.value_at_quantile(0.99)),
            max: ms(self.hist.max()),
            mean: self.hist.mean() / 1000.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_samples() {
        let mut latency = Latency::default();
        for ms in 1..=100u64 {
            latency.record(Duration::from_millis(ms));
        }
        let p = latency.percentiles().unwrap();
        assert_eq!(p.count, 100);
        // 3 significant digits: within 0.1 %.
        assert!((p.p50 - 50.0).abs() < 0.1, "{p:?}");
        assert!((p.p90 - 90.0).abs() < 0.1, "{p:?}");
        assert!((p.p99 - 99.0).abs() < 0.1, "{p:?}");
        assert!((p.max - 100.0).abs() < 0.1, "{p:?}");
        assert!(Latency::default().percentiles().is_none());
    }
}
