//! Terminal front ends: `reclamos client` (customer) and `reclamos agent` (executive).
//!
//! Both connect, then either run an interactive terminal session (rustyline prompt, history,
//! server lines printed above the prompt) when stdin and stdout are terminals, or a plain
//! piped session for scripts:
//! `printf '12.345.678-5\n4\n' | reclamos client`. The agent first performs the
//! executives' login (token line, then name line) described in `docs/protocol.md`. Every
//! line received is passed through `text::sanitize` before it reaches the
//! terminal.
//!
//! - `connection`: the socket (connect, bounded line reading, half-close).
//! - `session`: the terminal and piped conversation loops.
//! - [`messages`]: what the clients themselves say (prompts, notices, errors), in Spanish.

#![warn(unreachable_pub)]

mod connection;
pub mod messages;
mod session;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::auth;
pub use crate::conversation::{validate_name, NameError, MAX_NAME_CHARS};
use crate::server::{DEFAULT_AGENT_PORT, DEFAULT_CUSTOMER_PORT, DEFAULT_HOST};
use crate::text::sanitize;
use connection::{Connection, LineReader, TlsSettings};

/// Where `reclamos client` connects.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerConfig {
    /// Server host.
    pub host: String,
    /// Customers' port.
    pub port: u16,
    /// Connect over TLS (`None`: plain TCP).
    pub tls: Option<TlsOptions>,
}

impl Default for CustomerConfig {
    fn default() -> CustomerConfig {
        CustomerConfig {
            host: DEFAULT_HOST.to_string(),
            port: DEFAULT_CUSTOMER_PORT,
            tls: None,
        }
    }
}

/// How `reclamos agent` connects and logs in.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// Server host.
    pub host: String,
    /// Executives' port.
    pub port: u16,
    /// Executive name shown to customers (`None`: $USER, else asked on the terminal).
    pub name: Option<String>,
    /// Access token (`None`: see [`resolve_token`]).
    pub token: Option<String>,
    /// Read the token from this file instead of the default location.
    pub token_file: Option<PathBuf>,
    /// Connect over TLS (`None`: plain TCP).
    pub tls: Option<TlsOptions>,
}

impl Default for AgentConfig {
    fn default() -> AgentConfig {
        AgentConfig {
            host: DEFAULT_HOST.to_string(),
            port: DEFAULT_AGENT_PORT,
            name: None,
            token: None,
            token_file: None,
            tls: None,
        }
    }
}

/// TLS settings of both clients.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsOptions {
    /// Trust this PEM certificate (the server's CA, or its self-signed certificate) instead
    /// of the system's root certificates.
    pub ca: Option<PathBuf>,
    /// Name the server's certificate must carry (`None`: the host connected to).
    pub server_name: Option<String>,
}

impl TlsOptions {
    /// The TLS settings for connecting to `host`.
    fn settings(&self, host: &str) -> anyhow::Result<TlsSettings> {
        let config = crate::tls::client_config(self.ca.as_deref())?;
        let server_name = crate::tls::server_name(self.server_name.as_deref().unwrap_or(host))?;
        Ok(TlsSettings {
            config,
            server_name,
        })
    }
}

/// Connects to `host:port`, over TLS when `tls` is given.
fn connect(host: &str, port: u16, tls: Option<&TlsOptions>) -> anyhow::Result<Connection> {
    let tls = tls.map(|tls| tls.settings(host)).transpose()?;
    Connection::open_with(host, port, tls.as_ref())
}

/// Runs the customer client until the server or the user ends the session.
pub fn run_customer(config: &CustomerConfig) -> anyhow::Result<ExitCode> {
    let conn = connect(&config.host, config.port, config.tls.as_ref())?;
    session::run(conn, is_interactive())
}

/// Runs the executive client: logs in, then chats until the server or the user ends the
/// session.
pub fn run_agent(config: &AgentConfig) -> anyhow::Result<ExitCode> {
    let interactive = is_interactive();
    let token = resolve_token(config.token.as_deref(), config.token_file.as_deref())?;
    let name = match &config.name {
        Some(name) => validate_name(name).map(|()| name.clone())?,
        None => default_name(interactive)?,
    };
    let mut conn = connect(&config.host, config.port, config.tls.as_ref())?;
    login(&mut conn, &token, &name)?;
    session::run(conn, interactive)
}

/// Both ends are terminals: use the line editor.
fn is_interactive() -> bool {
    io::stdin().is_terminal() && io::stdout().is_terminal()
}

/// `$USER` when it is a valid name, else asks on the terminal.
fn default_name(interactive: bool) -> anyhow::Result<String> {
    if let Some(user) = std::env::var_os("USER").and_then(|u| u.into_string().ok()) {
        if validate_name(&user).is_ok() {
            return Ok(user);
        }
    }
    if !interactive {
        anyhow::bail!(messages::NO_NAME);
    }
    loop {
        print!("{}", messages::ASK_NAME);
        io::stdout().flush()?;
        let mut line = String::new();
        if io::stdin().read_line(&mut line)? == 0 {
            anyhow::bail!(messages::NO_NAME_GIVEN);
        }
        let name = line.trim();
        match validate_name(name) {
            Ok(()) => return Ok(name.to_string()),
            Err(err) => eprintln!("{err}"),
        }
    }
}

/// The executives' token: `--token`, else `--token-file`, else `$RECLAMOS_AGENT_TOKEN`,
/// else the default token file (the one a local server writes).
pub fn resolve_token(
    token: Option<&str>,
    file: Option<&std::path::Path>,
) -> anyhow::Result<String> {
    let from_env = std::env::var(auth::TOKEN_ENV).ok();
    let token = token.or(if file.is_none() {
        from_env.as_deref()
    } else {
        None
    });
    if let Some(token) = token {
        let token = token.trim();
        anyhow::ensure!(!token.is_empty(), messages::EMPTY_TOKEN);
        return Ok(token.to_string());
    }
    let path = file.map_or_else(auth::default_token_path, PathBuf::from);
    if !path.exists() {
        anyhow::bail!(messages::no_token_file(path.display(), auth::TOKEN_ENV));
    }
    let token = auth::read_token(&path)?;
    anyhow::ensure!(
        !token.is_empty(),
        messages::empty_token_file(path.display())
    );
    Ok(token)
}

/// How long each step of the executives' login may wait for the server.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The executives' login (docs/protocol.md): wait for the greeting, send the token, wait for the
/// answer, send the name. Server lines are shown; the token is not echoed.
fn login(conn: &mut Connection, token: &str, name: &str) -> anyhow::Result<()> {
    conn.writer.set_read_timeout(Some(LOGIN_TIMEOUT))?;
    let greeting = expect_line(&mut conn.reader, "el saludo del canal de ejecutivos")?;
    println!("{}", sanitize(&greeting));
    conn.writer.send_line(token).context("enviando el token")?;
    let answer = expect_line(&mut conn.reader, "la respuesta al token")?;
    println!("{}", sanitize(&answer));
    if answer == crate::protocol::agent::TOKEN_INVALID {
        anyhow::bail!(messages::TOKEN_REJECTED);
    }
    conn.writer.send_line(name).context("enviando el nombre")?;
    conn.writer.set_read_timeout(None)?;
    Ok(())
}

/// Reads one line during the login; the end of the stream or a timeout is an error.
fn expect_line<R: io::BufRead>(reader: &mut LineReader<R>, what: &str) -> anyhow::Result<String> {
    match reader.read_line() {
        Ok(Some(line)) => Ok(line),
        Ok(None) => anyhow::bail!("el servidor cerró la conexión mientras se esperaba {what}"),
        Err(err)
            if matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            anyhow::bail!("se agotó la espera de {what}")
        }
        Err(err) => Err(err).with_context(|| format!("esperando {what}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_validation_table() {
        let bad = || {
            Some(std::mem::discriminant(&NameError::BadCharacter(
                String::new(),
            )))
        };
        let table: &[(&str, Option<std::mem::Discriminant<NameError>>)] = &[
            ("JuanPerez", None),
            ("juan.perez_2", None),
            ("Ñandú", None),
            ("", Some(std::mem::discriminant(&NameError::Empty))),
            ("Juan Perez", bad()),
            ("Juan\tPerez", bad()),
            ("a\x1b[31m", bad()),
            ("a\u{202E}b", bad()),
            ("nl\n", bad()),
            (
                &"x".repeat(41),
                Some(std::mem::discriminant(&NameError::TooLong)),
            ),
        ];
        for (name, expected) in table {
            let got = validate_name(name).err();
            assert_eq!(
                got.as_ref().map(std::mem::discriminant),
                *expected,
                "{name:?}: {got:?}"
            );
        }
    }

    #[test]
    fn token_precedence_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("agent.token");
        std::fs::write(&file, "abc123\n").unwrap();
        assert_eq!(resolve_token(Some(" t0k "), Some(&file)).unwrap(), "t0k");
        assert_eq!(resolve_token(None, Some(&file)).unwrap(), "abc123");
        let missing = dir.path().join("nope.token");
        let err = format!("{:#}", resolve_token(None, Some(&missing)).unwrap_err());
        assert!(
            err.contains(messages::NO_TOKEN_FILE_START) && err.contains("--token"),
            "{err}"
        );
    }
}
