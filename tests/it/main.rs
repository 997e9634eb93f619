//! The integration tests, one crate with a module per feature (as ripgrep's `tests/`):
//! one link of the library instead of one per file. Each module's doc says what it covers.

mod common;

mod abuse;
mod abuse_counts;
mod abuse_limits;
mod client;
mod clients_e2e;
mod conformance;
mod conversation;
mod crash;
mod customer;
mod desk;
mod docs;
mod eval_cli;
mod executives;
mod free_text;
mod hostile;
mod impersonation;
mod informe_excerpts;
mod loadtest;
mod metrics;
mod nlu_review;
mod pg;
mod registry;
mod requests_cli;
mod stall;
mod stderr;
mod tls;
mod waiting;
mod zero_shot;
mod zero_shot_server;
