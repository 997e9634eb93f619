//! Per-address budgets: how many new connections, logins (RUT attempts), registrations and
//! executive token attempts one client address may spend, refilled over time.
//!
//! Each budget is a keyed GCRA rate limiter from `governor` (a token bucket without a
//! timer per key). Memory for the keys stays bounded: a key whose bucket has refilled is
//! indistinguishable from a fresh one and is dropped by [`Budgets::housekeep`], which the
//! server runs on a timer and which a check also runs (at most once a second) when a
//! limiter holds more than [`MAX_TRACKED_ADDRESSES`] keys. IPv6 clients are keyed by their
//! /64 network, the smallest block one subscriber gets, so that rotating through one's own
//! addresses does not multiply one's budget.
//!
//! Nothing is exempt: loopback clients spend budgets like anyone else (the tests use
//! 127.0.0.1 and 127.0.0.2 as two different clients).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::limits::Limits;
use crate::protocol::notice;

/// Above this many keys in one limiter a check prunes the stale ones itself instead of
/// waiting for the next [`Budgets::housekeep`] (a key costs about 50 bytes).
pub const MAX_TRACKED_ADDRESSES: usize = 100_000;

/// How many events one address may spend: `count` at once, refilled evenly over `period`
/// (so `120/1m` allows a burst of 120 and then one every half second). Written `N/PERIOD`
/// (`30/1m`, `10/1h`) or `off` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// No limit.
    Off,
    /// `count` events per `period`.
    Every {
        /// Events allowed at once (and per period).
        count: NonZeroU32,
        /// Time to refill the whole budget.
        period: Duration,
    },
}

impl Budget {
    /// `count` events per `period`.
    ///
    /// # Panics
    /// When `count` is zero (a zero budget would refuse everything; use [`Budget::Off`] to
    /// disable a limit, or a small count).
    pub fn every(count: u32, period: Duration) -> Budget {
        Budget::Every {
            count: NonZeroU32::new(count).expect("a budget's count is at least 1"),
            period,
        }
    }

    fn quota(self) -> Option<Quota> {
        match self {
            Budget::Off => None,
            Budget::Every { count, period } => {
                // One cell every period/count, at least a nanosecond.
                let each = (period / count.get()).max(Duration::from_nanos(1));
                Quota::with_period(each).map(|quota| quota.allow_burst(count))
            }
        }
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Budget::Off => f.write_str("off"),
            Budget::Every { count, period } => {
                write!(f, "{count}/{}", humantime::format_duration(*period))
            }
        }
    }
}

/// Why a budget could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum BudgetParseError {
    /// Not `N/PERIOD` or `off`.
    #[error("expected N/PERIOD (such as 30/1m) or off, got {0:?}")]
    Shape(String),
    /// The count is not a positive integer.
    #[error("the count of {0:?} must be a whole number of at least 1")]
    Count(String),
    /// The period is not a positive duration.
    #[error("the period of {0:?} must be a duration above zero (such as 1m or 10m)")]
    Period(String),
}

impl FromStr for Budget {
    type Err = BudgetParseError;

    fn from_str(text: &str) -> Result<Budget, BudgetParseError> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(Budget::Off);
        }
        let (count, period) = text
            .split_once('/')
            .ok_or_else(|| BudgetParseError::Shape(text.to_string()))?;
        let count = count
            .trim()
            .parse::<NonZeroU32>()
            .map_err(|_| BudgetParseError::Count(text.to_string()))?;
        let period: Duration = humantime::parse_duration(period.trim())
            .map_err(|_| BudgetParseError::Period(text.to_string()))?;
        if period.is_zero() {
            return Err(BudgetParseError::Period(text.to_string()));
        }
        Ok(Budget::Every { count, period })
    }
}

/// Which listening port a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Port {
    /// The customers' port.
    Customers,
    /// The executives' port.
    Executives,
}

/// Which budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    /// New connections on one port.
    Connections(Port),
    /// Login attempts (RUTs typed on the customers' port).
    Logins,
    /// New customer registrations.
    Registrations,
    /// Executive token attempts.
    TokenAttempts,
}

/// A budget ran out for an address: what, and when the next attempt may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{spent:?} budget spent for this address; retry after {}s", retry_after.as_secs_f64().ceil())]
pub struct Refusal {
    /// The budget that ran out.
    pub spent: Spent,
    /// How long until one more attempt fits in the budget.
    pub retry_after: Duration,
}

impl Refusal {
    /// The sentence to send the client (Spanish, without the speaker's prefix): what was
    /// refused and when to try again, in whole minutes (at least one).
    pub fn notice(&self) -> String {
        let minutes = self.retry_after.as_secs().div_ceil(60);
        let what = match self.spent {
            Spent::Connections(_) => notice::TOO_MANY_CONNECTIONS,
            Spent::Logins => notice::TOO_MANY_LOGINS,
            Spent::Registrations => notice::TOO_MANY_REGISTRATIONS,
            Spent::TokenAttempts => notice::TOO_MANY_TOKENS,
        };
        format!("{what} {}", notice::try_again_in(minutes))
    }
}

type Limiter<C> =
    RateLimiter<IpAddr, DashMapStateStore<IpAddr>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// One budget: a keyed limiter, or nothing when the budget is off.
struct Keyed<C: Clock> {
    limiter: Option<Limiter<C>>,
    spent: Spent,
}

impl<C: Clock + Clone> Keyed<C> {
    fn new(budget: Budget, spent: Spent, clock: &C) -> Keyed<C> {
        Keyed {
            limiter: budget
                .quota()
                .map(|quota| RateLimiter::dashmap_with_clock(quota, clock.clone())),
            spent,
        }
    }
}

/// The per-address budgets of one server. Cheap to check from any task (the limiters are
/// sharded concurrent maps; no lock is held across an `.await`).
pub struct Budgets<C: Clock = DefaultClock> {
    customer_connections: Keyed<C>,
    executive_connections: Keyed<C>,
    logins: Keyed<C>,
    registrations: Keyed<C>,
    token_attempts: Keyed<C>,
    clock: C,
    start: C::Instant,
    /// When a check last pruned an over-full limiter (the clock's nanoseconds since start,
    /// plus one so that zero means never).
    last_prune: AtomicU64,
}

impl Budgets<DefaultClock> {
    /// The budgets `limits` configures, on the real clock.
    pub fn new(limits: &Limits) -> Budgets {
        Budgets::with_clock(limits, DefaultClock::default())
    }
}

impl<C: Clock + Clone> Budgets<C> {
    /// The budgets `limits` configures, on `clock` (tests pass a fake clock).
    pub fn with_clock(limits: &Limits, clock: C) -> Budgets<C> {
        Budgets {
            customer_connections: Keyed::new(
                limits.address_connections,
                Spent::Connections(Port::Customers),
                &clock,
            ),
            executive_connections: Keyed::new(
                limits.address_connections,
                Spent::Connections(Port::Executives),
                &clock,
            ),
            logins: Keyed::new(limits.address_logins, Spent::Logins, &clock),
            registrations: Keyed::new(limits.address_registrations, Spent::Registrations, &clock),
            token_attempts: Keyed::new(limits.address_token_attempts, Spent::TokenAttempts, &clock),
            last_prune: AtomicU64::new(0),
            start: clock.now(),
            clock,
        }
    }

    /// Spends one new connection on `port` from `ip`. The accept loop calls it.
    pub fn check_connection(&self, ip: IpAddr, port: Port) -> Result<(), Refusal> {
        match port {
            Port::Customers => self.check(&self.customer_connections, ip),
            Port::Executives => self.check(&self.executive_connections, ip),
        }
    }

    /// Spends one login attempt (a RUT typed on the customers' port) from `ip`.
    pub fn check_login(&self, ip: IpAddr) -> Result<(), Refusal> {
        self.check(&self.logins, ip)
    }

    /// Spends one new customer registration from `ip`.
    pub fn check_registration(&self, ip: IpAddr) -> Result<(), Refusal> {
        self.check(&self.registrations, ip)
    }

    /// Spends one executive token attempt from `ip`.
    pub fn check_token(&self, ip: IpAddr) -> Result<(), Refusal> {
        self.check(&self.token_attempts, ip)
    }

    fn check(&self, keyed: &Keyed<C>, ip: IpAddr) -> Result<(), Refusal> {
        let Some(limiter) = &keyed.limiter else {
            return Ok(());
        };
        let result = limiter.check_key(&address_key(ip));
        if limiter.len() > MAX_TRACKED_ADDRESSES {
            self.prune_now(limiter);
        }
        result.map_err(|not_until| Refusal {
            spent: keyed.spent,
            retry_after: not_until.wait_time_from(self.clock.now()),
        })
    }

    /// Prunes `limiter` unless a check did so less than a second ago (pruning walks every
    /// key; a flood of new addresses must not make every check walk them).
    fn prune_now(&self, limiter: &Limiter<C>) {
        let stamp = self.nanos_now().saturating_add(1);
        let last = self.last_prune.load(Ordering::Relaxed);
        if last != 0 && stamp.saturating_sub(last) < 1_000_000_000 {
            return;
        }
        if self
            .last_prune
            .compare_exchange(last, stamp, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    fn nanos_now(&self) -> u64 {
        self.clock.now().duration_since(self.start).as_u64()
    }

    /// Drops every key whose budget has refilled and gives the memory back; returns how
    /// many keys remain. The server runs it every [`HOUSEKEEPING_PERIOD`].
    pub fn housekeep(&self) -> usize {
        self.limiters()
            .map(|limiter| {
                limiter.retain_recent();
                limiter.shrink_to_fit();
                limiter.len()
            })
            .sum()
    }

    /// Keys held by all the limiters (for the statistics and the tests).
    pub fn tracked(&self) -> usize {
        self.limiters().map(Limiter::len).sum()
    }

    fn limiters(&self) -> impl Iterator<Item = &Limiter<C>> {
        [
            &self.customer_connections,
            &self.executive_connections,
            &self.logins,
            &self.registrations,
            &self.token_attempts,
        ]
        .into_iter()
        .filter_map(|keyed| keyed.limiter.as_ref())
    }
}

/// How often the server prunes the budgets' stale keys.
pub const HOUSEKEEPING_PERIOD: Duration = Duration::from_secs(10);

/// The key an address spends from: IPv4 as is (also when mapped into IPv6), IPv6 by its
/// /64 network.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(network))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    const ONE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const TWO: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    fn budgets(limits: Limits) -> (Budgets<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (Budgets::with_clock(&limits, clock.clone()), clock)
    }

    #[test]
    fn budgets_parse_and_print() {
        let table: &[(&str, Budget)] = &[
            ("30/1m", Budget::every(30, Duration::from_secs(60))),
            ("10/1h", Budget::every(10, Duration::from_secs(3600))),
            (" 5 / 90s ", Budget::every(5, Duration::from_secs(90))),
            ("off", Budget::Off),
            ("OFF", Budget::Off),
        ];
        for (text, budget) in table {
            assert_eq!(text.parse::<Budget>().unwrap(), *budget, "{text}");
            assert_eq!(budget.to_string().parse::<Budget>().unwrap(), *budget);
        }
        for bad in ["", "30", "0/1m", "-1/1m", "30/", "30/0s", "30/soon", "x/1m"] {
            assert!(bad.parse::<Budget>().is_err(), "{bad:?}");
        }
        assert_eq!(
            Budget::every(120, Duration::from_secs(60)).to_string(),
            "120/1m"
        );
    }

    #[test]
    fn each_budget_allows_its_burst_then_refills_per_address() {
        let (budgets, clock) = budgets(Limits {
            address_connections: "3/1m".parse().unwrap(),
            address_logins: "2/1m".parse().unwrap(),
            address_registrations: "1/1h".parse().unwrap(),
            address_token_attempts: "2/10m".parse().unwrap(),
            ..Limits::default()
        });
        type Check<'a> = Box<dyn Fn(IpAddr) -> Result<(), Refusal> + 'a>;
        let table: Vec<(&str, u32, Duration, Check)> = vec![
            (
                "connections",
                3,
                Duration::from_secs(20),
                Box::new(|ip| budgets.check_connection(ip, Port::Customers)),
            ),
            (
                "logins",
                2,
                Duration::from_secs(30),
                Box::new(|ip| budgets.check_login(ip)),
            ),
            (
                "registrations",
                1,
                Duration::from_secs(3600),
                Box::new(|ip| budgets.check_registration(ip)),
            ),
            (
                "tokens",
                2,
                Duration::from_secs(300),
                Box::new(|ip| budgets.check_token(ip)),
            ),
        ];
        for (name, burst, each, check) in &table {
            for _ in 0..*burst {
                assert!(check(ONE).is_ok(), "{name}");
            }
            let refusal = check(ONE).unwrap_err();
            assert!(
                refusal.retry_after > Duration::ZERO && refusal.retry_after <= *each,
                "{name}: {refusal:?}"
            );
            // Another address is not starved.
            assert!(check(TWO).is_ok(), "{name}");
        }
        // After one refill period each budget allows exactly one more.
        clock.advance(Duration::from_secs(20));
        assert!(budgets.check_connection(ONE, Port::Customers).is_ok());
        assert!(budgets.check_connection(ONE, Port::Customers).is_err());
        // The executives' port has a budget of its own.
        assert!(budgets.check_connection(ONE, Port::Executives).is_ok());
        clock.advance(Duration::from_secs(3600));
        for (name, _, _, check) in &table {
            assert!(check(ONE).is_ok(), "{name} refilled");
        }
    }

    #[test]
    fn off_never_refuses_and_tracks_nothing() {
        let (budgets, _) = budgets(Limits::default().without_address_limits());
        for _ in 0..10_000 {
            assert!(budgets.check_login(ONE).is_ok());
        }
        assert_eq!(budgets.tracked(), 0);
    }

    #[test]
    fn housekeeping_forgets_refilled_addresses() {
        let (budgets, clock) = budgets(Limits {
            address_logins: "5/1m".parse().unwrap(),
            ..Limits::default()
        });
        for i in 0..1000u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            budgets.check_login(ip).unwrap();
        }
        assert_eq!(budgets.tracked(), 1000);
        assert_eq!(budgets.housekeep(), 1000, "still within their period");
        clock.advance(Duration::from_secs(61));
        assert_eq!(budgets.housekeep(), 0);
    }

    #[test]
    fn ipv6_clients_share_their_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        assert_eq!(
            address_key("::ffff:10.1.2.3".parse().unwrap()),
            "10.1.2.3".parse::<IpAddr>().unwrap()
        );
        let (budgets, _) = budgets(Limits {
            address_registrations: "1/1h".parse().unwrap(),
            ..Limits::default()
        });
        assert!(budgets.check_registration(a).is_ok());
        assert!(budgets.check_registration(b).is_err());
        assert!(budgets.check_registration(other).is_ok());
    }

    #[test]
    fn refusal_notices_say_what_and_when() {
        let refusal = Refusal {
            spent: Spent::Logins,
            retry_after: Duration::from_secs(150),
        };
        assert_eq!(
            refusal.notice(),
            "Hay demasiados intentos de ingreso desde su dirección. Por favor intente nuevamente en 3 minutos."
        );
        let soon = Refusal {
            spent: Spent::TokenAttempts,
            retry_after: Duration::from_millis(10),
        };
        assert!(
            soon.notice().ends_with("en un minuto."),
            "{}",
            soon.notice()
        );
    }
}
