//! The server's own statistics (`--stats-every`), counted over real connections.

use crate::common::{eventually, TestServer};
use reclamos::hub::Occupancy;
use reclamos::protocol::customer as to_customer;

#[tokio::test]
async fn connections_and_answered_lines_are_counted_per_period() {
    let server = TestServer::start().await;
    let metrics = &server.server.metrics;
    metrics.take();

    // Three answered lines (the RUT, option 1, back to the menu) on one connection, and
    // one idle connection.
    let mut jorge = server.logged_in("12.345.678-5").await;
    jorge.send("1").await;
    jorge.recv_until_contains(to_customer::WHICH_REQUEST).await;
    jorge.send("volver").await;
    jorge.recv_until_contains(to_customer::MENU_LAST).await;
    let _idle = server.customer().await;

    let period = metrics.take();
    assert_eq!(period.accepted, 2, "{period:?}");
    assert_eq!(period.open, 2, "{period:?}");
    let answers = period.answer_ms.expect("answers recorded");
    assert_eq!(answers.count, 3, "{period:?}");
    assert!(answers.max > 0.0 && answers.max < 10_000.0, "{period:?}");

    // Saying goodbye is answered too; the closed connection is no longer open.
    jorge.send("4").await;
    jorge.recv_until_contains(to_customer::GOODBYE).await;
    jorge.expect_closed().await;
    // The server notices the close a moment after the client sees it.
    let period = eventually(|| metrics.take(), |period| period.open == 1).await;
    assert_eq!(period.open, 1, "{period:?}");
    assert_eq!(period.accepted, 0, "{period:?}");
}

#[tokio::test]
async fn the_queue_for_executives_is_counted() {
    let server = TestServer::start().await;
    let hub = &server.server.services.hub;
    assert_eq!(hub.occupancy(), Occupancy::default());

    // One executive (one chat at a time): the first customer is served, the second waits.
    let (agent, _first, mut second) = server.one_served_one_waiting("Ana").await;
    let busy = Occupancy {
        waiting: 1,
        executives: 1,
        chats: 1,
    };
    assert_eq!(hub.occupancy(), busy);

    // The executive leaves: both customers wait, nobody chats.
    drop(agent);
    second
        .recv_until_contains(&to_customer::moved_back(2))
        .await;
    // The server notices the close a moment after the customers are told.
    let occupancy = eventually(|| hub.occupancy(), |o| o.executives == 0).await;
    let waiting = Occupancy {
        waiting: 2,
        executives: 0,
        chats: 0,
    };
    assert_eq!(occupancy, waiting);
}
