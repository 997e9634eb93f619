//! The terminal clients in piped mode (no TTY), run as the real binary against small fake
//! line servers on 127.0.0.1:0.

use reclamos::client::{messages, NameError};
use reclamos::protocol::{agent as to_agent, customer as to_customer, notice, BOT_NAME};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_reclamos");
/// Generous bound so a hang fails the test instead of blocking it forever.
const DEADLINE: Duration = Duration::from_secs(30);

/// A fake server that accepts one connection and runs `script` on it; returns what the
/// script returns (usually the lines it received).
fn fake_server<T: Send + 'static>(
    script: impl FnOnce(BufReader<TcpStream>, TcpStream) -> T + Send + 'static,
) -> (u16, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        script(reader, stream)
    });
    (port, handle)
}

fn read_line(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = String::new();
    match reader.read_line(&mut line).unwrap() {
        0 => None,
        _ => Some(line.trim_end_matches(['\r', '\n']).to_string()),
    }
}

fn spawn(args: &[&str], envs: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("RECLAMOS_AGENT_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Waits for the child under [`DEADLINE`], killing it (and failing) on a hang.
fn finish(mut child: Child) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "client did not exit; stdout {:?} stderr {:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn run_with_input(args: &[&str], input: &str) -> Output {
    let mut child = spawn(args, &[]);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    finish(child)
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn customer_script_sends_each_line_and_prints_server_lines() {
    let (port, server) = fake_server(|mut reader, mut stream| {
        writeln!(stream, "{}", to_customer::GREETING).unwrap();
        let mut got = Vec::new();
        while let Some(line) = read_line(&mut reader) {
            got.push(line.clone());
            if line == "4" {
                writeln!(stream, "{}", to_customer::GOODBYE).unwrap();
                break;
            }
            // An echo as the bot says it, with the CRLF ending a client must accept.
            write!(stream, "{}\r\n", to_customer::bot(&line)).unwrap();
        }
        got
    });
    let out = run_with_input(
        &["client", "--port", &port.to_string()],
        "12.345.678-5\nhola\n4\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(server.join().unwrap(), ["12.345.678-5", "hola", "4"]);
    assert_eq!(
        stdout_lines(&out),
        [
            to_customer::GREETING,
            &to_customer::bot("12.345.678-5"),
            &to_customer::bot("hola"),
            to_customer::GOODBYE,
        ]
    );
}

#[test]
fn end_of_input_half_closes_and_keeps_reading() {
    // The server only answers once it has seen the end of the client's input.
    let (port, server) = fake_server(|mut reader, mut stream| {
        let mut got = Vec::new();
        while let Some(line) = read_line(&mut reader) {
            got.push(line);
        }
        thread::sleep(Duration::from_millis(100));
        writeln!(stream, "{}", to_customer::bot(&got.len().to_string())).unwrap();
        writeln!(stream, "{}", to_customer::GOODBYE).unwrap();
        got
    });
    let out = run_with_input(&["client", "--port", &port.to_string()], "a\nb\nc");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(server.join().unwrap(), ["a", "b", "c"]);
    assert_eq!(
        stdout_lines(&out),
        [&to_customer::bot("3"), to_customer::GOODBYE]
    );
}

/// The line a server says to customers before it closes for maintenance.
fn shutdown_notice() -> String {
    notice::line(BOT_NAME, notice::SHUTDOWN)
}

#[test]
fn server_closing_ends_the_client_even_if_stdin_stays_open() {
    let (port, server) = fake_server(|_reader, mut stream| {
        writeln!(stream, "{}", shutdown_notice()).unwrap();
    });
    let mut child = spawn(&["client", "--port", &port.to_string()], &[]);
    // Keep stdin open for the whole run: only the server's close may end the client.
    let stdin = child.stdin.take().unwrap();
    server.join().unwrap();
    let out = finish(child);
    drop(stdin);
    // A close the user did not ask for fails, and says so on stderr (scripts could not
    // tell a stopped server from "4) Salir").
    assert!(!out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(reclamos::client::messages::SERVER_CLOSED),
        "{out:?}"
    );
    assert_eq!(stdout_lines(&out), [shutdown_notice()]);
}

/// A script whose input ended first (the README's `printf ... | client`) still fails when
/// the server's last word is that it is closing (the code review: exit 0 in silence).
#[test]
fn a_closing_notice_fails_even_after_the_input_ended() {
    let (port, server) = fake_server(|mut reader, mut stream| {
        // The whole input, then its end; then the server stops.
        while read_line(&mut reader).is_some() {}
        writeln!(stream, "{}", shutdown_notice()).unwrap();
    });
    let out = run_with_input(
        &["client", "--port", &port.to_string()],
        "12.345.678-5\n2\n",
    );
    server.join().unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(reclamos::client::messages::SERVER_CLOSED),
        "{out:?}"
    );
}

#[test]
fn control_characters_from_the_network_are_neutralised() {
    let (port, _server) = fake_server(|mut reader, mut stream| {
        stream
            .write_all(b"\x1b[2J\x1b[HJuan: \x1b[31mhola\x1b[0m\x07\n\x1b]0;titulo\x07ok\x00\n")
            .unwrap();
        // Closes once the client's input ended, as the server does.
        while read_line(&mut reader).is_some() {}
    });
    let out = run_with_input(&["client", "--port", &port.to_string()], "");
    assert!(out.status.success(), "{out:?}");
    assert!(!out.stdout.contains(&0x1b), "{:?}", out.stdout);
    assert_eq!(stdout_lines(&out), ["Juan: hola\u{FFFD}", "ok\u{FFFD}"]);
}

#[test]
fn connection_refused_is_explained() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let out = run_with_input(&["client", "--port", &port.to_string()], "");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&messages::could_not_connect("127.0.0.1", port)),
        "{stderr}"
    );
}

/// A fake executives' port: greeting, token check, name, then echoes lines until `:quit`.
fn fake_agent_server(token: &'static str) -> (u16, JoinHandle<Vec<String>>) {
    fake_server(move |mut reader, mut stream| {
        let mut got = Vec::new();
        writeln!(stream, "{}", to_agent::GREETING).unwrap();
        let presented = read_line(&mut reader).unwrap_or_default();
        got.push(presented.clone());
        if presented != token {
            writeln!(stream, "{}", to_agent::TOKEN_INVALID).unwrap();
            return got;
        }
        writeln!(stream, "{}", to_agent::TOKEN_ACCEPTED).unwrap();
        let name = read_line(&mut reader).unwrap_or_default();
        got.push(name.clone());
        writeln!(stream, "{}", to_agent::welcome(&name, 0)).unwrap();
        while let Some(line) = read_line(&mut reader) {
            got.push(line.clone());
            if line == ":quit" {
                writeln!(stream, "{}", to_agent::GOODBYE).unwrap();
                break;
            }
        }
        got
    })
}

#[test]
fn agent_logs_in_with_token_and_name() {
    let (port, server) = fake_agent_server("s3cret");
    let out = run_with_input(
        &[
            "agent",
            "--port",
            &port.to_string(),
            "--token",
            "s3cret",
            "--name",
            "JuanPerez",
        ],
        ":queue\n:quit\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        server.join().unwrap(),
        ["s3cret", "JuanPerez", ":queue", ":quit"]
    );
    let lines = stdout_lines(&out);
    assert!(
        lines.contains(&to_agent::welcome("JuanPerez", 0)),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("s3cret")),
        "token echoed: {lines:?}"
    );
}

#[test]
fn agent_reads_the_token_file_and_env() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agent.token");
    std::fs::write(&file, "from-file\n").unwrap();

    let (port, server) = fake_agent_server("from-file");
    let mut child = spawn(
        &["agent", "--port", &port.to_string(), "--name", "Ana"],
        &[("RECLAMOS_TOKEN_FILE", file.to_str().unwrap())],
    );
    drop(child.stdin.take());
    let out = finish(child);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(server.join().unwrap()[..2], ["from-file", "Ana"]);

    let (port, server) = fake_agent_server("from-env");
    let mut child = spawn(
        &["agent", "--port", &port.to_string(), "--name", "Ana"],
        &[("RECLAMOS_AGENT_TOKEN", "from-env")],
    );
    drop(child.stdin.take());
    let out = finish(child);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(server.join().unwrap()[..2], ["from-env", "Ana"]);

    // An explicit --token-file wins over the environment.
    let (port, server) = fake_agent_server("from-file");
    let mut child = spawn(
        &[
            "agent",
            "--port",
            &port.to_string(),
            "--name",
            "Ana",
            "--token-file",
            file.to_str().unwrap(),
        ],
        &[("RECLAMOS_AGENT_TOKEN", "from-env")],
    );
    drop(child.stdin.take());
    let out = finish(child);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(server.join().unwrap()[..2], ["from-file", "Ana"]);
}

#[test]
fn agent_with_a_wrong_token_fails_clearly() {
    let (port, server) = fake_agent_server("right");
    let out = run_with_input(
        &[
            "agent",
            "--port",
            &port.to_string(),
            "--token",
            "wrong",
            "--name",
            "Ana",
        ],
        "",
    );
    assert!(!out.status.success());
    assert_eq!(server.join().unwrap(), ["wrong"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(messages::TOKEN_REJECTED), "{stderr}");
}

#[test]
fn agent_without_token_file_suggests_token_option() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.token");
    let mut child = spawn(
        &["agent", "--port", "1", "--name", "Ana"],
        &[("RECLAMOS_TOKEN_FILE", missing.to_str().unwrap())],
    );
    drop(child.stdin.take());
    let out = finish(child);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(messages::NO_TOKEN_FILE_START) && stderr.contains("--token"),
        "{stderr}"
    );
}

#[test]
fn agent_rejects_a_name_with_spaces_before_connecting() {
    let out = run_with_input(
        &[
            "agent",
            "--port",
            "1",
            "--token",
            "t",
            "--name",
            "Juan Perez",
        ],
        "",
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let refusal = NameError::BadCharacter("Juan Perez".into()).to_string();
    assert!(stderr.contains(&refusal), "{stderr}");
}
