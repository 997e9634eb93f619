//! `reclamos loadtest` against the real server started in this process.

use crate::common;

use reclamos::loadtest::{self, LoadtestArgs};

/// Spread the connections a little: the test machine is shared and small, and a burst of
/// simultaneous connects is the server's accept queue's test, not this one's.
fn gentle(customers: usize) -> LoadtestArgs {
    LoadtestArgs {
        customers,
        concurrency: Some(50),
        ramp_up_ms: 500,
        spawn_server: true,
        ..LoadtestArgs::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_customers_complete_their_sessions() {
    let report = loadtest::run(&gentle(200), false).await.unwrap();
    assert_eq!(report.sessions_failed, 0, "{report}");
    assert_eq!(report.sessions_completed, 200, "{report}");
    // RUT, list, detail, free text (and whatever brings it back to the menu), goodbye.
    let rtt = report.rtt_ms.expect("round trips measured");
    assert!(rtt.count >= 200 * 5, "{report}");
    // The in-process server measured its answer to each of those lines. (Not compared
    // with the round trips sample by sample: the server's clock stops after its write
    // returns, which can be after the client has already read the answer.)
    let server = report.server_answer_ms.expect("server's share measured");
    assert_eq!(server.count, rtt.count, "{report}");
    assert!(report.connect_ms.is_some());
    assert!(report.errors.is_empty(), "{report}");
    // The same round trips by step, in session order: one login and one goodbye each.
    let steps: Vec<(&str, u64)> = report
        .rtt_by_step
        .iter()
        .map(|step| (step.step.as_str(), step.rtt_ms.count))
        .collect();
    assert_eq!(steps.first(), Some(&("login", 200)), "{report}");
    assert!(steps.contains(&("request list", 200)), "{report}");
    assert!(steps.contains(&("free text", 200)), "{report}");
    assert!(steps.contains(&("goodbye", 200)), "{report}");
    let by_step: u64 = steps.iter().map(|(_, count)| count).sum();
    assert_eq!(by_step, rtt.count, "{report}");
    let json = serde_json::to_value(&report).unwrap();
    for key in ["sessions_completed", "sessions_failed", "messages_per_s"] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert_eq!(json["rtt_by_step"][0]["step"], "login", "{json}");
    assert_eq!(json["rtt_by_step"][0]["rtt_ms"]["count"], 200, "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_served_by_simulated_executives() {
    let args = LoadtestArgs {
        agents: 3,
        chat_percent: 50,
        ..gentle(40)
    };
    let report = loadtest::run(&args, false).await.unwrap();
    assert_eq!(report.sessions_failed, 0, "{report}");
    assert_eq!(report.sessions_completed, 40, "{report}");
    // Exactly half of the 40 customers chat.
    assert_eq!(report.serve_ms.map(|p| p.count), Some(20), "{report}");
    assert_eq!(report.chat_rtt_ms.map(|p| p.count), Some(20), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_keeps_every_customer_connected_at_once() {
    let args = LoadtestArgs {
        customers: 120,
        hold: true,
        ramp_up_ms: 500,
        spawn_server: true,
        ..LoadtestArgs::default()
    };
    let report = loadtest::run(&args, false).await.unwrap();
    assert_eq!(report.sessions_failed, 0, "{report}");
    assert_eq!(report.held_connections, Some(120), "{report}");
    assert!(report.peak_connections >= 120, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_customers_are_reported_as_login_failures() {
    // A server without the synthetic customers: every login is refused.
    let server = common::TestServer::start().await;
    let args = LoadtestArgs {
        customers: 10,
        port: server.customers().port(),
        agent_port: server.agents().port(),
        ..LoadtestArgs::default()
    };
    let report = loadtest::run(&args, false).await.unwrap();
    assert_eq!(report.sessions_completed, 0, "{report}");
    assert_eq!(report.sessions_failed, 10, "{report}");
    assert_eq!(report.errors.get("login rejected"), Some(&10), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_baseline_is_attached_with_ratios() {
    let args = LoadtestArgs {
        with_echo_baseline: true,
        ..gentle(30)
    };
    let report = loadtest::run(&args, false).await.unwrap();
    assert_eq!(report.sessions_failed, 0, "{report}");
    let echo = report.echo.as_ref().expect("echo baseline");
    assert_eq!(echo.target, "echo");
    assert_eq!(echo.sessions_completed, 30);
    assert_eq!(echo.echo_cpu_us, None);
    assert!(report.rtt_ratio_p50.is_some() && report.rtt_ratio_p99.is_some());
    assert!(!report.to_string().contains("µs of CPU"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_server_spends_the_cpu_it_is_given_on_every_line() {
    let args = LoadtestArgs {
        customers: 8,
        echo_server: true,
        echo_cpu_us: 3_000,
        ..LoadtestArgs::default()
    };
    let report = loadtest::run(&args, false).await.unwrap();
    assert_eq!(report.sessions_failed, 0, "{report}");
    assert_eq!(report.echo_cpu_us, Some(3_000));
    assert!(
        report.to_string().contains("(3000 µs of CPU per line)"),
        "{report}"
    );
    // The server spins 3 ms before each answer, so no round trip can be shorter (a lower
    // bound: it holds however slow the machine is).
    let rtt = report.rtt_ms.expect("round trips");
    assert_eq!(rtt.count, 8 * 5, "{report}");
    assert!(rtt.p50 >= 2.99, "{report}");

    // As a baseline, the ratio's report says the echo was not bare.
    let args = LoadtestArgs {
        with_echo_baseline: true,
        echo_cpu_us: 3_000,
        ..gentle(8)
    };
    let report = loadtest::run(&args, false).await.unwrap();
    assert_eq!(
        report.echo.as_ref().and_then(|echo| echo.echo_cpu_us),
        Some(3_000)
    );
    let text = report.to_string();
    assert!(
        text.contains("(the echo spent 3000 µs of CPU on each line)"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn menu_rounds_add_two_round_trips_per_customer() {
    let plain = loadtest::run(&gentle(40), false).await.unwrap();
    let args = LoadtestArgs {
        menu_rounds: 2,
        ..gentle(40)
    };
    let longer = loadtest::run(&args, false).await.unwrap();
    assert_eq!(longer.sessions_failed, 0, "{longer}");
    assert_eq!(longer.sessions_completed, 40, "{longer}");
    // Each round is "1" (the list) and "volver" (the menu): 2 rounds x 2 x 40 customers.
    let count = |report: &loadtest::Report| report.rtt_ms.expect("round trips").count;
    assert_eq!(count(&longer), count(&plain) + 160, "{plain}\n{longer}");
}
