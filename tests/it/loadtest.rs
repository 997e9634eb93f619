//! `reclamos loadtest`, run as the real binary (the load generator is part of the binary,
//! not of the library), mostly against the server it starts in its own process.

use std::time::Duration;

use serde_json::Value;

use crate::common;

/// Generous bound so a hang fails the test instead of blocking it forever.
const DEADLINE: Duration = Duration::from_secs(300);

/// What a run printed, and whether it succeeded (it fails when any session failed).
struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `reclamos loadtest ARGS`.
async fn loadtest(args: &[&str]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_reclamos"));
    cmd.arg("loadtest")
        .args(args)
        .env_remove("RECLAMOS_AGENT_TOKEN")
        .kill_on_drop(true);
    let out = tokio::time::timeout(DEADLINE, cmd.output())
        .await
        .expect("reclamos loadtest hung")
        .expect("run reclamos loadtest");
    Run {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `reclamos loadtest ARGS --json` and returns its report.
async fn report(args: &[&str]) -> (bool, Value) {
    let args: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
    let run = loadtest(&args).await;
    let report = serde_json::from_str(&run.stdout).unwrap_or_else(|err| {
        panic!(
            "no JSON report ({err}):\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        )
    });
    (run.success, report)
}

/// Runs `reclamos loadtest ARGS --json`, which must succeed, and returns its report.
async fn successful_report(args: &[&str]) -> Value {
    let (success, report) = report(args).await;
    assert!(success, "{report:#}");
    report
}

/// Spread the connections a little: the test machine is shared and small, and a burst of
/// simultaneous connects is the server's accept queue's test, not this one's.
fn gentle(customers: usize) -> Vec<String> {
    [
        "--spawn-server",
        "--concurrency",
        "50",
        "--ramp-up-ms",
        "500",
        "--customers",
        &customers.to_string(),
    ]
    .map(String::from)
    .to_vec()
}

fn with<'a>(base: &'a [String], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter()
        .map(String::as_str)
        .chain(extra.iter().copied())
        .collect()
}

fn count(percentiles: &Value) -> u64 {
    percentiles["count"].as_u64().expect("a count")
}

#[tokio::test]
async fn two_hundred_customers_complete_their_sessions() {
    let report = successful_report(&with(&gentle(200), &[])).await;
    assert_eq!(report["sessions_failed"], 0, "{report:#}");
    assert_eq!(report["sessions_completed"], 200, "{report:#}");
    // RUT, list, detail, free text (and whatever brings it back to the menu), goodbye.
    let rtt = count(&report["rtt_ms"]);
    assert!(rtt >= 200 * 5, "{report:#}");
    // The in-process server measured its answer to each of those lines. (Not compared
    // with the round trips sample by sample: the server's clock stops after its write
    // returns, which can be after the client has already read the answer.)
    assert_eq!(count(&report["server_answer_ms"]), rtt, "{report:#}");
    assert!(report["connect_ms"].is_object(), "{report:#}");
    assert_eq!(report["errors"], serde_json::json!({}), "{report:#}");
    for key in ["messages_per_s", "messages_sent", "peak_connections"] {
        assert!(report[key].is_number(), "{key}: {report:#}");
    }
    // The same round trips by step, in session order: one login and one goodbye each.
    let steps: Vec<(&str, u64)> = report["rtt_by_step"]
        .as_array()
        .expect("rtt_by_step")
        .iter()
        .map(|step| (step["step"].as_str().expect("step"), count(&step["rtt_ms"])))
        .collect();
    assert_eq!(steps.first(), Some(&("login", 200)), "{report:#}");
    assert!(steps.contains(&("request list", 200)), "{report:#}");
    assert!(steps.contains(&("free text", 200)), "{report:#}");
    assert!(steps.contains(&("goodbye", 200)), "{report:#}");
    let by_step: u64 = steps.iter().map(|(_, count)| count).sum();
    assert_eq!(by_step, rtt, "{report:#}");
}

#[tokio::test]
async fn customers_are_served_by_simulated_executives() {
    let gentle = gentle(40);
    let args = with(&gentle, &["--agents", "3", "--chat-percent", "50"]);
    let report = successful_report(&args).await;
    assert_eq!(report["sessions_failed"], 0, "{report:#}");
    assert_eq!(report["sessions_completed"], 40, "{report:#}");
    // Exactly half of the 40 customers chat.
    assert_eq!(count(&report["serve_ms"]), 20, "{report:#}");
    assert_eq!(count(&report["chat_rtt_ms"]), 20, "{report:#}");
}

#[tokio::test]
async fn hold_keeps_every_customer_connected_at_once() {
    let report = successful_report(&[
        "--spawn-server",
        "--customers",
        "120",
        "--hold",
        "--ramp-up-ms",
        "500",
    ])
    .await;
    assert_eq!(report["sessions_failed"], 0, "{report:#}");
    assert_eq!(report["held_connections"], 120, "{report:#}");
    assert!(
        report["peak_connections"].as_u64().expect("peak") >= 120,
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_customers_are_reported_as_login_failures() {
    // A server without the synthetic customers: every login is refused.
    let server = common::TestServer::start().await;
    let port = server.customers().port().to_string();
    let agent_port = server.agents().port().to_string();
    let (success, report) = report(&[
        "--customers",
        "10",
        "--port",
        &port,
        "--agent-port",
        &agent_port,
    ])
    .await;
    assert!(!success, "failed sessions fail the run: {report:#}");
    assert_eq!(report["sessions_completed"], 0, "{report:#}");
    assert_eq!(report["sessions_failed"], 10, "{report:#}");
    assert_eq!(report["errors"]["login rejected"], 10, "{report:#}");
}

#[tokio::test]
async fn echo_baseline_is_attached_with_ratios() {
    let gentle = gentle(30);
    let args = with(&gentle, &["--with-echo-baseline"]);
    let report = successful_report(&args).await;
    assert_eq!(report["sessions_failed"], 0, "{report:#}");
    let echo = &report["echo"];
    assert_eq!(echo["target"], "echo", "{report:#}");
    assert_eq!(echo["sessions_completed"], 30, "{report:#}");
    assert!(echo.get("echo_cpu_us").is_none(), "{report:#}");
    assert!(report["rtt_ratio_p50"].is_number() && report["rtt_ratio_p99"].is_number());
    // The text report does not claim the echo spent CPU.
    let text = loadtest(&args).await;
    assert!(text.success, "{}", text.stderr);
    assert!(text.stdout.contains("bot / echo"), "{}", text.stdout);
    assert!(!text.stdout.contains("µs of CPU"), "{}", text.stdout);
}

#[tokio::test]
async fn echo_server_spends_the_cpu_it_is_given_on_every_line() {
    let args = ["--customers", "8", "--echo-server", "--echo-cpu-us", "3000"];
    let report = successful_report(&args).await;
    assert_eq!(report["sessions_failed"], 0, "{report:#}");
    assert_eq!(report["echo_cpu_us"], 3_000, "{report:#}");
    // The server spins 3 ms before each answer, so no round trip can be shorter (a lower
    // bound: it holds however slow the machine is).
    assert_eq!(count(&report["rtt_ms"]), 8 * 5, "{report:#}");
    assert!(
        report["rtt_ms"]["p50"].as_f64().expect("p50") >= 2.99,
        "{report:#}"
    );
    let text = loadtest(&args).await;
    assert!(text.success, "{}", text.stderr);
    assert!(
        text.stdout.contains("(3000 µs of CPU per line)"),
        "{}",
        text.stdout
    );

    // As a baseline, the ratio's report says the echo was not bare.
    let gentle = gentle(8);
    let args = with(&gentle, &["--with-echo-baseline", "--echo-cpu-us", "3000"]);
    let text = loadtest(&args).await;
    assert!(text.success, "{}", text.stderr);
    assert!(
        text.stdout
            .contains("(the echo spent 3000 µs of CPU on each line)"),
        "{}",
        text.stdout
    );
}

#[tokio::test]
async fn menu_rounds_add_two_round_trips_per_customer() {
    let gentle = gentle(40);
    let plain = successful_report(&with(&gentle, &[])).await;
    let longer = successful_report(&with(&gentle, &["--menu-rounds", "2"])).await;
    assert_eq!(longer["sessions_failed"], 0, "{longer:#}");
    assert_eq!(longer["sessions_completed"], 40, "{longer:#}");
    // Each round is "1" (the list) and "volver" (the menu): 2 rounds x 2 x 40 customers.
    assert_eq!(
        count(&longer["rtt_ms"]),
        count(&plain["rtt_ms"]) + 160,
        "{plain:#}\n{longer:#}"
    );
}

#[tokio::test]
async fn free_text_option_sets_what_customers_type() {
    let gentle = gentle(40);
    // Not understood: the menu again, so each session is RUT, list, detail, the free
    // text and goodbye.
    let unknown = successful_report(&with(
        &gentle,
        &["--free-text", "cuál es la capital de francia"],
    ))
    .await;
    assert_eq!(count(&unknown["rtt_ms"]), 40 * 5, "{unknown:#}");
    // Asking for a person queues the customer, who then writes "cancelar": one more.
    let queued = successful_report(&with(
        &gentle,
        &["--free-text", "quiero hablar con un ejecutivo"],
    ))
    .await;
    assert_eq!(queued["sessions_failed"], 0, "{queued:#}");
    assert_eq!(count(&queued["rtt_ms"]), 40 * 6, "{queued:#}");
}
