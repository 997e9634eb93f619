//! `reclamos requests`: its options.

use std::process::ExitCode;

use reclamos::registry::cli::{self, ListOptions};
use reclamos::registry::{Location, RequestFilter, RequestState};
use reclamos::rut::Rut;
use reclamos::server::DEFAULT_DB;

/// Options of `reclamos requests`.
#[derive(Debug, clap::Args)]
pub struct RequestsArgs {
    /// The registry: an SQLite file (opened read-only; it must exist) or a PostgreSQL
    /// connection string (postgres://user@host:5432/dbname; never migrated from here).
    #[arg(long, env = "RECLAMOS_DB", default_value = DEFAULT_DB, value_name = "FILE|URL")]
    pub db: Location,
    /// Only this customer's requests (any common form: 12.345.678-5, 123456785).
    #[arg(long, value_name = "RUT")]
    pub rut: Option<Rut>,
    /// Only requests in this state: abierto or cerrado.
    #[arg(long, value_name = "STATE")]
    pub state: Option<RequestState>,
    /// Print each request's history under it.
    #[arg(long)]
    pub history: bool,
    /// Print each request's stored chat transcript under it (in JSON, as `transcript`).
    #[arg(long)]
    pub transcript: bool,
    /// Print JSON (an array of requests, always with their history and answer) instead of
    /// a table.
    #[arg(long)]
    pub json: bool,
    /// Show the table's times in this IANA time zone, as the chat shows them (JSON keeps
    /// UTC).
    #[arg(long, value_name = "ZONE", default_value_t = ListOptions::default().time_zone)]
    pub time_zone: chrono_tz::Tz,
}

/// `reclamos requests`.
pub fn main(args: RequestsArgs) -> anyhow::Result<ExitCode> {
    cli::run(
        &ListOptions {
            db: args.db,
            filter: RequestFilter {
                rut: args.rut,
                state: args.state,
            },
            history: args.history,
            transcript: args.transcript,
            json: args.json,
            time_zone: args.time_zone,
        },
        &mut super::stdout(),
    )?;
    Ok(ExitCode::SUCCESS)
}
