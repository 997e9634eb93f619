//! Cost of the conversation engine per customer message, without any network: the bot's
//! share of a round trip. Uses a real SQLite file in a temp dir and the default classifier.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use reclamos::console::Console;
use reclamos::conversation::{CustomerConversation, Policy, Services};
use reclamos::hub::{Hub, SessionId};
use reclamos::registry::Registry;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn services(dir: &tempfile::TempDir) -> Services {
    let console = Console::capture();
    Services {
        registry: Registry::open(&dir.path().join("bench.db")).expect("registry"),
        classifier: reclamos::nlu::load_classifier(None).expect("classifier"),
        hub: Hub::new(1, console.clone()),
        console,
        policy: Policy::default(),
        agent_token: Arc::from("bench"),
    }
}

fn logged_in(rt: &tokio::runtime::Runtime, services: &Services) -> CustomerConversation {
    let (tx, rx) = mpsc::channel(16);
    std::mem::forget(rx);
    let mut conv = CustomerConversation::new(SessionId::next(), tx, CancellationToken::new());
    rt.block_on(conv.handle_line("12.345.678-5", services));
    conv
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let services = services(&dir);
    // The registry answers from its own threads; a current-thread runtime waits for it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let _entered = rt.enter();
    let mut group = c.benchmark_group("conversation");

    group.bench_function("login", |b| {
        b.iter_batched(
            || {
                let (tx, rx) = mpsc::channel(16);
                std::mem::forget(rx);
                CustomerConversation::new(SessionId::next(), tx, CancellationToken::new())
            },
            |mut conv| {
                let reply = rt.block_on(conv.handle_line("12.345.678-5", &services));
                conv.disconnected(&services);
                reply
            },
            BatchSize::SmallInput,
        )
    });

    let mut conv = logged_in(&rt, &services);
    group.bench_function("menu_1_list_then_back", |b| {
        b.iter(|| {
            let list = rt.block_on(conv.handle_line("1", &services));
            let back = rt.block_on(conv.handle_line("volver", &services));
            (list, back)
        })
    });
    group.bench_function("free_text_unrecognised", |b| {
        b.iter(|| rt.block_on(conv.handle_line("asdf qwerty zxcv", &services)))
    });
    group.bench_function("free_text_list_requests", |b| {
        b.iter(|| {
            let list =
                rt.block_on(conv.handle_line("quiero ver mis reclamos anteriores", &services));
            let back = rt.block_on(conv.handle_line("volver", &services));
            (list, back)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
