//! Cost of the conversation engine per customer message, without any I/O: the customer
//! state machine stepped through whole exchanges, with the store's and the hub's answers
//! fed back as the driver would (canned, in memory) and the default classifier run where
//! the state asks for a prediction. The registry's own cost is `benches/registry.rs`.

use std::sync::Arc;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use reclamos::conversation::events::CustomerEvent;
use reclamos::conversation::{
    Context, CustomerConversation, Effect, Effects, HubResult, Input, Policy, StoreOp, StoreResult,
};
use reclamos::nlu::Classifier;
use reclamos::registry::{Customer, HistoryEntry, Request, RequestState};
use reclamos::rut::Rut;

/// Answers the store and hub operations a step asks for, like the driver, from memory.
struct Engine {
    ctx: Context,
    classifier: Arc<dyn Classifier>,
    customer: Customer,
    requests: Vec<Request>,
    out: Effects,
}

impl Engine {
    fn new() -> Engine {
        let rut: Rut = "12.345.678-5".parse().expect("RUT");
        let now = Utc::now();
        let request = |id, subject: &str| Request {
            id,
            rut,
            subject: subject.into(),
            state: RequestState::Cerrado,
            answer: None,
            sensitive: false,
            history: vec![HistoryEntry {
                at: now,
                author: "Asistente".into(),
                text: "Solicitud registrada".into(),
            }],
            created_at: now,
            updated_at: now,
        };
        Engine {
            ctx: Context {
                policy: Policy::default(),
                agent_token: Arc::from("bench"),
                started: Some(chrono::Utc::now()),
                time_zone: reclamos::server::DEFAULT_TIME_ZONE,
                queue_grace: std::time::Duration::ZERO,
                wrap_up_limit: std::time::Duration::ZERO,
            },
            classifier: reclamos::nlu::load_classifier(None).expect("classifier"),
            customer: Customer {
                rut,
                name: "Jorge Sandoval".into(),
                id_serial: Some("100200300".into()),
            },
            requests: vec![
                request(124_578, "Cambio de clave WiFi"),
                request(124_579, "Cobro duplicado"),
            ],
            out: Effects::new(),
        }
    }

    /// One line through the engine, with every result fed back; returns the lines sent.
    fn line(&mut self, conv: CustomerConversation, text: &str) -> (CustomerConversation, usize) {
        let prediction = conv
            .wants_classification(text)
            .then(|| self.classifier.classify(text.trim()));
        self.out.clear();
        let mut conv = conv.step(Input::Line { text, prediction }, &self.ctx, &mut self.out);
        let mut next = 0;
        while next < self.out.0.len() {
            let input: Option<Input<'_, CustomerEvent>> = match &self.out.0[next] {
                Effect::Store(op) => Some(Input::Stored(self.store(op))),
                Effect::Hub(op) => op.has_result().then(|| Input::Hub(self.hub(op))),
                _ => None,
            };
            next += 1;
            if let Some(input) = input {
                let mut more = Effects::new();
                conv = conv.step(input, &self.ctx, &mut more);
                self.out.0.append(&mut more.0);
            }
        }
        let sent = self.out.lines().count();
        (conv, sent)
    }

    fn store(&self, op: &StoreOp) -> StoreResult {
        match op {
            StoreOp::FindCustomer(_) => StoreResult::Customer(Ok(Some(self.customer.clone()))),
            StoreOp::RequestsOf(_) => StoreResult::Requests(Ok(self.requests.clone())),
            StoreOp::Request(id) => {
                StoreResult::Request(Ok(self.requests.iter().find(|r| r.id == *id).cloned()))
            }
            StoreOp::CreateRequest { .. } => StoreResult::Changed(Ok(self.requests[0].clone())),
            other => panic!("not in this bench: {other:?}"),
        }
    }

    fn hub(&self, op: &reclamos::conversation::HubOp) -> HubResult {
        match op {
            reclamos::conversation::HubOp::Login { .. } => HubResult::LoggedIn(Ok(None)),
            other => panic!("not in this bench: {other:?}"),
        }
    }

    fn logged_in(&mut self) -> CustomerConversation {
        self.line(CustomerConversation::new(), "12.345.678-5").0
    }
}

fn bench(c: &mut Criterion) {
    let mut engine = Engine::new();
    let mut group = c.benchmark_group("conversation");

    group.bench_function("login", |b| {
        b.iter_batched(
            CustomerConversation::new,
            |conv| engine.line(conv, "12.345.678-5"),
            BatchSize::SmallInput,
        )
    });

    let mut conv = Some(engine.logged_in());
    let mut run = |engine: &mut Engine, lines: &[&str]| {
        let mut sent = 0;
        for line in lines {
            let (next, n) = engine.line(conv.take().expect("conversation"), line);
            conv = Some(next);
            sent += n;
        }
        sent
    };
    group.bench_function("menu_1_list_then_back", |b| {
        b.iter(|| run(&mut engine, &["1", "volver"]))
    });
    group.bench_function("free_text_unrecognised", |b| {
        b.iter(|| run(&mut engine, &["asdf qwerty zxcv"]))
    });
    group.bench_function("free_text_list_requests", |b| {
        b.iter(|| {
            run(
                &mut engine,
                &["quiero ver mis reclamos anteriores", "volver"],
            )
        })
    });
    group.bench_function("session", |b| {
        b.iter_batched(
            CustomerConversation::new,
            |conv| {
                let mut conv = conv;
                let mut sent = 0;
                for line in [
                    "12.345.678-5",
                    "1",
                    "2",
                    "quiero ver mis reclamos anteriores",
                    "la del cobro",
                    "asdf qwerty zxcv",
                    "4",
                ] {
                    let (next, n) = engine.line(conv, line);
                    conv = next;
                    sent += n;
                }
                sent
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
