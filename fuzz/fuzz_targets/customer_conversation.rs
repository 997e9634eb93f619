//! A customer (and an executive) conversation driven by arbitrary lines against an
//! in-memory registry, the default classifier and a real hub: never panics, and nothing
//! sent to a terminal (replies to either party, console lines) carries a control character
//! other than tab.
//!
//! Input: lines separated by `\n`, decoded as lossy UTF-8 as the server's codec does. A
//! line starting with `@` is typed by the executive (after `@`), any other by the customer.
//! Hub events are delivered to both sides after every line, as the server would.

#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use reclamos::console::Console;
use reclamos::conversation::{AgentConversation, CustomerConversation, Policy, Reply, Services};
use reclamos::hub::{Hub, SessionId};
use reclamos::nlu::Classifier;
use reclamos::registry::Registry;
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

fn check(who: &str, input: &str, reply: &Reply) {
    for line in &reply.lines {
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "{who} got {line:?} after {input:?}"
        );
    }
}

/// The registry answers from its own threads; a current-thread runtime waits for it.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let rt = runtime();
    let _entered = rt.enter();
    let console = Console::capture();
    let services = Services {
        registry: Registry::open_in_memory().expect("in-memory registry"),
        classifier: classifier(),
        hub: Hub::new(1, console.clone()),
        console: console.clone(),
        policy: Policy::default(),
        agent_token: Arc::from(TOKEN),
    };
    let (customer_tx, mut customer_rx) = mpsc::channel(64);
    let (agent_tx, mut agent_rx) = mpsc::channel(64);
    let mut customer =
        CustomerConversation::new(SessionId::next(), customer_tx, CancellationToken::new());
    let mut agent = AgentConversation::new(SessionId::next(), agent_tx, CancellationToken::new());
    let (mut customer_open, mut agent_open) = (true, true);

    for line in text.split('\n').take(200) {
        if let Some(line) = line.strip_prefix('@') {
            if agent_open {
                let reply = rt.block_on(agent.handle_line(line, &services));
                check("agent", line, &reply);
                if reply.close {
                    agent.disconnected(&services);
                    agent_open = false;
                }
            }
        } else if customer_open {
            let reply = rt.block_on(customer.handle_line(line, &services));
            check("customer", line, &reply);
            if reply.close {
                customer.disconnected(&services);
                customer_open = false;
            }
        }
        // Deliver what the hub queued, as the connection tasks would.
        while let Ok(event) = customer_rx.try_recv() {
            let reply = customer.handle_event(event, &services);
            check("customer (event)", line, &reply);
        }
        while let Ok(event) = agent_rx.try_recv() {
            let reply = rt.block_on(agent.handle_event(event, &services));
            check("agent (event)", line, &reply);
        }
    }
    if customer_open {
        customer.disconnected(&services);
    }
    if agent_open {
        agent.disconnected(&services);
    }
    for line in console.lines() {
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "console {line:?}"
        );
    }
});
