//! The PostgreSQL store: the registry on a database server that several reclamos nodes can
//! share (see `docs/deployment.md`).
//!
//! - [`schema`]: the versioned migrations, applied under an advisory lock.
//! - `store`: the store itself (pool, prepared statements, idempotent creation, the change
//!   poller that keeps the read cache fresh).

pub mod schema;
mod store;

pub(crate) use store::PgStore;
pub use store::POLL_EVERY;

use std::str::FromStr;

use super::RegistryError;

/// Whether `location` names a PostgreSQL database (`postgres://` or `postgresql://`) rather
/// than an SQLite file.
pub fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// A connection string's settings, checked.
pub fn parse_url(url: &str) -> Result<tokio_postgres::Config, RegistryError> {
    tokio_postgres::Config::from_str(url).map_err(|err| {
        RegistryError::Database(format!(
            "bad PostgreSQL connection string {}: {err}",
            redact(url)
        ))
    })
}

/// `url` without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths_and_passwords_hidden() {
        assert!(is_url("postgres://u@h/db"));
        assert!(is_url("postgresql://h/db"));
        assert!(!is_url("reclamos.db"));
        assert!(!is_url("/var/lib/postgres/x.db"));
        assert_eq!(
            redact("postgres://ana:secreto@db:5432/reclamos?sslmode=disable"),
            "postgres://ana:***@db:5432/reclamos?sslmode=disable"
        );
        assert_eq!(redact("postgres://ana@db/x"), "postgres://ana@db/x");
        assert_eq!(redact("postgres://db/x"), "postgres://db/x");
        assert!(parse_url("postgres://ana@db:5432/reclamos").is_ok());
        assert!(parse_url("postgres://ana@db:notaport/x").is_err());
    }
}
