//! `reclamos client` and `reclamos agent`: their options.

use std::path::PathBuf;
use std::process::ExitCode;

use reclamos::client::{self, AgentConfig, CustomerConfig, TlsOptions};
use reclamos::server::{DEFAULT_AGENT_PORT, DEFAULT_CUSTOMER_PORT, DEFAULT_HOST};

/// Options of `reclamos client`.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// Server host.
    #[arg(long, default_value = DEFAULT_HOST)]
    pub host: String,
    /// Customers' port.
    #[arg(long, default_value_t = DEFAULT_CUSTOMER_PORT)]
    pub port: u16,
    /// TLS.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// Options of `reclamos agent`.
#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// Server host.
    #[arg(long, default_value = DEFAULT_HOST)]
    pub host: String,
    /// Executives' port.
    #[arg(long, default_value_t = DEFAULT_AGENT_PORT)]
    pub port: u16,
    /// Executive name shown to customers: one word of letters, digits, '.', '_' or '-';
    /// defaults to $USER, else asked.
    #[arg(long)]
    pub name: Option<String>,
    /// Access token (else $RECLAMOS_AGENT_TOKEN, else the token file the local server
    /// wrote).
    #[arg(long)]
    pub token: Option<String>,
    /// Read the token from this file instead of the default location.
    #[arg(long, value_name = "PATH", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// TLS.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// TLS options of both clients.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// Connect over TLS (the server runs with --tls-cert and --tls-key).
    #[arg(long)]
    pub tls: bool,
    /// Trust this PEM certificate (the server's CA, or its self-signed certificate) instead
    /// of the system's root certificates.
    #[arg(long, value_name = "PEM", requires = "tls")]
    pub tls_ca: Option<PathBuf>,
    /// Name the server's certificate must carry (default: --host).
    #[arg(long, value_name = "NAME", requires = "tls")]
    pub tls_server_name: Option<String>,
}

impl TlsArgs {
    /// The TLS settings, or `None` without `--tls`.
    fn options(self) -> Option<TlsOptions> {
        self.tls.then_some(TlsOptions {
            ca: self.tls_ca,
            server_name: self.tls_server_name,
        })
    }
}

impl From<ClientArgs> for CustomerConfig {
    fn from(args: ClientArgs) -> CustomerConfig {
        CustomerConfig {
            host: args.host,
            port: args.port,
            tls: args.tls.options(),
        }
    }
}

impl From<AgentArgs> for AgentConfig {
    fn from(args: AgentArgs) -> AgentConfig {
        AgentConfig {
            host: args.host,
            port: args.port,
            name: args.name,
            token: args.token,
            token_file: args.token_file,
            tls: args.tls.options(),
        }
    }
}

/// `reclamos client`.
pub fn main_customer(args: ClientArgs) -> anyhow::Result<ExitCode> {
    client::run_customer(&args.into())
}

/// `reclamos agent`.
pub fn main_agent(args: AgentArgs) -> anyhow::Result<ExitCode> {
    client::run_agent(&args.into())
}

#[cfg(test)]
mod tests {
    use super::super::tests::parse;
    use super::super::Command;
    use super::*;

    #[test]
    fn no_options_give_the_library_defaults() {
        match parse(&["client"]).unwrap() {
            Command::Client(args) => {
                assert_eq!(CustomerConfig::from(args), CustomerConfig::default())
            }
            other => panic!("{other:?}"),
        }
        match parse(&["agent"]).unwrap() {
            Command::Agent(args) => assert_eq!(AgentConfig::from(args), AgentConfig::default()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tls_options_need_tls() {
        assert!(parse(&["client", "--tls-ca", "ca.pem"]).is_err());
        match parse(&["agent", "--tls", "--tls-server-name", "chat.example"]).unwrap() {
            Command::Agent(args) => {
                let tls = AgentConfig::from(args).tls.expect("tls");
                assert_eq!(tls.server_name.as_deref(), Some("chat.example"));
            }
            other => panic!("{other:?}"),
        }
    }
}
