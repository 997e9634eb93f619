//! Cost of the registry's SQLite work on a real file in a temp dir, as a caller sees it: the
//! writes a customer causes (a restart records a request) and the read of a customer who is
//! not cached yet (every login of a customer not seen recently). The work runs on the
//! store's own threads; the figures include the hand-off there and back (a current-thread
//! runtime waits for each answer).

use criterion::{criterion_group, criterion_main, Criterion};
use reclamos::registry::{demo, Registry, RequestState};
use reclamos::rut::Rut;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let registry = Registry::open(&path).expect("registry");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let jorge = Rut::from_number(demo::JORGE_RUT_NUMBER).expect("demo RUT");
    let mut group = c.benchmark_group("registry");

    group.bench_function("create_request (a restart)", |b| {
        b.iter(|| {
            rt.block_on(registry.create_request(
                jorge,
                "Reinicio de servicios",
                RequestState::Cerrado,
                "Asistente",
                "Reinicio remoto de Internet, TV y Telefonía completado.",
            ))
            .expect("create_request")
        })
    });

    // A read-only handle has no cache, so every call reads the customer from SQLite, as a
    // login of a customer who is not cached does. Jorge has the demo requests plus the
    // ones created above, so this is an upper bound for a customer's usual few requests.
    let uncached = Registry::open_read_only(&path).expect("read-only registry");
    let ana = Rut::from_number(demo::demo_customers()[1].rut_number).expect("demo RUT");
    group.bench_function("customer, not cached (login)", |b| {
        b.iter(|| rt.block_on(uncached.customer(ana)).expect("customer"))
    });
    // A customer with a longer record: 10 requests of 3 history entries each.
    let camila = Rut::from_number(demo::demo_customers()[4].rut_number).expect("demo RUT");
    for n in 0..10 {
        let id = rt
            .block_on(registry.create_request(
                camila,
                "Consulta",
                RequestState::Abierto,
                "Asistente",
                "creada",
            ))
            .expect("create_request")
            .id;
        for entry in ["revisada", "respondida"] {
            rt.block_on(registry.append_history(id, "Paula Rojas", &format!("{entry} {n}")))
                .expect("append_history");
        }
    }
    group.bench_function("customer with 10 requests, not cached (login)", |b| {
        b.iter(|| rt.block_on(uncached.customer(camila)).expect("customer"))
    });
    group.bench_function("customer, cached", |b| {
        b.iter(|| rt.block_on(registry.customer(ana)).expect("customer"))
    });
    // What the figures above include for the hand-off alone: a current-thread runtime
    // waiting for a future that is ready at once.
    group.bench_function("runtime block_on of a ready future (baseline)", |b| {
        b.iter(|| rt.block_on(async { std::hint::black_box(1) }))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
