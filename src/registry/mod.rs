//! The request registry: every request a customer makes, kept in SQLite so that it survives
//! restarts (and `kill -9`).
//!
//! [`Registry`] is a cheap `Clone` handle. Its methods are synchronous and short: callers in
//! async code call them directly (each is one small SQLite transaction on a WAL database).

pub mod cli;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::rut::Rut;

/// A request's number, e.g. 124578.
pub type RequestId = u64;

/// The state of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestState {
    /// `abierto`
    Abierto,
    /// `cerrado`
    Cerrado,
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestState::Abierto => "abierto",
            RequestState::Cerrado => "cerrado",
        })
    }
}

impl FromStr for RequestState {
    type Err = RegistryError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_lowercase().as_str() {
            "abierto" => Ok(RequestState::Abierto),
            "cerrado" => Ok(RequestState::Cerrado),
            other => Err(RegistryError::BadState(other.to_string())),
        }
    }
}

/// A customer of the company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The customer's RUT (unique).
    pub rut: Rut,
    /// Full name, e.g. `Jorge Sandoval`.
    pub name: String,
    /// Serial number of the customer's identity card, the second factor for sensitive data.
    pub id_serial: Option<String>,
}

impl Customer {
    /// The first name, used in greetings (`Hola Jorge`).
    pub fn first_name(&self) -> &str {
        self.name.split_whitespace().next().unwrap_or(&self.name)
    }
}

/// One timestamped entry of a request's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Who wrote it (`Asistente`, an executive's name, `sistema`).
    pub author: String,
    /// What happened.
    pub text: String,
}

/// One line of the live chat between a customer and an executive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// Who sent it (the customer's or the executive's name).
    pub speaker: String,
    /// What was sent.
    pub text: String,
}

/// A customer's request ("solicitud").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Its number.
    pub id: RequestId,
    /// Whose it is.
    pub rut: Rut,
    /// What it is about, e.g. `Cambio de clave WiFi`.
    pub subject: String,
    /// `abierto` or `cerrado`.
    pub state: RequestState,
    /// The answer given to the customer, if any (e.g. the new WiFi key).
    pub answer: Option<String>,
    /// Whether the answer is sensitive (shown only after the second factor).
    pub sensitive: bool,
    /// What happened, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What `Registry::list` returns.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Only this customer's requests.
    pub rut: Option<Rut>,
    /// Only requests in this state.
    pub state: Option<RequestState>,
}

/// Registry failures.
#[derive(Debug, Error)]
pub enum RegistryError {
    /// The database failed (full disk, read-only file, corruption...).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// No request with that number.
    #[error("request {0} does not exist")]
    NotFound(RequestId),
    /// A state other than `abierto`/`cerrado`.
    #[error("unknown state {0:?} (use abierto or cerrado)")]
    BadState(String),
    /// The customer is already registered.
    #[error("customer {0} already exists")]
    CustomerExists(Rut),
}

/// Handle to the registry. Cheap to clone; safe to share between tasks.
#[derive(Clone)]
pub struct Registry {}

impl Registry {
    /// Opens (creating if needed) the database at `path`: WAL mode, migrations, and demo
    /// customers on first creation.
    pub fn open(path: &Path) -> Result<Registry, RegistryError> {
        let _ = path;
        todo!()
    }

    /// An in-memory registry with the demo data, for tests.
    pub fn open_in_memory() -> Result<Registry, RegistryError> {
        todo!()
    }

    /// The customer with this RUT.
    pub fn customer(&self, rut: Rut) -> Result<Option<Customer>, RegistryError> {
        let _ = rut;
        todo!()
    }

    /// Registers a new customer (no identity-card serial).
    pub fn register_customer(&self, rut: Rut, name: &str) -> Result<Customer, RegistryError> {
        let _ = (rut, name);
        todo!()
    }

    /// A customer's requests, oldest first.
    pub fn requests_of(&self, rut: Rut) -> Result<Vec<Request>, RegistryError> {
        let _ = rut;
        todo!()
    }

    /// One request by number.
    pub fn request(&self, id: RequestId) -> Result<Option<Request>, RegistryError> {
        let _ = id;
        todo!()
    }

    /// Records a new request with a first history entry; returns it with its new number.
    pub fn create_request(
        &self,
        rut: Rut,
        subject: &str,
        state: RequestState,
        author: &str,
        history: &str,
    ) -> Result<Request, RegistryError> {
        let _ = (rut, subject, state, author, history);
        todo!()
    }

    /// Changes the subject (recorded in the history).
    pub fn set_subject(
        &self,
        id: RequestId,
        subject: &str,
        author: &str,
    ) -> Result<Request, RegistryError> {
        let _ = (id, subject, author);
        todo!()
    }

    /// Changes the state (recorded in the history).
    pub fn set_state(
        &self,
        id: RequestId,
        state: RequestState,
        author: &str,
    ) -> Result<Request, RegistryError> {
        let _ = (id, state, author);
        todo!()
    }

    /// Appends a history entry.
    pub fn append_history(
        &self,
        id: RequestId,
        author: &str,
        text: &str,
    ) -> Result<Request, RegistryError> {
        let _ = (id, author, text);
        todo!()
    }

    /// Appends a line to the request's chat transcript.
    pub fn append_transcript(
        &self,
        id: RequestId,
        speaker: &str,
        text: &str,
    ) -> Result<(), RegistryError> {
        let _ = (id, speaker, text);
        todo!()
    }

    /// The request's chat transcript, oldest first.
    pub fn transcript(&self, id: RequestId) -> Result<Vec<TranscriptLine>, RegistryError> {
        let _ = id;
        todo!()
    }

    /// Every request matching the filter, by number.
    pub fn list(&self, filter: &RequestFilter) -> Result<Vec<Request>, RegistryError> {
        let _ = filter;
        todo!()
    }
}

impl Registry {
    /// Seeds `count` synthetic customers for load tests (placeholder until the store lands).
    pub fn seed_load_customers(&self, count: usize) -> Result<Vec<Rut>, RegistryError> {
        let _ = count;
        todo!()
    }
}
