//! reclamos: a complaint-service chat server ("chat de atención de reclamos").
//!
//! Customers connect over TCP, log in with their Chilean RUT and talk to a bot
//! ("Asistente") that understands menu numbers and free Spanish text. Executives connect on
//! a second port, take customers from a fair queue and chat with them live.
//!
//! # Layout
//! - [`auth`]: the executives' shared secret (token file).
//! - [`cli`]: the command-line interface (clap derive) shared by every subcommand.
//! - [`rut`]: parsing and validating Chilean RUTs (módulo 11).
//! - [`nlu`]: the intent classifier (YAML intents, normalisation, fuzzy matching, a
//!   statistical model, an optional zero-shot model) and the `eval` command.
//! - [`registry`]: the persistent request registry (SQLite) and its model types.
//! - [`conversation`]: the sans-IO conversation logic: the customer and executive state
//!   machines (`step(state, input) -> (state, effects)`), with no I/O of their own.
//! - [`protocol`]: the message catalogue, every sentence the server sends, defined once.
//! - [`hub`]: the executives' pool and the customers' queue (plain Rust, no sockets).
//! - [`console`]: the `[SERVER] ...` lines the operators read.
//! - [`server`]: the only server code that touches sockets: listeners, one task per
//!   connection (the driver that carries out the conversations' effects), line framing,
//!   limits and shutdown.
//! - [`client`]: the terminal front ends for customers and executives.
//! - [`tls`]: optional TLS (rustls) settings for the server and the clients.
//! - [`loadtest`]: the load generator.
//! - [`latency`]: latency histograms for the load generator's report and the server's
//!   statistics.

#![warn(missing_docs)]

pub mod auth;
pub mod cli;
pub mod client;
pub mod console;
pub mod conversation;
pub mod hub;
pub mod latency;
pub mod loadtest;
pub mod nlu;
pub mod protocol;
pub mod registry;
pub mod rut;
pub mod server;
pub mod text;
pub mod tls;
