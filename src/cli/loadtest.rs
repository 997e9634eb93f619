//! `reclamos loadtest`: a load generator for sizing a deployment.
//!
//! Simulated customers (and optionally executives) talk to a running server, to one started
//! in this process (`--spawn-server`), or to a bare echo server (`--echo-server`, the
//! physical floor of a line round trip on this machine). Each customer logs in as one of the
//! synthetic customers the server seeds with `--demo-load-customers N` (RUT 50.000.000 + i,
//! i from 1), lists its requests and opens one, types free text, optionally queues for an
//! executive and chats, and says goodbye with `4`. The report gives sessions
//! completed/failed, messages per second, the bot's round-trip latency (from sending a line
//! to the last line of the complete answer, e.g. `(4) Salir`) overall and by step of the
//! script, the time to be served by an executive, and errors by kind. `--echo-cpu-us` gives
//! the echo server some work per line, to see how the floor moves with a server's CPU.
//!
//! Part of the binary, not of the library: the server and the tests that link the library
//! do not carry it; `tests/it/loadtest.rs` runs it as the real binary.
//!
//! - `stats`: histograms, the [`Report`] and its text and JSON forms.
//! - `bots`: the simulated customers, executives and the echo server.

mod bots;
mod stats;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use reclamos::server::{DEFAULT_AGENT_PORT, DEFAULT_CUSTOMER_PORT, DEFAULT_HOST};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use stats::Report;

use bots::{AgentPlan, CustomerPlan, Gauge, Hold};
use stats::{Collector, SessionError};

/// Options of `reclamos loadtest`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadtestArgs {
    /// Number of simulated customers.
    #[arg(long, default_value_t = 100)]
    pub customers: usize,
    /// Customers in session at the same time (default: all of them).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Simulated executives (they need the token: --token, RECLAMOS_AGENT_TOKEN or the
    /// local token file).
    #[arg(long, default_value_t = 0)]
    pub agents: usize,
    /// Percentage of customers who ask for an executive and chat (needs --agents).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub chat_percent: u8,
    /// Most lines per second each simulated executive sends (the server's default limit is
    /// 10 per second per connection; a real executive types far slower). The chat round
    /// trip includes this pacing.
    #[arg(long, default_value_t = 5.0)]
    pub agent_rate: f64,
    /// Spread the customers' starts evenly over this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub ramp_up_ms: u64,
    /// Mean pause before each line a simulated party sends (uniform in [t/2, 3t/2]).
    #[arg(long, default_value_t = 0)]
    pub think_ms: u64,
    /// Extra times each customer lists its requests and goes back to the menu before
    /// leaving (two round trips each): longer sessions, fewer logins and connections per
    /// message. The echo baseline's sessions get as many extra round trips.
    #[arg(long, default_value_t = 0)]
    pub menu_rounds: usize,
    /// What the simulated customers type at the menu, one sentence per customer in turn
    /// (repeat the option for several); by default four sentences: a restart, the request
    /// list, another restart and a billing question that goes to an executive. Comparing
    /// builds whose classifiers differ needs sentences both treat alike.
    #[arg(long = "free-text", value_name = "TEXT")]
    pub free_text: Vec<String>,
    /// Keep every customer connected until all are, then say goodbye (measures N
    /// simultaneous connections; implies --concurrency = --customers).
    #[arg(long)]
    pub hold: bool,
    /// With --hold: how long to keep everybody connected and idle at the menu before
    /// saying goodbye.
    #[arg(long, default_value_t = 0, requires = "hold")]
    pub hold_ms: u64,
    /// With --hold: the server's process id, to report its resident memory before the run
    /// and while everybody is held (Linux /proc), and the memory per idle connection.
    #[arg(long, requires = "hold")]
    pub server_pid: Option<u32>,
    /// Longest wait for one answer before the session counts as failed.
    #[arg(long, default_value_t = 30_000)]
    pub timeout_ms: u64,
    /// Longest wait in the queue for an executive.
    #[arg(long, default_value_t = 300_000)]
    pub serve_timeout_ms: u64,
    /// Index of the first synthetic customer (RUT 50.000.000 + i); lets several load
    /// generators share a server without logging in as the same customers.
    #[arg(long, default_value_t = 1)]
    pub first_customer: usize,
    /// Server host.
    #[arg(long, default_value = DEFAULT_HOST)]
    pub host: String,
    /// Customers' port.
    #[arg(long, default_value_t = DEFAULT_CUSTOMER_PORT)]
    pub port: u16,
    /// Executives' port.
    #[arg(long, default_value_t = DEFAULT_AGENT_PORT)]
    pub agent_port: u16,
    /// Executives' access token (else $RECLAMOS_AGENT_TOKEN, else the local token file).
    #[arg(long)]
    pub token: Option<String>,
    /// Read the executives' token from this file.
    #[arg(long, value_name = "PATH", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// Start a reclamos server in this process on free ports, with a temporary database
    /// seeded with the synthetic customers, instead of using --host/--port.
    #[arg(long, conflicts_with = "echo_server")]
    pub spawn_server: bool,
    /// With --spawn-server: the spawned server's registry instead of a temporary SQLite
    /// file, e.g. postgres://user@host:5432/dbname.
    #[arg(long, value_name = "FILE|URL", requires = "spawn_server")]
    pub spawn_db: Option<reclamos::registry::Location>,
    /// Measure against a bare in-process line-echo server instead (the physical floor).
    #[arg(long)]
    pub echo_server: bool,
    /// After the run, repeat it against the echo server and print the ratio bot/echo.
    #[arg(long, conflicts_with = "echo_server")]
    pub with_echo_baseline: bool,
    /// With --echo-server or --with-echo-baseline: microseconds of CPU the echo server
    /// spends, busy, on each line before answering it. Shows how the round trip on this
    /// machine grows with a server's own work per message (README, "Performance").
    #[arg(long, default_value_t = 0)]
    pub echo_cpu_us: u64,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Whether customer `i` of the run chats: exactly `percent` % of every hundred customers,
/// spread evenly (25 % means every fourth customer).
fn chats(i: usize, percent: u8) -> bool {
    let p = usize::from(percent);
    (i + 1) * p / 100 > i * p / 100
}

/// The most CPU the echo server may spend per line (`--echo-cpu-us`).
const MAX_ECHO_CPU_US: u64 = 1_000_000;

/// Round trips of one echo session: as many as a customer's (RUT, 1, 1, free text, 4),
/// plus two for each of `--menu-rounds`.
fn echo_exchanges(args: &LoadtestArgs) -> usize {
    5 + 2 * args.menu_rounds
}

/// Runs the load test. Exits with failure when any session failed.
pub fn main(args: LoadtestArgs) -> anyhow::Result<ExitCode> {
    // 10,000 connections need far more than the usual 1,024 descriptors: as many as allowed.
    let nofile = reclamos::server::limits::raise_open_files_limit(u64::MAX);
    if let Some(limit) = nofile {
        check_fd_budget(&args, limit)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut report = runtime.block_on(run(&args, true))?;
    report.nofile_limit = nofile;
    let mut out = super::stdout();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{report}")?;
        if let Some(limit) = nofile {
            writeln!(out, "  open-files limit       {limit}")?;
        }
    }
    Ok(if report.sessions_failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Fails early when the run needs more file descriptors than the process may open (each
/// connection open at once is one descriptor, two with `--spawn-server` where both ends
/// live here; `--concurrency` bounds how many are open at once).
fn check_fd_budget(args: &LoadtestArgs, limit: u64) -> anyhow::Result<()> {
    let at_once = args
        .concurrency
        .map_or(args.customers, |c| c.min(args.customers));
    let connections = (at_once + args.agents) as u64;
    // The echo server always runs here, so its runs hold both ends of every connection.
    let echo = args.echo_server || args.with_echo_baseline;
    let needed = if args.spawn_server || echo {
        2 * connections
    } else {
        connections
    } + 64;
    anyhow::ensure!(
        needed <= limit,
        "this run needs about {needed} open files but the limit is {limit}: {}",
        if args.spawn_server {
            "run the server as its own process (reclamos server --demo-load-customers N) \
             instead of --spawn-server, or raise the hard limit (ulimit -Hn)"
        } else if echo {
            "the echo server runs in this process: use a smaller --concurrency, or raise \
             the hard limit (ulimit -Hn)"
        } else {
            "raise the hard limit (ulimit -Hn) or use fewer --customers"
        }
    );
    Ok(())
}

/// The resident memory of process `pid` in KiB (Linux `/proc/PID/status`, `VmRSS`).
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the load test described by `args` and returns its report (`progress` prints a
/// status line to stderr every two seconds).
async fn run(args: &LoadtestArgs, progress: bool) -> anyhow::Result<Report> {
    validate(args)?;
    if args.echo_server {
        return run_echo(args, progress).await;
    }
    let report = if args.spawn_server {
        run_spawned(args, progress).await?
    } else {
        let customers = resolve(&args.host, args.port).await?;
        let agents = resolve(&args.host, args.agent_port).await?;
        let token = if args.agents > 0 {
            Some(reclamos::client::resolve_token(
                args.token.as_deref(),
                args.token_file.as_deref(),
            )?)
        } else {
            None
        };
        run_bot(args, customers, agents, token, progress).await?
    };
    if args.with_echo_baseline {
        let echo = run_echo(args, progress).await?;
        return Ok(report.with_echo(echo));
    }
    Ok(report)
}

fn validate(args: &LoadtestArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.customers > 0, "--customers must be at least 1");
    anyhow::ensure!(args.first_customer > 0, "--first-customer starts at 1");
    anyhow::ensure!(
        args.agent_rate.is_finite() && args.agent_rate > 0.0,
        "--agent-rate must be a positive number of lines per second"
    );
    if let Some(concurrency) = args.concurrency {
        anyhow::ensure!(concurrency > 0, "--concurrency must be at least 1");
        anyhow::ensure!(
            !args.hold || concurrency >= args.customers,
            "--hold keeps all customers connected at once: --concurrency must be at least --customers"
        );
    }
    anyhow::ensure!(
        args.echo_cpu_us == 0 || args.echo_server || args.with_echo_baseline,
        "--echo-cpu-us sets the echo server's work: use it with --echo-server or --with-echo-baseline"
    );
    anyhow::ensure!(
        args.echo_cpu_us <= MAX_ECHO_CPU_US,
        "--echo-cpu-us is at most {MAX_ECHO_CPU_US} (one second per line)"
    );
    let last = args.first_customer + args.customers - 1;
    anyhow::ensure!(
        reclamos::registry::demo::load_customer(last).is_some(),
        "there are no synthetic customers beyond {}",
        reclamos::registry::demo::MAX_LOAD_CUSTOMERS
    );
    Ok(())
}

async fn resolve(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    tokio::net::lookup_host((host, port))
        .await
        .with_context(|| format!("resolving {host}:{port}"))?
        .next()
        .with_context(|| format!("{host} has no address"))
}

/// Starts a reclamos server in this process (temporary database with the synthetic
/// customers), runs the test against it and stops it.
///
/// The server gets its own runtime (see [`own_runtime`]).
async fn run_spawned(args: &LoadtestArgs, progress: bool) -> anyhow::Result<Report> {
    let dir = TempDir::new()?;
    let token = reclamos::auth::generate_token();
    let db = args
        .spawn_db
        .clone()
        .unwrap_or_else(|| dir.path.join("loadtest.db").into());
    let mut config = reclamos::server::Config::local(db, &token);
    // Every bot connects from this one address: per-address limits would refuse most.
    config.limits = config.limits.without_address_limits();
    config.demo_load_customers = args.first_customer + args.customers - 1;
    let runtime = own_runtime("reclamos-server")?;
    let console = reclamos::console::Console::capture();
    let server = runtime
        .spawn(reclamos::server::Server::start(config, console))
        .await
        .context("starting the in-process server")?
        .context("starting the in-process server")?;
    let (customers, agents) = (server.customer_addr, server.agent_addr);
    server.metrics.take();
    let result = run_bot(args, customers, agents, Some(token), progress)
        .await
        .map(|mut report| {
            report.server_answer_ms = server.metrics.take().answer_ms;
            report
        });
    let _ = runtime.spawn(server.shutdown()).await;
    // Dropping a runtime may block, which is not allowed inside this async context.
    runtime.shutdown_background();
    drop(dir);
    result
}

/// A runtime with its own worker threads (named `name`) for a server that runs in this
/// process, so that it is scheduled as if it were another process. On the load
/// generator's runtime, thousands of simulated sessions would delay the server's work,
/// and an answer could come from the very worker thread that sent the line, without the
/// wake-up of another thread that a real server's answer costs: either would distort what
/// is measured. Stop it with `shutdown_background` (dropping a runtime may block, which is
/// not allowed in async code).
fn own_runtime(name: &str) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name(name)
        .enable_all()
        .build()
        .with_context(|| format!("starting the {name} runtime"))
}

/// A directory under the system's temporary directory, removed on drop.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> anyhow::Result<TempDir> {
        let path = std::env::temp_dir().join(format!(
            "reclamos-loadtest-{}-{}",
            std::process::id(),
            &reclamos::auth::generate_token()[..8]
        ));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Prints `done/total, failed, connected` to stderr every two seconds until cancelled.
fn spawn_progress(
    total: usize,
    done: Arc<std::sync::atomic::AtomicUsize>,
    failed: Arc<std::sync::atomic::AtomicUsize>,
    gauge: Arc<Gauge>,
    stop: CancellationToken,
) {
    use std::sync::atomic::Ordering;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        tick.tick().await;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => eprintln!(
                    "[loadtest] {}/{total} sessions done, {} failed, {} connections open",
                    done.load(Ordering::SeqCst),
                    failed.load(Ordering::SeqCst),
                    gauge.live()
                ),
            }
        }
    });
}

/// The customer (and executive) scenario against a reclamos server.
async fn run_bot(
    args: &LoadtestArgs,
    customer_addr: SocketAddr,
    agent_addr: SocketAddr,
    token: Option<String>,
    progress: bool,
) -> anyhow::Result<Report> {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let gauge = Arc::new(Gauge::default());
    let timeout = Duration::from_millis(args.timeout_ms);
    let think = Duration::from_millis(args.think_ms);
    let mut collector = Collector::default();

    // Executives first, so that the time to be served does not include their login.
    let stop_agents = CancellationToken::new();
    let mut agents = JoinSet::new();
    if args.agents > 0 {
        let token = token.context("the simulated executives need a token")?;
        let mut ready = Vec::new();
        for j in 1..=args.agents {
            let (tx, rx) = tokio::sync::oneshot::channel();
            ready.push(rx);
            agents.spawn(bots::run_agent(
                AgentPlan {
                    addr: agent_addr,
                    token: token.clone(),
                    name: format!("Carga{j}"),
                    timeout,
                    think,
                    rate: args.agent_rate,
                    gauge: Arc::clone(&gauge),
                },
                tx,
                stop_agents.clone(),
            ));
        }
        for rx in ready {
            if let Ok(Err(err)) = rx.await {
                stop_agents.cancel();
                anyhow::bail!("a simulated executive could not log in: {err}");
            }
        }
    }

    let concurrency = if args.hold {
        args.customers
    } else {
        args.concurrency.unwrap_or(args.customers)
    };
    let permits = Arc::new(Semaphore::new(concurrency));
    let rss_before = args.server_pid.and_then(resident_kib);
    let hold = args.hold.then(|| {
        Hold::new(
            args.customers,
            Arc::clone(&gauge),
            Duration::from_millis(args.hold_ms),
            args.server_pid,
        )
    });
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let stop_progress = CancellationToken::new();
    if progress {
        spawn_progress(
            args.customers,
            Arc::clone(&done),
            Arc::clone(&failed),
            Arc::clone(&gauge),
            stop_progress.clone(),
        );
    }

    let free_text: Vec<Arc<str>> = if args.free_text.is_empty() {
        bots::FREE_TEXT
            .iter()
            .map(|&text| Arc::from(text))
            .collect()
    } else {
        args.free_text
            .iter()
            .map(|text| Arc::from(text.as_str()))
            .collect()
    };
    let start = Instant::now();
    let ramp = Duration::from_millis(args.ramp_up_ms);
    let mut sessions = JoinSet::new();
    for i in 0..args.customers {
        let index = args.first_customer + i;
        let customer = reclamos::registry::demo::load_customer(index)
            .with_context(|| format!("no synthetic customer {index}"))?;
        let plan = CustomerPlan {
            addr: customer_addr,
            rut: customer.rut.to_string(),
            chat: args.agents > 0 && chats(i, args.chat_percent),
            think,
            menu_rounds: args.menu_rounds,
            free_text: Arc::clone(&free_text[index % free_text.len()]),
            timeout,
            serve_timeout: Duration::from_millis(args.serve_timeout_ms),
            gauge: Arc::clone(&gauge),
        };
        let offset = ramp.mul_f64(i as f64 / args.customers as f64);
        let permits = Arc::clone(&permits);
        let ticket = hold.as_ref().map(|hold| hold.ticket());
        let (done, failed) = (Arc::clone(&done), Arc::clone(&failed));
        sessions.spawn(async move {
            tokio::time::sleep_until((start + offset).into()).await;
            let _permit = permits.acquire_owned().await;
            let outcome = bots::run_customer(plan, ticket).await;
            done.fetch_add(1, Ordering::SeqCst);
            if outcome.error.is_some() {
                failed.fetch_add(1, Ordering::SeqCst);
            }
            outcome
        });
    }
    while let Some(joined) = sessions.join_next().await {
        match joined {
            Ok(outcome) => collector.add(outcome),
            Err(err) => collector.add(stats::SessionOutcome {
                error: Some(SessionError::new("panic", err.to_string())),
                ..Default::default()
            }),
        }
    }
    let elapsed = start.elapsed();
    stop_progress.cancel();

    stop_agents.cancel();
    while let Some(joined) = agents.join_next().await {
        if let Ok(agent) = joined {
            collector.add_traffic(agent.sent, agent.received);
            if let Some(err) = agent.error {
                collector.add_error(err);
            }
        }
    }

    let mut report = collector.report("bot", elapsed);
    report.peak_connections = gauge.peak();
    report.held_connections = hold.as_ref().map(|hold| hold.held());
    if let (Some(before), Some(held)) = (rss_before, hold.as_ref().and_then(|h| h.rss_held_kib())) {
        report.server_rss_kib = Some((before, held));
    }
    Ok(report)
}

/// The same shape of load against the in-process echo server, on its own runtime (see
/// [`own_runtime`]).
async fn run_echo(args: &LoadtestArgs, progress: bool) -> anyhow::Result<Report> {
    let runtime = own_runtime("echo-server")?;
    let stop = CancellationToken::new();
    let addr = runtime
        .spawn(bots::start_echo_server(
            stop.clone(),
            Duration::from_micros(args.echo_cpu_us),
        ))
        .await
        .context("starting the echo server")?
        .context("starting the echo server")?;
    let report = run_echo_clients(args, addr, progress, &stop).await;
    stop.cancel();
    // Dropping a runtime may block, which is not allowed inside this async context.
    runtime.shutdown_background();
    report
}

/// Runs the echo sessions against `addr`.
async fn run_echo_clients(
    args: &LoadtestArgs,
    addr: SocketAddr,
    progress: bool,
    stop: &CancellationToken,
) -> anyhow::Result<Report> {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let gauge = Arc::new(Gauge::default());
    let permits = Arc::new(Semaphore::new(args.concurrency.unwrap_or(args.customers)));
    let timeout = Duration::from_millis(args.timeout_ms);
    let think = Duration::from_millis(args.think_ms);
    let ramp = Duration::from_millis(args.ramp_up_ms);
    let exchanges = echo_exchanges(args);
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    if progress {
        spawn_progress(
            args.customers,
            Arc::clone(&done),
            Arc::clone(&failed),
            Arc::clone(&gauge),
            stop.clone(),
        );
    }
    let start = Instant::now();
    let mut sessions = JoinSet::new();
    for i in 0..args.customers {
        let offset = ramp.mul_f64(i as f64 / args.customers as f64);
        let permits = Arc::clone(&permits);
        let gauge = Arc::clone(&gauge);
        let (done, failed) = (Arc::clone(&done), Arc::clone(&failed));
        sessions.spawn(async move {
            tokio::time::sleep_until((start + offset).into()).await;
            let _permit = permits.acquire_owned().await;
            let outcome = bots::run_echo_client(addr, exchanges, think, timeout, gauge).await;
            done.fetch_add(1, Ordering::SeqCst);
            if outcome.error.is_some() {
                failed.fetch_add(1, Ordering::SeqCst);
            }
            outcome
        });
    }
    let mut collector = Collector::default();
    while let Some(joined) = sessions.join_next().await {
        if let Ok(outcome) = joined {
            collector.add(outcome);
        }
    }
    let elapsed = start.elapsed();
    stop.cancel();
    let mut report = collector.report("echo", elapsed);
    report.peak_connections = gauge.peak();
    report.echo_cpu_us = (args.echo_cpu_us > 0).then_some(args.echo_cpu_us);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options with nothing given on the command line.
    fn defaults() -> LoadtestArgs {
        match crate::cli::tests::parse(&["loadtest"]).unwrap() {
            crate::cli::Command::Loadtest(args) => *args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn validation_rejects_inconsistent_options() {
        let ok = defaults();
        assert!(validate(&ok).is_ok());
        let calibrated = LoadtestArgs {
            echo_cpu_us: 20,
            with_echo_baseline: true,
            ..defaults()
        };
        assert!(validate(&calibrated).is_ok());
        let cases = [
            LoadtestArgs {
                customers: 0,
                ..defaults()
            },
            LoadtestArgs {
                hold: true,
                concurrency: Some(10),
                ..defaults()
            },
            LoadtestArgs {
                first_customer: 0,
                ..defaults()
            },
            LoadtestArgs {
                echo_cpu_us: 20,
                ..defaults()
            },
            LoadtestArgs {
                echo_cpu_us: MAX_ECHO_CPU_US + 1,
                echo_server: true,
                ..defaults()
            },
            LoadtestArgs {
                first_customer: reclamos::registry::demo::MAX_LOAD_CUSTOMERS,
                customers: 2,
                ..defaults()
            },
        ];
        for args in cases {
            assert!(validate(&args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn fd_budget_counts_both_ends_when_the_server_is_in_process() {
        let args = LoadtestArgs {
            customers: 10_000,
            ..defaults()
        };
        assert!(check_fd_budget(&args, 20_000).is_ok());
        let spawned = LoadtestArgs {
            spawn_server: true,
            ..args.clone()
        };
        let err = check_fd_budget(&spawned, 20_000).unwrap_err().to_string();
        assert!(err.contains("as its own process"), "{err}");
        let with_echo = LoadtestArgs {
            with_echo_baseline: true,
            ..args
        };
        let err = check_fd_budget(&with_echo, 20_000).unwrap_err().to_string();
        assert!(err.contains("echo server"), "{err}");
    }

    #[test]
    fn fd_budget_counts_connections_open_at_once() {
        let args = LoadtestArgs {
            customers: 40_000,
            ..defaults()
        };
        assert!(check_fd_budget(&args, 20_000).is_err());
        let bounded = LoadtestArgs {
            concurrency: Some(2_600),
            ..args
        };
        assert!(check_fd_budget(&bounded, 20_000).is_ok());
    }

    #[test]
    fn chat_share_is_exact_and_spread() {
        for percent in [0u8, 1, 10, 25, 50, 99, 100] {
            let chatting: Vec<usize> = (0..200).filter(|&i| chats(i, percent)).collect();
            assert_eq!(chatting.len(), 2 * usize::from(percent), "{percent}");
        }
        let quarter: Vec<usize> = (0..8).filter(|&i| chats(i, 25)).collect();
        assert_eq!(quarter, [3, 7]);
    }

    #[tokio::test]
    async fn echo_baseline_runs_every_exchange() {
        for menu_rounds in [0, 3] {
            let args = LoadtestArgs {
                customers: 20,
                echo_server: true,
                menu_rounds,
                ..defaults()
            };
            let report = run(&args, false).await.unwrap();
            assert_eq!(report.sessions_completed, 20, "{report}");
            assert_eq!(report.sessions_failed, 0);
            // A customer's five round trips, plus two per menu round.
            let per_session = 5 + 2 * menu_rounds as u64;
            assert_eq!(report.rtt_ms.unwrap().count, 20 * per_session);
            assert_eq!(report.messages_received, report.messages_sent);
        }
    }
}
