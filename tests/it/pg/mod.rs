//! A PostgreSQL server for the tests, and one fresh schema per test so that tests run in
//! parallel without seeing each other's tables.
//!
//! Where the server comes from:
//! - `RECLAMOS_TEST_PG` (a connection string, e.g. `postgres://postgres@127.0.0.1:5432/postgres`)
//!   names a server the tests may create schemas on;
//! - otherwise the first test that asks starts one private server for the whole test binary:
//!   `initdb` into a temporary directory and `postgres` on a free port of 127.0.0.1 (as the
//!   `postgres` user when the tests run as root, since PostgreSQL refuses to run as root);
//! - where neither exists, each PostgreSQL test prints one `skipped:` line and returns
//!   (under `CI`, where `.ci/run` installs PostgreSQL, it fails instead).
//!
//! Stopping the private server: a `static` is never dropped, so no destructor could stop it.
//! Instead the server runs under a small shell that holds the read end of a pipe whose write
//! end only this test process holds (the shell's stdin). When the test process ends, however
//! it ends (normally, a panic, `kill -9`), the kernel closes the pipe; the shell sees end of
//! file, stops PostgreSQL (fast shutdown) and deletes the temporary directory. The shell runs
//! in its own process group, so a Ctrl-C in the terminal reaches the tests, not it.
#![allow(dead_code)]

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

mod faults;
mod migrations;
pub mod proxy;

/// The line a PostgreSQL test prints when it cannot run.
pub const SKIPPED: &str = "skipped: no PostgreSQL (set RECLAMOS_TEST_PG or install postgresql)";

/// Where the tests' PostgreSQL server is: an administrator's connection string.
struct Server {
    url: String,
    /// The private server's shell (`None` with `RECLAMOS_TEST_PG`). Its stdin is the pipe
    /// whose closing stops the server; kept (never written) until the process ends.
    _private: Option<Mutex<(Child, ChildStdin)>>,
    /// The private server's data directory (for tests that stop and restart it).
    data: Option<PathBuf>,
    bin: Option<PathBuf>,
}

static SERVER: OnceLock<Option<Server>> = OnceLock::new();

/// The directory holding `initdb`, `pg_ctl` and `postgres`: `pg_config --bindir`, `PATH`, or
/// Debian's `/usr/lib/postgresql/<version>/bin` (newest version first).
pub fn bin_dir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").exists() && dir.join("postgres").exists() {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// Whether this process runs as root (the owner of `/proc/self` is the effective user).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// A command run as the `postgres` user when we are root, as ourselves otherwise.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// A free TCP port on 127.0.0.1 (bound then released; PostgreSQL binds it a moment later).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("local address").port()
}

/// A new temporary directory owned by the server's user, with a fresh cluster in `data`.
fn init_cluster(bin: &Path) -> PathBuf {
    let root = tempfile::Builder::new()
        .prefix("reclamos-pg-")
        .tempdir()
        .expect("temp dir for PostgreSQL")
        .keep();
    if is_root() {
        let status = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&root)
            .status()
            .expect("chown");
        assert!(status.success(), "chown postgres {}", root.display());
    }
    let out = as_server_user(&bin.join("initdb"))
        .args([
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "-D",
        ])
        .arg(root.join("data"))
        .output()
        .expect("running initdb");
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    root
}

fn start_private(bin: &Path) -> Server {
    let root = init_cluster(bin);
    let data = root.join("data");
    let port = free_port();
    let log = root.join("postgres.log");
    // fsync off: the tests kill reclamos, never the machine; a private throw-away server
    // need not survive a power loss, and fsyncs on a busy CI disk would only slow it down.
    // A background command's stdin is /dev/null in a non-interactive shell: the pipe is
    // handed to the watcher as descriptor 3.
    let script = r#"
        exec 3<&0
        "$1/postgres" -D "$2/data" -p "$3" -k "$2" -c listen_addresses=127.0.0.1 \
            -c max_connections=300 -c fsync=off -c full_page_writes=off \
            >>"$2/postgres.log" 2>&1 &
        pid=$!
        ( cat <&3 >/dev/null; kill -INT "$pid" ) &
        exec 3<&-
        wait "$pid"
        rm -rf "$2"
    "#;
    let mut shell = as_server_user(Path::new("/bin/sh"));
    shell
        .args(["-c", script, "reclamos-test-pg"])
        .arg(bin)
        .arg(&root)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = shell.spawn().expect("starting postgres");
    let stdin = child.stdin.take().expect("the shell's stdin");
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = Command::new(bin.join("pg_isready"))
            .args([
                "-q",
                "-U",
                "postgres",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .status()
            .is_ok_and(|status| status.success());
        if ready {
            break;
        }
        let exited = child.try_wait().ok().flatten().is_some();
        if exited || Instant::now() > deadline {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the test PostgreSQL did not start on port {port}:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        url,
        _private: Some(Mutex::new((child, stdin))),
        data: Some(data),
        bin: Some(bin.to_path_buf()),
    }
}

fn server() -> Option<&'static Server> {
    SERVER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("RECLAMOS_TEST_PG") {
                return Some(Server {
                    url,
                    _private: None,
                    data: None,
                    bin: None,
                });
            }
            let bin = bin_dir()?;
            Some(start_private(&bin))
        })
        .as_ref()
}

/// A PostgreSQL server of one test's own, which it may stop and start again (the shared
/// server must keep running for the other tests). Stopped and deleted when dropped; unlike
/// the shared server, a test process killed outright leaves it running.
pub struct OwnServer {
    /// Its connection string.
    pub url: String,
    root: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl OwnServer {
    /// Starts one, or returns `None` (after printing [`SKIPPED`]) without binaries.
    pub fn start() -> Option<OwnServer> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{SKIPPED}: CI must install PostgreSQL"
            );
            println!("{SKIPPED}");
            return None;
        };
        let root = init_cluster(&bin);
        let port = free_port();
        let server = OwnServer {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            root,
            bin,
            port,
        };
        server.pg_ctl(&["start"]);
        Some(server)
    }

    fn pg_ctl(&self, args: &[&str]) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.root.display()
        );
        let out = as_server_user(&self.bin.join("pg_ctl"))
            .args(args)
            .args(["-w", "-D"])
            .arg(self.root.join("data"))
            .arg("-l")
            .arg(self.root.join("postgres.log"))
            .args(["-o", &options])
            .output()
            .expect("running pg_ctl");
        assert!(
            out.status.success(),
            "pg_ctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stops the server (fast shutdown: open connections are cut).
    pub fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "fast"]);
    }

    /// Starts it again after [`stop`](Self::stop).
    pub fn restart(&self) {
        self.pg_ctl(&["start"]);
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = as_server_user(&self.bin.join("pg_ctl"))
            .args(["stop", "-m", "immediate", "-D"])
            .arg(self.root.join("data"))
            .output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// One test's PostgreSQL schema; dropped (with everything in it) when this is dropped.
pub struct TestDb {
    /// A connection string whose connections use only this schema (`search_path`).
    pub url: String,
    /// The schema's name.
    pub schema: String,
    admin: String,
}

impl TestDb {
    /// A new, empty schema on the tests' server, or `None` (after printing [`SKIPPED`])
    /// when there is no PostgreSQL to test against.
    pub async fn new() -> Option<TestDb> {
        let Some(server) = tokio::task::block_in_place(server) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{SKIPPED}: CI must install PostgreSQL"
            );
            println!("{SKIPPED}");
            let _ = std::io::stdout().flush();
            return None;
        };
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let client = connect(&server.url).await;
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("creating the test schema");
        Some(TestDb {
            url: with_search_path(&server.url, &schema),
            schema,
            admin: server.url.clone(),
        })
    }

    /// The server's address (for a proxy in front of it).
    pub async fn upstream(&self) -> std::net::SocketAddr {
        let after_at = self
            .url
            .split_once('@')
            .map_or(self.url.as_str(), |(_, rest)| rest);
        let host_port = after_at.split(['/', '?']).next().unwrap_or(after_at);
        tokio::net::lookup_host(host_port)
            .await
            .unwrap_or_else(|err| panic!("resolving {host_port}: {err}"))
            .next()
            .expect("an address")
    }

    /// A connection to this schema.
    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let schema = self.schema.clone();
        // Drop runs inside the test's runtime, which cannot block on itself: a thread of its
        // own with a small runtime drops the schema.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(async move {
                    let client = connect(&admin).await;
                    client
                        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                        .await
                })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema {}", self.schema);
        }
    }
}

/// `url` with `options=-c search_path=<schema>` added.
pub fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// Connects (no TLS) and drives the connection on the current runtime.
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|err| panic!("connecting to {url}: {err}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_test_gets_an_empty_schema_of_its_own() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let other = TestDb::new().await.expect("a second schema");
    assert_ne!(db.schema, other.schema);
    let client = db.client().await;
    let row = client
        .query_one("SELECT current_schema()", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), db.schema);
    client
        .batch_execute("CREATE TABLE only_here (x int)")
        .await
        .unwrap();
    let seen = other
        .client()
        .await
        .query("SELECT 1 FROM pg_tables WHERE tablename = 'only_here' AND schemaname = current_schema()", &[])
        .await
        .unwrap();
    assert!(seen.is_empty(), "the other schema sees this test's table");
}
