//! The sans-IO conversation logic.
