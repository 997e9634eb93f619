//! The sans-IO conversation logic: what the bot and the executives' channel answer.
//!
//! A conversation is fed the lines its party sends and the [hub](crate::hub) events meant
//! for it, and returns a [`Reply`]: the lines to send back and whether to close. It never
//! touches a socket, so tests drive it directly; the [server](crate::server) only moves
//! lines between sockets and conversations.

mod agent;
mod customer;

use std::sync::Arc;

pub use agent::{AgentCommand, AgentConversation, CommandError};
pub use customer::{CustomerConversation, Idle};

use crate::console::Console;
use crate::hub::Hub;
use crate::nlu::Classifier;
use crate::registry::Registry;

/// What a conversation needs from the rest of the server. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    /// The request registry.
    pub registry: Registry,
    /// The free-text classifier.
    pub classifier: Arc<dyn Classifier>,
    /// The executives' pool and the queue.
    pub hub: Hub,
    /// Where `[SERVER]` lines go.
    pub console: Console,
    /// Security policy.
    pub policy: Policy,
    /// The executives' shared secret.
    pub agent_token: Arc<str>,
}

/// Security policy of the conversations.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Ask for the identity card's serial number before showing sensitive answers.
    pub second_factor: bool,
    /// Wrong serial numbers allowed per session before sensitive data is locked.
    pub max_serial_attempts: u32,
    /// Invalid or unknown RUTs allowed before the connection is closed.
    pub max_login_attempts: u32,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            second_factor: true,
            max_serial_attempts: 3,
            max_login_attempts: 5,
        }
    }
}

/// What to send back after one input.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Lines to send, in order.
    pub lines: Vec<String>,
    /// Close the connection after sending them.
    pub close: bool,
    /// An executive presented a wrong token (the server slows repeated failures down).
    pub auth_failed: bool,
}

impl Reply {
    fn line(&mut self, line: impl Into<String>) -> &mut Reply {
        self.lines.push(line.into());
        self
    }

    fn bot(&mut self, text: impl AsRef<str>) -> &mut Reply {
        self.line(format!("Asistente: {}", text.as_ref()))
    }

    fn system(&mut self, text: impl AsRef<str>) -> &mut Reply {
        self.line(format!("Sistema: {}", text.as_ref()))
    }
}

/// The first line a customer receives.
pub const CUSTOMER_GREETING: &str = "Asistente: Hola! Bienvenido, Ingrese su RUT";

/// The first line an executive receives.
pub const AGENT_GREETING: &str = "Sistema: Canal de ejecutivos. Ingrese su token de acceso.";
