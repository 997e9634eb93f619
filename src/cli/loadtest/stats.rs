//! Aggregating session outcomes into the load-test report (HDR histograms, error counts)
//! and printing it as text or JSON.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

pub use reclamos::latency::{Latency, Percentiles};

/// What one simulated session measured.
#[derive(Debug, Default)]
pub struct SessionOutcome {
    /// Time to connect and receive the greeting (or, for echo, to connect).
    pub connect: Option<Duration>,
    /// Round trips to the bot, each with the step of the script it belongs to (`login`,
    /// `request list`, ...): from sending a line to the last line of its answer.
    pub rtts: Vec<(&'static str, Duration)>,
    /// From asking for an executive to being assigned one.
    pub served: Option<Duration>,
    /// Chat round trips through a (simulated) executive.
    pub chat_rtts: Vec<Duration>,
    /// Lines written.
    pub sent: u64,
    /// Lines read.
    pub received: u64,
    /// Why the session failed, if it did.
    pub error: Option<SessionError>,
}

/// Why a simulated session failed; `kind` is what the report counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionError {
    /// Short category, e.g. `connect`, `timeout (menu)`, `closed (menu)`, `login rejected`.
    pub kind: String,
    /// Details for the first few errors printed.
    pub detail: String,
}

impl SessionError {
    /// An error of `kind` with `detail`.
    pub fn new(kind: impl Into<String>, detail: impl Into<String>) -> SessionError {
        SessionError {
            kind: kind.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

/// Accumulates outcomes as sessions finish.
#[derive(Default)]
pub struct Collector {
    completed: u64,
    failed: u64,
    sent: u64,
    received: u64,
    rtt: Latency,
    /// The same round trips by step, in the order the steps first came.
    steps: Vec<(&'static str, Latency)>,
    connect: Latency,
    served: Latency,
    chat: Latency,
    errors: BTreeMap<String, u64>,
    examples: Vec<SessionError>,
}

/// How many error details the report keeps.
const EXAMPLES: usize = 5;

impl Collector {
    /// Adds one finished session.
    pub fn add(&mut self, outcome: SessionOutcome) {
        self.sent += outcome.sent;
        self.received += outcome.received;
        if let Some(connect) = outcome.connect {
            self.connect.record(connect);
        }
        for (step, rtt) in outcome.rtts {
            self.rtt.record(rtt);
            self.step(step).record(rtt);
        }
        if let Some(served) = outcome.served {
            self.served.record(served);
        }
        for rtt in outcome.chat_rtts {
            self.chat.record(rtt);
        }
        match outcome.error {
            None => self.completed += 1,
            Some(err) => {
                self.failed += 1;
                *self.errors.entry(err.kind.clone()).or_default() += 1;
                if self.examples.len() < EXAMPLES {
                    self.examples.push(err);
                }
            }
        }
    }

    fn step(&mut self, step: &'static str) -> &mut Latency {
        let at = match self.steps.iter().position(|(name, _)| *name == step) {
            Some(at) => at,
            None => {
                self.steps.push((step, Latency::default()));
                self.steps.len() - 1
            }
        };
        &mut self.steps[at].1
    }

    /// Lines sent and received so far by other simulated parties (executives).
    pub fn add_traffic(&mut self, sent: u64, received: u64) {
        self.sent += sent;
        self.received += received;
    }

    /// Counts an error that is not a customer session's (e.g. an executive failing).
    pub fn add_error(&mut self, err: SessionError) {
        *self.errors.entry(err.kind.clone()).or_default() += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(err);
        }
    }

    /// The report for a run of `elapsed`.
    pub fn report(&self, target: &str, elapsed: Duration) -> Report {
        let secs = elapsed.as_secs_f64().max(1e-9);
        Report {
            target: target.to_string(),
            sessions_completed: self.completed,
            sessions_failed: self.failed,
            duration_s: elapsed.as_secs_f64(),
            messages_sent: self.sent,
            messages_received: self.received,
            messages_per_s: self.sent as f64 / secs,
            received_per_s: self.received as f64 / secs,
            rtt_ms: self.rtt.percentiles(),
            rtt_by_step: self
                .steps
                .iter()
                .filter_map(|(step, latency)| {
                    latency.percentiles().map(|rtt_ms| StepRtt {
                        step: (*step).to_string(),
                        rtt_ms,
                    })
                })
                .collect(),
            connect_ms: self.connect.percentiles(),
            serve_ms: self.served.percentiles(),
            chat_rtt_ms: self.chat.percentiles(),
            server_answer_ms: None,
            echo_cpu_us: None,
            errors: self.errors.clone(),
            error_examples: self.examples.iter().map(ToString::to_string).collect(),
            peak_connections: 0,
            held_connections: None,
            server_rss_kib: None,
            nofile_limit: None,
            echo: None,
            rtt_ratio_p50: None,
            rtt_ratio_p99: None,
        }
    }
}

/// The result of a load test. `--json` prints it as one object.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `bot` (a reclamos server) or `echo` (the bare echo server).
    pub target: String,
    /// Sessions that ran their whole script.
    pub sessions_completed: u64,
    /// Sessions that failed (see `errors`).
    pub sessions_failed: u64,
    /// Wall time from the first connection to the last session's end.
    pub duration_s: f64,
    /// Lines written by the simulated customers and executives.
    pub messages_sent: u64,
    /// Lines they read.
    pub messages_received: u64,
    /// `messages_sent` per second of `duration_s`.
    pub messages_per_s: f64,
    /// `messages_received` per second.
    pub received_per_s: f64,
    /// Round trip to the bot: from sending a line to the end of the complete answer.
    pub rtt_ms: Option<Percentiles>,
    /// The same round trips by step of the script, in the order of a session.
    pub rtt_by_step: Vec<StepRtt>,
    /// Connecting and receiving the greeting.
    pub connect_ms: Option<Percentiles>,
    /// From choosing option 3 to being assigned an executive.
    pub serve_ms: Option<Percentiles>,
    /// Customer -> executive -> customer round trip during a live chat.
    pub chat_rtt_ms: Option<Percentiles>,
    /// With `--spawn-server`: the server's own share of a round trip, from reading a line
    /// to writing its answer (every answered line, executives' included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_answer_ms: Option<Percentiles>,
    /// For the echo server with `--echo-cpu-us`: the CPU it spent on each line, in µs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub echo_cpu_us: Option<u64>,
    /// Failures by kind.
    pub errors: BTreeMap<String, u64>,
    /// The first few failures in full.
    pub error_examples: Vec<String>,
    /// Most simultaneous open connections of the load generator.
    pub peak_connections: usize,
    /// With `--hold`: customers that were connected at the same time at the hold point.
    pub held_connections: Option<usize>,
    /// With --hold --server-pid: the server's resident memory (KiB) before the run and
    /// while everybody was held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_rss_kib: Option<(u64, u64)>,
    /// The process's open-files limit after raising it.
    pub nofile_limit: Option<u64>,
    /// The echo baseline (`--with-echo-baseline`).
    pub echo: Option<Box<Report>>,
    /// Bot p50 RTT divided by echo p50 RTT.
    pub rtt_ratio_p50: Option<f64>,
    /// Bot p99 RTT divided by echo p99 RTT.
    pub rtt_ratio_p99: Option<f64>,
}

/// The round trips of one step of the customers' script (e.g. `login`).
#[derive(Debug, Clone, Serialize)]
pub struct StepRtt {
    /// The step, as named in error kinds (`timeout (login)`).
    pub step: String,
    /// Its round trips.
    pub rtt_ms: Percentiles,
}

impl Report {
    /// Attaches the echo baseline and computes the ratios.
    pub fn with_echo(mut self, echo: Report) -> Report {
        if let (Some(bot), Some(base)) = (self.rtt_ms, echo.rtt_ms) {
            self.rtt_ratio_p50 = (base.p50 > 0.0).then(|| bot.p50 / base.p50);
            self.rtt_ratio_p99 = (base.p99 > 0.0).then(|| bot.p99 / base.p99);
        }
        self.echo = Some(Box::new(echo));
        self
    }
}

fn write_latency(f: &mut fmt::Formatter<'_>, label: &str, p: Option<Percentiles>) -> fmt::Result {
    match p {
        Some(p) => writeln!(
            f,
            "  {label:<22} p50 {:>8.3}  p90 {:>8.3}  p99 {:>8.3}  max {:>8.3}  ms  (n={})",
            p.p50, p.p90, p.p99, p.max, p.count
        ),
        None => Ok(()),
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "load test against the {} server", self.target)?;
        match self.echo_cpu_us {
            Some(us) => writeln!(f, " ({us} µs of CPU per line)")?,
            None => writeln!(f)?,
        }
        writeln!(
            f,
            "  sessions               {} completed, {} failed",
            self.sessions_completed, self.sessions_failed
        )?;
        writeln!(f, "  duration               {:.2} s", self.duration_s)?;
        writeln!(
            f,
            "  messages               {} sent ({:.0}/s), {} received ({:.0}/s)",
            self.messages_sent, self.messages_per_s, self.messages_received, self.received_per_s
        )?;
        writeln!(f, "  peak connections       {}", self.peak_connections)?;
        if let Some(held) = self.held_connections {
            writeln!(f, "  held at once           {held}")?;
            if let Some((before, during)) = self.server_rss_kib {
                let per = during.saturating_sub(before) as f64 * 1024.0 / held.max(1) as f64;
                writeln!(
                    f,
                    "  server memory          {before} KiB before, {during} KiB held: {:.1} KiB per connection",
                    per / 1024.0
                )?;
            }
        }
        let echo_target = self.target == "echo";
        let (connect, rtt) = if echo_target {
            ("connect", "echo round trip")
        } else {
            ("connect + greeting", "bot round trip")
        };
        write_latency(f, connect, self.connect_ms)?;
        write_latency(f, rtt, self.rtt_ms)?;
        if !echo_target {
            for step in &self.rtt_by_step {
                write_latency(f, &format!("  {}", step.step), Some(step.rtt_ms))?;
            }
        }
        write_latency(f, "server's share", self.server_answer_ms)?;
        write_latency(f, "time to an executive", self.serve_ms)?;
        write_latency(f, "chat round trip", self.chat_rtt_ms)?;
        if !self.errors.is_empty() {
            writeln!(f, "  errors:")?;
            for (kind, count) in &self.errors {
                writeln!(f, "    {count:>6}  {kind}")?;
            }
            for example in &self.error_examples {
                writeln!(f, "    e.g. {example}")?;
            }
            if self.errors.contains_key("timeout (greeting)") {
                writeln!(
                    f,
                    "  hint: connected but never greeted usually means the server's accept queue \
                     overflowed during a burst of connections (see `nstat -az TcpExtListenOverflows`); \
                     spread the starts with --ramp-up-ms or limit --concurrency"
                )?;
            }
        }
        if let Some(echo) = &self.echo {
            write_latency(f, "echo round trip", echo.rtt_ms)?;
            if let (Some(p50), Some(p99)) = (self.rtt_ratio_p50, self.rtt_ratio_p99) {
                writeln!(f, "  bot / echo             p50 x{p50:.1}, p99 x{p99:.1}")?;
            }
            if let Some(us) = echo.echo_cpu_us {
                writeln!(f, "  (the echo spent {us} µs of CPU on each line)")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collector_counts_completions_failures_and_kinds() {
        let mut collector = Collector::default();
        collector.add(SessionOutcome {
            rtts: vec![
                ("login", Duration::from_millis(2)),
                ("request list", Duration::from_millis(4)),
                ("login", Duration::from_millis(6)),
            ],
            sent: 5,
            received: 20,
            ..SessionOutcome::default()
        });
        for _ in 0..2 {
            collector.add(SessionOutcome {
                sent: 1,
                error: Some(SessionError::new("timeout (menu)", "no menu after 10 s")),
                ..SessionOutcome::default()
            });
        }
        let report = collector.report("bot", Duration::from_secs(2));
        assert_eq!(report.sessions_completed, 1);
        assert_eq!(report.sessions_failed, 2);
        assert_eq!(report.errors.get("timeout (menu)"), Some(&2));
        assert_eq!(report.messages_sent, 7);
        assert!((report.messages_per_s - 3.5).abs() < 1e-9);
        assert_eq!(report.rtt_ms.unwrap().count, 3);
        let steps: Vec<(&str, u64)> = report
            .rtt_by_step
            .iter()
            .map(|s| (s.step.as_str(), s.rtt_ms.count))
            .collect();
        assert_eq!(steps, [("login", 2), ("request list", 1)]);
        assert!((report.rtt_by_step[1].rtt_ms.p50 - 4.0).abs() < 0.01);
        let text = report.to_string();
        assert!(text.contains("    login "), "{text}");
        let json = serde_json::to_value(&report).unwrap();
        for key in ["sessions_completed", "sessions_failed", "messages_per_s"] {
            assert!(json.get(key).is_some(), "{key} missing in {json}");
        }
        for key in ["p50", "p90", "p99", "max"] {
            assert!(json["rtt_ms"].get(key).is_some(), "rtt_ms.{key} missing");
        }
    }
}
