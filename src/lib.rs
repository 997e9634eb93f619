//! reclamos: a complaint-service chat server ("chat de atención de reclamos").
//!
//! Customers connect over TCP, log in with their Chilean RUT and talk to a bot
//! ("Asistente") that understands menu numbers and free Spanish text. Executives connect on
//! a second port, take customers from a fair queue and chat with them live.
//!
//! # Layout
//! - [`auth`]: the executives' shared secret (token file).
//! - [`rut`]: parsing and validating Chilean RUTs (módulo 11).
//! - [`nlu`]: the intent classifier (YAML intents, normalisation, fuzzy matching, a
//!   statistical model, an optional zero-shot model) and its evaluation on a labelled file
//!   ([`nlu::eval`]).
//! - [`registry`]: the persistent request registry: [`registry::Registry`], an async handle
//!   bounding every operation in time, in front of the [`registry::Store`] trait, which the
//!   SQLite store implements on threads of its own and the PostgreSQL store over a
//!   connection pool; its model types and the operators'
//!   listing ([`registry::cli`]).
//! - [`conversation`]: the sans-IO conversation logic: the customer and executive state
//!   machines (`step(state, input) -> (state, effects)`), with no I/O of their own, and
//!   what they and the hub tell each other ([`conversation::events`]).
//! - [`protocol`]: the message catalogue, every sentence the server sends, defined once.
//! - [`hub`]: the executives' pool and the customers' queue (plain Rust, no sockets).
//! - [`console`]: the `[SERVER] ...` lines the operators read.
//! - [`server`]: the only server code that touches sockets: listeners, one task per
//!   connection (the driver that carries out the conversations' effects), line framing,
//!   limits, statistics (off by default) and shutdown.
//! - [`client`]: the terminal front ends for customers and executives.
//! - `tls`: optional TLS (rustls) settings for the server and the clients.
//! - `text`: neutralising control characters before one user's text reaches another's
//!   terminal.
//! - [`names`]: comparing names people choose (case, accents, look-alikes) and the names
//!   reserved for the server's voices.
//! - [`latency`]: latency histograms for the server's statistics and the load generator's
//!   report.
//!
//! The `reclamos` binary (`src/main.rs` and its own modules under `src/cli/`, which are not
//! part of this library) holds the edges: the command-line options of every subcommand, the
//! signal handling, the text and file output of `eval --report` (with its PNG renderer) and
//! the load generator (`reclamos loadtest`). The library takes plain configuration structs
//! ([`server::Config`], [`server::Limits`], [`client::CustomerConfig`],
//! [`nlu::eval::EvalOptions`], ...), each with an `impl Default` that holds the defaults the
//! command line shows.

#![warn(missing_docs, unreachable_pub)]

pub mod auth;
pub mod client;
pub mod console;
pub mod conversation;
pub mod hub;
pub mod latency;
pub mod names;
pub mod nlu;
pub mod protocol;
pub mod registry;
pub mod rut;
pub mod server;
#[cfg(test)]
mod test_logs;
mod text;
mod tls;
