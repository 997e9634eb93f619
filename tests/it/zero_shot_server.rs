//! The server with the zero-shot model in hybrid mode, on a tiny generated model: free text
//! still reaches every option, inference runs on the worker threads, and a missing model
//! either stops the start (required) or falls back to the YAML classifier (optional).
#![cfg(feature = "zero-shot")]

use crate::common;

use crate::common::{TestServer, JORGE};
use reclamos::nlu::select::ClassifierMode;
use reclamos::nlu::zero_shot::fixture::{self, TinySpec};
use reclamos::protocol::customer as to_customer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_server_routes_free_text() {
    let model = tempfile::tempdir().unwrap();
    fixture::write_tiny_bert(model.path(), &TinySpec::default()).unwrap();
    let server = TestServer::start_with(|config| {
        config.classifier.classifier = ClassifierMode::Hybrid;
        config.classifier.model = Some(model.path().to_path_buf());
    })
    .await;
    let mut client = server.logged_in(JORGE).await;
    // Unsure for the YAML classifier: asked to the model on its thread, then answered.
    client.send("zzzz qqqq wwww").await;
    let line = client.recv().await;
    assert!(line.starts_with(reclamos::protocol::BOT), "{line}");
    client
        .recv_until(|l| l == to_customer::MENU_LAST || l.starts_with(to_customer::CLARIFY_START))
        .await;
    // Confident for the YAML classifier: answered inline.
    client.send("quiero ver mis reclamos anteriores").await;
    client.expect(to_customer::YOUR_REQUESTS).await;
}

#[tokio::test]
async fn a_missing_model_stops_the_start_unless_optional() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = reclamos::server::Config::local(dir.path().join("r.db"), common::TOKEN);
    config.classifier.classifier = ClassifierMode::ZeroShot;
    config.classifier.model = Some(dir.path().join("no-such-model"));
    let console = reclamos::console::Console::capture();
    let err = match reclamos::server::Server::start(config.clone(), console.clone()).await {
        Ok(_) => panic!("started without its model"),
        Err(err) => format!("{err:#}"),
    };
    assert!(err.contains("config.json"), "{err}");
    config.classifier.model_optional = true;
    let server = reclamos::server::Server::start(config, console)
        .await
        .expect("falls back to YAML");
    let mut client = common::TestClient::connect(server.customer_addr).await;
    client.recv().await;
    client.send(JORGE).await;
    client.recv_until(|l| l == to_customer::MENU_LAST).await;
    client.send("quiero hablar con un ejecutivo").await;
    client.expect(&to_customer::enqueued(1)).await;
}
