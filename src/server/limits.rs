//! Connection limits and the per-connection message rate limiter. (Wrong executives'
//! tokens are counted for the whole server in the store: see `StoreOp::TokenFailed`.)

use std::time::{Duration, Instant};

use ipnet::IpNet;

use super::budget::Budget;

/// Limits and timeouts of every connection. [`Limits::default`] holds the defaults (the
/// server's command line shows the same values).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Maximum simultaneous logged-in customers; beyond it new ones are refused politely.
    pub max_connections: usize,
    /// Maximum simultaneous logged-in executives.
    pub max_agent_connections: usize,
    /// Maximum simultaneous customer connections that have not logged in yet; they do not
    /// take the slots of `max_connections`.
    pub max_pre_login_connections: usize,
    /// Maximum simultaneous executive connections that have not logged in yet.
    pub max_agent_pre_login_connections: usize,
    /// Connections one address may hold on one port before logging in.
    pub max_pre_login_per_address: usize,
    /// New connections one address may open on each port.
    pub address_connections: Budget,
    /// Login attempts (RUTs typed) one address may make.
    pub address_logins: Budget,
    /// New customer registrations one address may make.
    pub address_registrations: Budget,
    /// Executive token attempts one address may make.
    pub address_token_attempts: Budget,
    /// Load balancers whose connections start with a PROXY protocol header (v1 or v2)
    /// naming the real client; the per-address limits then apply to that client.
    pub proxy_from: Vec<IpNet>,
    /// Time a connection from a proxy has to send its PROXY header.
    pub proxy_header_timeout: Duration,
    /// Maximum line length in bytes; a longer line is dropped with a notice (one that runs on
    /// past 64 times this without a newline closes the connection).
    pub max_line_length: usize,
    /// Messages waiting to be delivered to one connection; a client that does not read is
    /// disconnected when they fill up.
    pub send_queue: usize,
    /// How long a write to a client may block before the client is considered stuck.
    pub write_timeout: Duration,
    /// Time allowed to log in (RUT, or the executives' token and name), counted from the
    /// connection's start: no input extends it (an absolute deadline).
    pub login_timeout: Duration,
    /// Idle time after which a customer is disconnected (waiting in the queue does not count).
    pub idle_timeout: Duration,
    /// Time a customer may wait in the queue without writing while no executive takes them:
    /// then they are told, their contact request is closed and they are back at the menu.
    pub queue_idle_timeout: Duration,
    /// Time a waiting customer whose connection was lost keeps their place in the queue,
    /// for a new connection of theirs to take it (logging in with the same RUT); nobody is
    /// handed to an executive in their absence. Zero: the place is lost at once.
    pub queue_grace: Duration,
    /// Time an executive has, after a customer leaves a chat, to note and `:close` it
    /// (after-call work); then the ended chat leaves the desk and its place goes to the
    /// next customer. Zero: it stays until `:close`.
    pub wrap_up_limit: Duration,
    /// Idle time after which an executive is disconnected.
    pub agent_idle_timeout: Duration,
    /// Sustained messages per second allowed per connection.
    pub rate: f64,
    /// Burst of messages allowed per connection above the sustained rate.
    pub burst: u32,
    /// Sustained messages per second allowed per executive connection (executives paste
    /// notes and answers: a higher budget than customers').
    pub agent_rate: f64,
    /// Burst of messages allowed per executive connection above `agent_rate`.
    pub agent_burst: u32,
    /// Time given to open connections to finish after Ctrl-C/SIGTERM.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 15_000,
            max_agent_connections: 500,
            max_pre_login_connections: 1000,
            max_agent_pre_login_connections: 50,
            max_pre_login_per_address: 32,
            address_connections: Budget::every(120, Duration::from_secs(60)),
            address_logins: Budget::every(30, Duration::from_secs(60)),
            address_registrations: Budget::every(10, Duration::from_secs(3600)),
            address_token_attempts: Budget::every(10, Duration::from_secs(600)),
            proxy_from: Vec::new(),
            proxy_header_timeout: Duration::from_secs(5),
            max_line_length: 4096,
            send_queue: 256,
            write_timeout: Duration::from_secs(10),
            login_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(15 * 60),
            queue_idle_timeout: Duration::from_secs(30 * 60),
            queue_grace: Duration::from_secs(2 * 60),
            wrap_up_limit: Duration::from_secs(5 * 60),
            agent_idle_timeout: Duration::from_secs(2 * 3600),
            rate: 10.0,
            burst: 30,
            agent_rate: 50.0,
            agent_burst: 300,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// The shortest `max_line_length`: a RUT, an 80-letter name, a sentence and the generated
/// 64-digit executives' token with a CRLF must fit.
pub const MIN_LINE_LENGTH: usize = 256;

impl Limits {
    /// Refuses values that would break every connection (a send queue of 0 panics in each
    /// connection task; a zero timeout closes each at once; a zero cap refuses everyone).
    /// `Server::start` checks it; the command line refuses the same values earlier, naming
    /// the option.
    pub fn check(&self) -> Result<(), String> {
        let counts = [
            ("max_connections", self.max_connections),
            ("max_agent_connections", self.max_agent_connections),
            ("max_pre_login_connections", self.max_pre_login_connections),
            (
                "max_agent_pre_login_connections",
                self.max_agent_pre_login_connections,
            ),
            ("max_pre_login_per_address", self.max_pre_login_per_address),
            ("send_queue", self.send_queue),
            ("burst", self.burst as usize),
            ("agent_burst", self.agent_burst as usize),
        ];
        let timeouts = [
            ("proxy_header_timeout", self.proxy_header_timeout),
            ("write_timeout", self.write_timeout),
            ("login_timeout", self.login_timeout),
            ("idle_timeout", self.idle_timeout),
            ("queue_idle_timeout", self.queue_idle_timeout),
            ("agent_idle_timeout", self.agent_idle_timeout),
        ];
        let rates = [("rate", self.rate), ("agent_rate", self.agent_rate)];
        if let Some((name, _)) = counts.iter().find(|(_, n)| *n == 0) {
            return Err(format!("{name} must be at least 1"));
        }
        if self.max_line_length < MIN_LINE_LENGTH {
            return Err(format!(
                "max_line_length must be at least {MIN_LINE_LENGTH}"
            ));
        }
        if let Some((name, _)) = timeouts.iter().find(|(_, t)| t.is_zero()) {
            return Err(format!("{name} must be longer than 0"));
        }
        if let Some((name, _)) = rates.iter().find(|(_, r)| !(r.is_finite() && *r > 0.0)) {
            return Err(format!("{name} must be a number above 0"));
        }
        Ok(())
    }
}

/// A token bucket: `burst` messages at once, refilled at `rate` per second.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: f64, burst: u32) -> TokenBucket {
        let capacity = f64::from(burst.max(1));
        TokenBucket {
            rate: rate.max(0.0),
            capacity,
            tokens: capacity,
            last: Instant::now(),
        }
    }

    /// Takes one token at `now`; `false` when the bucket is empty.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Limits {
    /// These limits without any per-address limit (budgets off, no cap per address): for
    /// a load generator that opens thousands of connections from one address.
    pub fn without_address_limits(self) -> Limits {
        Limits {
            max_pre_login_per_address: usize::MAX,
            address_connections: Budget::Off,
            address_logins: Budget::Off,
            address_registrations: Budget::Off,
            address_token_attempts: Budget::Off,
            ..self
        }
    }
}

/// Raises the open-files soft limit towards `wanted` (each connection is a descriptor),
/// and the hard limit too when the process is privileged (root or `CAP_SYS_RESOURCE`).
/// Returns the soft limit now in force, `None` when it could not be read or raised.
pub fn raise_open_files_limit(wanted: u64) -> Option<u64> {
    let limit = match rlimit::increase_nofile_limit(wanted) {
        Ok(limit) => limit,
        Err(err) => {
            tracing::warn!(cause = %err, "could not raise the open-files limit");
            return None;
        }
    };
    if limit < wanted && rlimit::Resource::NOFILE.set(wanted, wanted).is_ok() {
        return Some(wanted);
    }
    Some(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_that_would_break_every_connection_are_refused() {
        assert_eq!(Limits::default().check(), Ok(()));
        let broken: [fn(&mut Limits); 5] = [
            |l| l.send_queue = 0,
            |l| l.max_line_length = MIN_LINE_LENGTH - 1,
            |l| l.idle_timeout = Duration::ZERO,
            |l| l.rate = f64::NAN,
            |l| l.max_connections = 0,
        ];
        for (i, breaks) in broken.iter().enumerate() {
            let mut limits = Limits::default();
            breaks(&mut limits);
            assert!(limits.check().is_err(), "case {i}");
        }
    }

    #[test]
    fn bucket_allows_a_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(2.0, 3);
        assert!((0..3).all(|_| bucket.take(start)));
        assert!(!bucket.take(start));
        assert!(bucket.take(start + Duration::from_millis(500)));
        assert!(!bucket.take(start + Duration::from_millis(500)));
    }
}
