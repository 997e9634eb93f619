//! TLS on both ports: a self-signed certificate made at test time (rcgen), real TLS clients
//! (tokio-rustls) on 127.0.0.1, a plain client on the TLS port, and the `reclamos client`
//! binary with `--tls --tls-ca`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use crate::common::{TestServer, JORGE, READ_TIMEOUT, TOKEN};
use reclamos::protocol::{agent as to_agent, console as to_console, customer as to_customer};
use reclamos::server::TlsFiles;
use tokio::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines, ReadHalf, WriteHalf,
};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

const BIN: &str = env!("CARGO_BIN_EXE_reclamos");

/// A self-signed certificate for `localhost` and 127.0.0.1, written as PEM files.
struct Cert {
    cert: PathBuf,
    key: PathBuf,
}

fn self_signed(dir: &Path, name: &str) -> Cert {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("rcgen");
    let cert = dir.join(format!("{name}.crt.pem"));
    let key = dir.join(format!("{name}.key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    Cert { cert, key }
}

async fn tls_server() -> (TestServer, Cert) {
    tls_server_with(|_| {}).await
}

/// A TLS server, letting the test adjust the configuration.
async fn tls_server_with(adjust: impl FnOnce(&mut reclamos::server::Config)) -> (TestServer, Cert) {
    let certs = tempfile::tempdir().unwrap();
    let cert = self_signed(certs.path(), "server");
    let files = TlsFiles {
        cert: cert.cert.clone(),
        key: cert.key.clone(),
    };
    let server = TestServer::start_with(move |config| {
        config.tls = Some(files);
        adjust(config);
    })
    .await;
    // Keep the PEM files next to the database so they live as long as the server.
    let kept = Cert {
        cert: server.dir.path().join("server.crt.pem"),
        key: server.dir.path().join("server.key.pem"),
    };
    std::fs::copy(&cert.cert, &kept.cert).unwrap();
    std::fs::copy(&cert.key, &kept.key).unwrap();
    (server, kept)
}

/// A TLS line client trusting exactly `ca`, built with rustls directly (not reclamos::tls).
struct TlsClient {
    lines: Lines<BufReader<ReadHalf<TlsStream<TcpStream>>>>,
    writer: WriteHalf<TlsStream<TcpStream>>,
}

impl TlsClient {
    async fn connect(addr: std::net::SocketAddr, ca: &Path) -> TlsClient {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = ClientConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let stream = tokio::time::timeout(
            READ_TIMEOUT,
            TlsConnector::from(Arc::new(config)).connect(name, tcp),
        )
        .await
        .expect("handshake in time")
        .expect("handshake succeeds");
        let (reader, writer) = tokio::io::split(stream);
        TlsClient {
            lines: BufReader::new(reader).lines(),
            writer,
        }
    }

    async fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        self.writer.flush().await.unwrap();
    }

    async fn recv(&mut self) -> String {
        match tokio::time::timeout(READ_TIMEOUT, self.lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            other => panic!("expected a line, got {other:?}"),
        }
    }

    async fn expect(&mut self, expected: &str) {
        assert_eq!(self.recv().await, expected);
    }

    async fn expect_menu(&mut self) {
        for line in [
            to_customer::MENU[0],
            to_customer::MENU[1],
            to_customer::MENU[2],
            to_customer::MENU_LAST,
        ] {
            self.expect(line).await;
        }
    }
}

const GREETING: &str = to_customer::GREETING;
const GOODBYE: &str = to_customer::GOODBYE;

#[tokio::test]
async fn customer_logs_in_and_leaves_over_tls() {
    let (server, cert) = tls_server().await;
    let mut client = TlsClient::connect(server.customers(), &cert.cert).await;
    client.expect(GREETING).await;
    client.send(JORGE).await;
    client.expect(&to_customer::hello("Jorge")).await;
    client.expect_menu().await;
    client.send("4").await;
    client.expect(GOODBYE).await;
    // The server ends the session with close_notify: a clean end of stream, not an error.
    let end = tokio::time::timeout(READ_TIMEOUT, client.lines.next_line())
        .await
        .expect("end of stream in time");
    assert!(matches!(end, Ok(None)), "{end:?}");
    server
        .expect_console(&to_console::customer_disconnected("Jorge Sandoval"))
        .await;
}

#[tokio::test]
async fn executives_port_is_tls_too() {
    let (server, cert) = tls_server().await;
    let mut agent = TlsClient::connect(server.agents(), &cert.cert).await;
    agent.expect(to_agent::GREETING).await;
    agent.send(TOKEN).await;
    agent.expect(to_agent::TOKEN_ACCEPTED).await;
    agent.send("JuanPerez").await;
    let welcome = agent.recv().await;
    assert!(
        welcome.starts_with(&format!("{}JuanPerez.", to_agent::WELCOME_START)),
        "{welcome}"
    );
}

#[tokio::test]
async fn a_full_executives_port_refuses_over_tls_in_the_executives_voice() {
    let (server, cert) =
        tls_server_with(|config| config.limits.max_agent_pre_login_connections = 1).await;
    let mut agent = TlsClient::connect(server.agents(), &cert.cert).await;
    agent.expect(to_agent::GREETING).await;
    let mut refused = TlsClient::connect(server.agents(), &cert.cert).await;
    refused
        .expect(reclamos::protocol::notice::AGENTS_BUSY)
        .await;
}

#[tokio::test]
async fn plain_and_silent_clients_on_the_tls_port_do_not_disturb_tls_clients() {
    let (server, cert) = tls_server().await;
    let mut tls = TlsClient::connect(server.customers(), &cert.cert).await;
    tls.expect(GREETING).await;

    // A peer that connects and never starts a handshake: the accept loop must go on.
    let _silent = TcpStream::connect(server.customers()).await.unwrap();

    // A plain-text client: its first line is not a TLS ClientHello, so it is dropped
    // without ever receiving a plain-text line.
    let mut plain = TcpStream::connect(server.customers()).await.unwrap();
    plain.write_all(b"12.345.678-5\n").await.unwrap();
    let mut received = Vec::new();
    let read = tokio::time::timeout(READ_TIMEOUT, plain.read_to_end(&mut received))
        .await
        .expect("plain client disconnected in time");
    // Either an orderly close or a reset; never the greeting.
    if read.is_ok() {
        assert!(
            !String::from_utf8_lossy(&received).contains("Asistente"),
            "{received:?}"
        );
    }

    // A new TLS client is served while the silent one still holds its connection.
    let mut second = TlsClient::connect(server.customers(), &cert.cert).await;
    second.expect(GREETING).await;

    // And the first TLS client goes on unharmed.
    tls.send(JORGE).await;
    tls.expect(&to_customer::hello("Jorge")).await;
    tls.expect_menu().await;
    tls.send("4").await;
    tls.expect(GOODBYE).await;
}

/// Runs the `reclamos` binary with `input` on stdin, off the async runtime.
async fn run_binary(args: Vec<String>, input: &'static str) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        // The client exits when the server closes; the test's own timeout bounds a hang.
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn client_binary_speaks_tls_with_a_given_ca() {
    let (server, cert) = tls_server().await;
    let args = vec![
        "client".to_string(),
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        server.customers().port().to_string(),
        "--tls".into(),
        "--tls-ca".into(),
        cert.cert.display().to_string(),
        "--tls-server-name".into(),
        "localhost".into(),
    ];
    let out = tokio::time::timeout(READ_TIMEOUT * 3, run_binary(args, "12.345.678-5\n4\n"))
        .await
        .expect("client exits in time");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&GREETING), "{stdout}");
    assert!(
        lines.contains(&to_customer::hello("Jorge").as_str()),
        "{stdout}"
    );
    assert_eq!(lines.last(), Some(&GOODBYE), "{stdout}");
}

#[tokio::test]
async fn client_binary_refuses_an_untrusted_certificate() {
    let (server, _cert) = tls_server().await;
    let other = tempfile::tempdir().unwrap();
    let stranger = self_signed(other.path(), "stranger");
    let args = vec![
        "client".to_string(),
        "--port".into(),
        server.customers().port().to_string(),
        "--tls".into(),
        "--tls-ca".into(),
        stranger.cert.display().to_string(),
    ];
    let out = tokio::time::timeout(READ_TIMEOUT * 3, run_binary(args, "12.345.678-5\n"))
        .await
        .expect("client exits in time");
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TLS"), "{stderr}");
    assert!(stderr.contains("certificado"), "{stderr}");
    assert!(out.stdout.is_empty(), "{out:?}");
}

#[tokio::test]
async fn mismatched_key_or_missing_file_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let one = self_signed(dir.path(), "one");
    let two = self_signed(dir.path(), "two");
    let start = |tls: TlsFiles| {
        let mut config = reclamos::server::Config::local(dir.path().join("r.db"), TOKEN);
        config.tls = Some(tls);
        reclamos::server::Server::start(config, reclamos::console::Console::capture())
    };
    let err = start(TlsFiles {
        cert: one.cert.clone(),
        key: two.key.clone(),
    })
    .await
    .err()
    .expect("mismatched key refused");
    let text = format!("{err:#}");
    assert!(text.contains("does not go with the certificate"), "{text}");

    let missing = dir.path().join("missing.pem");
    let err = start(TlsFiles {
        cert: missing.clone(),
        key: one.key.clone(),
    })
    .await
    .err()
    .expect("missing certificate refused");
    let text = format!("{err:#}");
    assert!(text.contains(&missing.display().to_string()), "{text}");
}

#[test]
fn tls_cert_without_key_is_refused_by_the_cli() {
    let out = Command::new(BIN)
        .args(["server", "--tls-cert", "server.pem", "--port", "0"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--tls-key"), "{stderr}");
}
