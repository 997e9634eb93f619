//! A customer (and an executive) conversation driven by arbitrary lines through their state
//! machines, with a real hub, an in-memory store and the default classifier: never
//! panics, never leaves a conversation waiting for a result, and nothing sent to a
//! terminal (lines to either party, console lines) carries a control character other than
//! tab.
//!
//! Input: lines separated by `\n`, decoded as lossy UTF-8 as the server's codec does. A
//! line starting with `@` is typed by the executive (after `@`), any other by the customer.
//! Hub events are delivered to both sides after every line, as the server would. At the
//! end the customer's connection is closed for idleness when the input's length is even,
//! and lost otherwise.

#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use reclamos::console::Console;
use reclamos::conversation::events::{Departure, SessionId};
use reclamos::conversation::{
    AgentConversation, Context, CustomerConversation, Effect, Effects, Input, Policy, StoreOp,
    StoreResult,
};
use reclamos::hub::{Hub, Outbox};
use reclamos::nlu::Classifier;
use reclamos::registry::{Customer, HistoryEntry, Request, RequestState, SerialFailures};
use reclamos::rut::Rut;
use reclamos::server::{run_hub_op, Reach};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The executives' token in this harness (seeds log in with `@secreto`).
const TOKEN: &str = "secreto";

fn classifier() -> Arc<dyn Classifier> {
    static CLASSIFIER: OnceLock<Arc<dyn Classifier>> = OnceLock::new();
    CLASSIFIER
        .get_or_init(|| reclamos::nlu::load_classifier(None).expect("default classifier"))
        .clone()
}

/// The demo's customer and request, kept in memory.
struct Store {
    customers: HashMap<Rut, Customer>,
    requests: Vec<Request>,
    wrong_serials: HashMap<Rut, u32>,
}

impl Store {
    fn new() -> Store {
        let jorge: Rut = "12.345.678-5".parse().expect("RUT");
        let now = chrono::Utc::now();
        let mut store = Store {
            customers: HashMap::new(),
            requests: Vec::new(),
            wrong_serials: HashMap::new(),
        };
        store.customers.insert(
            jorge,
            Customer {
                rut: jorge,
                name: "Jorge Sandoval".into(),
                id_serial: Some("100200300".into()),
            },
        );
        store.requests.push(Request {
            id: 124_578,
            rut: jorge,
            subject: "Cambio de clave WiFi".into(),
            state: RequestState::Cerrado,
            answer: Some("su nueva clave wifi es: estaesmiclave".into()),
            sensitive: true,
            history: Vec::new(),
            created_at: now,
            updated_at: now,
        });
        store
    }

    fn find(&mut self, id: u64) -> Option<&mut Request> {
        self.requests.iter_mut().find(|r| r.id == id)
    }

    fn history(&mut self, id: u64, author: &str, text: &str) -> StoreResult {
        StoreResult::Changed(
            self.find(id)
                .map(|r| {
                    r.history.push(HistoryEntry {
                        at: chrono::Utc::now(),
                        author: author.to_string(),
                        text: text.to_string(),
                    });
                    r.clone()
                })
                .ok_or(reclamos::conversation::StoreFailed),
        )
    }

    fn run(&mut self, op: StoreOp) -> StoreResult {
        use reclamos::conversation::StoreFailed;
        match op {
            StoreOp::FindCustomer(rut) => {
                StoreResult::Customer(Ok(self.customers.get(&rut).cloned()))
            }
            StoreOp::RegisterCustomer { rut, name } => {
                let customer = Customer {
                    rut,
                    name,
                    id_serial: None,
                };
                self.customers.insert(rut, customer.clone());
                StoreResult::Registered(Ok(customer))
            }
            StoreOp::RequestsOf(rut) => StoreResult::Requests(Ok(self
                .requests
                .iter()
                .filter(|r| r.rut == rut)
                .cloned()
                .collect())),
            StoreOp::Request(id) => StoreResult::Request(Ok(self.find(id).map(|r| r.clone()))),
            StoreOp::RequestOf { rut, request } => StoreResult::Request(Ok(self
                .find(request)
                .filter(|r| r.rut == rut)
                .map(|r| r.clone()))),
            StoreOp::CreateRequest {
                rut,
                subject,
                state,
                author,
                history,
            } => {
                let now = chrono::Utc::now();
                let id = 200_000 + self.requests.len() as u64;
                self.requests.push(Request {
                    id,
                    rut,
                    subject: subject.into(),
                    state,
                    answer: None,
                    sensitive: false,
                    history: Vec::new(),
                    created_at: now,
                    updated_at: now,
                });
                self.history(id, author, &history)
            }
            StoreOp::SetSubject {
                request, subject, ..
            } => StoreResult::Changed(
                self.find(request)
                    .map(|r| {
                        r.subject = subject;
                        r.clone()
                    })
                    .ok_or(StoreFailed),
            ),
            StoreOp::SetState { request, state, .. } => StoreResult::Changed(
                self.find(request)
                    .map(|r| {
                        r.state = state;
                        r.clone()
                    })
                    .ok_or(StoreFailed),
            ),
            StoreOp::AppendHistory {
                request,
                author,
                text,
            } => self.history(request, &author, &text),
            StoreOp::Transcript(_) => StoreResult::Transcript(Ok(Vec::new())),
            StoreOp::SerialFailures(rut) => StoreResult::SerialFailures(Ok(SerialFailures {
                count: self.wrong_serials.get(&rut).copied().unwrap_or(0),
                ..SerialFailures::default()
            })),
            StoreOp::SerialFailed { rut, .. } => {
                let count = self.wrong_serials.entry(rut).or_insert(0);
                *count += 1;
                StoreResult::SerialFailures(Ok(SerialFailures {
                    count: *count,
                    ..SerialFailures::default()
                }))
            }
            StoreOp::SerialPassed(rut) => {
                self.wrong_serials.remove(&rut);
                StoreResult::Done(Ok(()))
            }
            // The harness never locks the executives' login.
            StoreOp::TokenFailures | StoreOp::TokenFailed(_) => {
                StoreResult::TokenFailures(Ok(SerialFailures::default()))
            }
            StoreOp::AppendTranscript { .. }
            | StoreOp::TokenPassed
            | StoreOp::RecordConsultation { .. }
            | StoreOp::KeepInboxMessage(_) => StoreResult::Done(Ok(())),
        }
    }
}

/// A conversation of either kind, as the driver sees it.
trait Party: Sized {
    type Event;
    fn step(self, input: Input<'_, Self::Event>, ctx: &Context, out: &mut Effects) -> Self;
    fn is_pending(&self) -> bool;
}

impl Party for CustomerConversation {
    type Event = reclamos::hub::CustomerEvent;
    fn step(self, input: Input<'_, Self::Event>, ctx: &Context, out: &mut Effects) -> Self {
        CustomerConversation::step(self, input, ctx, out)
    }
    fn is_pending(&self) -> bool {
        CustomerConversation::is_pending(self)
    }
}

impl Party for AgentConversation {
    type Event = reclamos::hub::AgentEvent;
    fn step(self, input: Input<'_, Self::Event>, ctx: &Context, out: &mut Effects) -> Self {
        AgentConversation::step(self, input, ctx, out)
    }
    fn is_pending(&self) -> bool {
        AgentConversation::is_pending(self)
    }
}

/// One side of the harness: its conversation and how the hub reaches it.
struct Side<P> {
    who: &'static str,
    conv: Option<P>,
    session: SessionId,
    reach: Reach,
    open: bool,
}

struct World {
    ctx: Context,
    hub: Hub,
    store: Store,
}

impl<P: Party> Side<P> {
    /// Carries out effects as the server's driver does, feeding results back.
    fn apply(&mut self, world: &mut World, first: Input<'_, P::Event>) {
        if !self.open {
            return;
        }
        let mut out = Effects::new();
        self.step(world, first, &mut out);
        let mut close = false;
        let mut next = 0;
        while next < out.0.len() {
            let effect = out.0[next].clone();
            next += 1;
            let input = match effect {
                Effect::Send(line) => {
                    check(self.who, &line);
                    None
                }
                Effect::Store(op) => Some(Input::Stored(world.store.run(op))),
                Effect::Record(op) => {
                    world.store.run(op);
                    None
                }
                Effect::Hub(op) => {
                    run_hub_op(&world.hub, self.session, &self.reach, op).map(Input::Hub)
                }
                Effect::Console(line) => {
                    check("console", &line);
                    None
                }
                Effect::Close => {
                    close = true;
                    None
                }
                Effect::AuthFailed => None,
            };
            if let Some(input) = input {
                let mut more = Effects::new();
                self.step(world, input, &mut more);
                out.0.append(&mut more.0);
            }
        }
        assert!(!self.conv().is_pending(), "{} left waiting", self.who);
        if close {
            self.disconnect(world, Departure::Lost);
        }
    }

    fn step(&mut self, world: &World, input: Input<'_, P::Event>, out: &mut Effects) {
        let conv = self.conv.take().expect("conversation");
        self.conv = Some(conv.step(input, &world.ctx, out));
    }

    fn conv(&self) -> &P {
        self.conv.as_ref().expect("conversation")
    }

    /// The connection ends (`departure`: how): the clean-up runs once.
    fn disconnect(&mut self, world: &mut World, departure: Departure) {
        if !self.open {
            return;
        }
        let mut out = Effects::new();
        self.step(world, Input::Disconnected(departure), &mut out);
        self.open = false;
        for effect in out.0 {
            match effect {
                Effect::Hub(op) => {
                    let _ = run_hub_op(&world.hub, self.session, &self.reach, op);
                }
                Effect::Store(op) | Effect::Record(op) => {
                    world.store.run(op);
                }
                Effect::Console(line) => check("console", &line),
                Effect::Send(line) => panic!("{} got {line:?} after disconnecting", self.who),
                Effect::Close | Effect::AuthFailed => {}
            }
        }
    }
}

fn check(who: &str, line: &str) {
    assert!(
        !line.chars().any(|c| c.is_control() && c != '\t'),
        "{who} got {line:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let console = Console::capture();
    let mut world = World {
        ctx: Context {
            policy: Policy::default(),
            agent_token: Arc::from(TOKEN),
            started: Some(chrono::Utc::now()),
            time_zone: reclamos::server::DEFAULT_TIME_ZONE,
            queue_grace: std::time::Duration::ZERO,
            wrap_up_limit: std::time::Duration::ZERO,
        },
        hub: Hub::new(1, console.clone()),
        store: Store::new(),
    };
    let classifier = classifier();
    let (customer_tx, mut customer_rx) = mpsc::channel(64);
    let (agent_tx, mut agent_rx) = mpsc::channel(64);
    let mut customer = Side {
        who: "customer",
        conv: Some(CustomerConversation::new()),
        session: SessionId::next(),
        reach: Reach::Customer(Outbox::new(customer_tx, CancellationToken::new())),
        open: true,
    };
    let mut agent = Side {
        who: "agent",
        conv: Some(AgentConversation::new()),
        session: SessionId::next(),
        reach: Reach::Agent(Outbox::new(agent_tx, CancellationToken::new())),
        open: true,
    };

    for line in text.split('\n').take(200) {
        if let Some(line) = line.strip_prefix('@') {
            agent.apply(&mut world, Input::line(line));
        } else if customer.open {
            // Classify only when the state asks, as the driver does.
            let prediction = customer
                .conv()
                .wants_classification(line)
                .then(|| classifier.classify(line.trim()));
            customer.apply(
                &mut world,
                Input::Line {
                    text: line,
                    prediction,
                },
            );
        }
        // Deliver what the hub queued, as the connection tasks would.
        while let Ok(event) = customer_rx.try_recv() {
            customer.apply(&mut world, Input::Event(event));
        }
        while let Ok(event) = agent_rx.try_recv() {
            agent.apply(&mut world, Input::Event(event));
        }
    }
    let departure = if text.len() % 2 == 0 {
        Departure::Idle
    } else {
        Departure::Lost
    };
    customer.disconnect(&mut world, departure);
    agent.disconnect(&mut world, Departure::Lost);
    for line in console.lines() {
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "console {line:?}"
        );
    }
});
