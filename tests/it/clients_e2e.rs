//! The real `reclamos client` and `reclamos agent` binaries, in piped mode, against a real
//! server: the README's scripted sessions work end to end.

use crate::common;

use std::process::Stdio;
use std::time::Duration;

use crate::common::{restarted_request, TestServer, JORGE, TOKEN};
use reclamos::protocol::{agent as to_agent, console as to_console, customer as to_customer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_reclamos");

async fn next(out: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>) -> String {
    tokio::time::timeout(common::READ_TIMEOUT, out.next_line())
        .await
        .expect("agent output in time")
        .unwrap()
        .expect("agent still running")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_customer_client_runs_a_whole_session() {
    let server = TestServer::start().await;
    let output = tokio::time::timeout(Duration::from_secs(30), async {
        let mut child = Command::new(BIN)
            .args(["client", "--port", &server.customers().port().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(format!("{JORGE}\n2\n4\n").as_bytes())
            .await
            .unwrap();
        drop(stdin);
        child.wait_with_output().await.unwrap()
    })
    .await
    .expect("client finishes");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], to_customer::GREETING);
    assert_eq!(lines[1], to_customer::hello("Jorge"));
    let id = restarted_request(&lines);
    assert!(lines.contains(&to_customer::GOODBYE));
    server
        .expect_console(&to_console::restart("Jorge Sandoval", id, None))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_agent_client_logs_in_and_chats_with_a_customer() {
    let server = TestServer::start().await;
    let mut agent = Command::new(BIN)
        .args([
            "agent",
            "--port",
            &server.agents().port().to_string(),
            "--name",
            "JuanPerez",
        ])
        .env("RECLAMOS_AGENT_TOKEN", TOKEN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut agent_in = agent.stdin.take().unwrap();
    let mut agent_out = BufReader::new(agent.stdout.take().unwrap()).lines();
    loop {
        if next(&mut agent_out)
            .await
            .starts_with(&format!("{}JuanPerez.", to_agent::WELCOME_START))
        {
            break;
        }
    }
    let mut customer = server.logged_in(JORGE).await;
    customer.send("3").await;
    customer
        .recv_until_contains(&to_customer::assigned_start("JuanPerez"))
        .await;
    let mut request = 0;
    loop {
        let line = next(&mut agent_out).await;
        if let Some(rest) = line.strip_prefix(to_agent::NEW_CUSTOMER_START) {
            request = rest
                .rsplit("solicitud ")
                .next()
                .and_then(|n| n.trim_end_matches('.').parse().ok())
                .unwrap();
        }
        if line == to_agent::CHAT_HINT {
            break;
        }
    }
    agent_in
        .write_all(b"Hola soy Juan Perez, en que le puedo ayudar\n")
        .await
        .unwrap();
    customer
        .expect(&to_customer::from_agent(
            "JuanPerez",
            "Hola soy Juan Perez, en que le puedo ayudar",
        ))
        .await;
    customer.send("gracias").await;
    assert_eq!(next(&mut agent_out).await, "Jorge Sandoval: gracias");
    agent_in.write_all(b":close\n").await.unwrap();
    customer
        .expect(&to_customer::chat_ended(
            "JuanPerez",
            request,
            Some("abierto"),
        ))
        .await;
    drop(agent_in);
}
