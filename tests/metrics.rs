//! The server's own statistics (`--stats-every`), counted over real connections.

mod common;

use common::TestServer;

#[tokio::test]
async fn connections_and_answered_lines_are_counted_per_period() {
    let server = TestServer::start().await;
    let metrics = &server.server.metrics;
    metrics.take();

    // Three answered lines (the RUT, option 1, back to the menu) on one connection, and
    // one idle connection.
    let mut jorge = server.logged_in("12.345.678-5").await;
    jorge.send("1").await;
    jorge.recv_until_contains("volver").await;
    jorge.send("volver").await;
    jorge.recv_until_contains("(4) Salir").await;
    let _idle = server.customer().await;

    let period = metrics.take();
    assert_eq!(period.accepted, 2, "{period:?}");
    assert_eq!(period.open, 2, "{period:?}");
    let answers = period.answer_ms.expect("answers recorded");
    assert_eq!(answers.count, 3, "{period:?}");
    assert!(answers.max > 0.0 && answers.max < 10_000.0, "{period:?}");

    // Saying goodbye is answered too; the closed connection is no longer open.
    jorge.send("4").await;
    jorge.recv_until_contains("Gracias").await;
    jorge.expect_closed().await;
    let mut period = metrics.take();
    for _ in 0..100 {
        if period.open == 1 {
            break;
        }
        // The server notices the close a moment after the client sees it.
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        period = metrics.take();
    }
    assert_eq!(period.open, 1, "{period:?}");
    assert_eq!(period.accepted, 0, "{period:?}");
}
