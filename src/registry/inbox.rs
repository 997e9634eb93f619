//! The NLU inbox: free-text messages the classifier did not handle well, kept so that an
//! operator can label them (`reclamos nlu review`) and the intents file can learn from real
//! traffic.
//!
//! A kept message carries its text (RUTs, e-mails and long numbers masked), how the
//! conversation ended up ([`InboxOutcome`]), the classifier's best intent and confidence,
//! and the time: no RUT, name or session of the customer (a name or an address they typed
//! stays in the text). Retention is bounded ([`InboxRetention`]) and enforced by the store
//! on every insert: rows older than the maximum age go, then the oldest rows beyond the
//! maximum count.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::nlu::Intent;

/// How a kept message ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboxOutcome {
    /// The classifier abstained: the customer got "No entendí...".
    Fallback,
    /// The two best intents were close: the customer was asked which one they meant.
    Clarify,
    /// The bot acted on the prediction and the customer's next line corrected it ("no,
    /// quise decir ..."): the kept text is the message that was misunderstood.
    Correction,
}

impl InboxOutcome {
    /// The name stored and shown (`fallback`, `clarify`, `correction`).
    pub fn name(self) -> &'static str {
        match self {
            InboxOutcome::Fallback => "fallback",
            InboxOutcome::Clarify => "clarify",
            InboxOutcome::Correction => "correction",
        }
    }
}

impl fmt::Display for InboxOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for InboxOutcome {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "fallback" => Ok(InboxOutcome::Fallback),
            "clarify" => Ok(InboxOutcome::Clarify),
            "correction" => Ok(InboxOutcome::Correction),
            other => Err(format!("unknown inbox outcome {other:?}")),
        }
    }
}

/// A message to keep (what the conversation hands the store).
#[derive(Debug, Clone, PartialEq)]
pub struct InboxMessage {
    /// What the customer wrote ([`crate::nlu::review::inbox_text`]: one line, RUTs, e-mails
    /// and long numbers masked).
    pub text: String,
    /// How it ended up.
    pub outcome: InboxOutcome,
    /// The classifier's best intent (`nlu_fallback` when it abstained).
    pub predicted: Intent,
    /// The confidence of `predicted`, in `0.0..=1.0`.
    pub confidence: f32,
}

// Confidences are finite numbers in 0..=1 (never NaN): equality is total for them.
impl Eq for InboxMessage {}

/// A kept message as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxEntry {
    /// Its number in the inbox (insertion order).
    pub id: i64,
    /// When it was kept.
    pub at: DateTime<Utc>,
    /// What the customer wrote.
    pub text: String,
    /// How it ended up.
    pub outcome: InboxOutcome,
    /// The classifier's best intent.
    pub predicted: Intent,
    /// The confidence of `predicted`.
    pub confidence: f32,
    /// When an operator reviewed it (`None`: not yet).
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The intent the operator gave it (`None`: not reviewed, or skipped).
    pub label: Option<Intent>,
}

/// What an operator decided for one kept message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review {
    /// The message's [`InboxEntry::id`].
    pub id: i64,
    /// The intent given (`None`: skipped).
    pub label: Option<Intent>,
}

/// How much of the inbox the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxRetention {
    /// At most this many messages (0: keep none); the oldest go first.
    pub max_rows: usize,
    /// Messages older than this go.
    pub max_age: Duration,
}

impl Default for InboxRetention {
    /// 10,000 messages, 30 days: a few weeks of a busy desk's misses, a few megabytes.
    fn default() -> InboxRetention {
        InboxRetention {
            max_rows: 10_000,
            max_age: Duration::from_secs(30 * 24 * 3600),
        }
    }
}
