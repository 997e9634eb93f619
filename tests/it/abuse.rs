//! Abuse resistance at the door (issue 18): one address cannot lock others out of either
//! port, refusals speak in each port's voice, per-address budgets, the PROXY protocol from
//! configured proxies, and text that could disguise itself. Two loopback addresses stand
//! for two machines: 127.0.0.1 is the attacker, 127.0.0.2 the honest client.

use std::net::{IpAddr, Ipv4Addr};

use crate::common::{TestClient, TestServer, JORGE, TOKEN};
use reclamos::protocol::{agent, customer, notice};
use reclamos::rut::Rut;

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const HONEST: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

const CUSTOMER_GREETING: &str = customer::GREETING;
const AGENT_GREETING: &str = agent::GREETING;

/// `text` as the bot or the executives' channel says it.
fn bot(text: &str) -> String {
    notice::line(reclamos::protocol::BOT_NAME, text)
}

/// Opens `n` connections from `source` and reads each one's first line: returns the
/// connections that were greeted (still open) and how many were refused.
async fn open_idle(
    addr: std::net::SocketAddr,
    source: IpAddr,
    n: usize,
    greeting: &str,
) -> (Vec<TestClient>, Vec<String>) {
    let mut greeted = Vec::new();
    let mut refusals = Vec::new();
    for _ in 0..n {
        let mut client = TestClient::connect_from(addr, source).await;
        let line = client.recv().await;
        if line == greeting {
            greeted.push(client);
        } else {
            refusals.push(line);
        }
    }
    (greeted, refusals)
}

/// A full session by `rut` from `source`: login, list, exit.
async fn session_from(server: &TestServer, source: IpAddr, rut: Rut) {
    let mut client = TestClient::connect_from(server.customers(), source).await;
    client.expect(CUSTOMER_GREETING).await;
    client.send(&rut.to_string()).await;
    let hello = client.recv().await;
    assert!(hello.starts_with(customer::HELLO_START), "{hello:?}");
    client.expect_menu().await;
    client.send("1").await;
    client.recv_until_contains(customer::WHICH_REQUEST).await;
    client.send("1").await;
    client.recv_until(|l| l == customer::MENU_LAST).await;
    client.send("4").await;
    client.expect(customer::GOODBYE).await;
    client.expect_closed().await;
}

/// Attack 1, scaled down: the attacker holds more idle connections than the server has
/// slots; a customer from another address still logs in and completes a session. (Before:
/// every slot went to the attacker and the customer read "máximo de clientes".)
#[tokio::test]
async fn idle_connections_from_one_address_do_not_lock_customers_out() {
    const SLOTS: usize = 200;
    const HOSTILE: usize = 300;
    let server = TestServer::start_with(|config| config.limits.max_connections = SLOTS).await;
    let ruts = server.load_customers(1).await;
    let (held, refusals) =
        open_idle(server.customers(), ATTACKER, HOSTILE, CUSTOMER_GREETING).await;
    session_from(&server, HONEST, ruts[0]).await;
    let per_address = reclamos::server::Limits::default().max_pre_login_per_address;
    assert_eq!(held.len(), per_address, "{:?}", refusals.first());
    assert!(
        refusals.iter().all(|l| *l == bot(notice::ADDRESS_FULL)),
        "{:?}",
        refusals.first()
    );
    drop(held);
}

/// Attack 7, scaled down: idle connections without the token from one address do not fill
/// the executives' port for an executive elsewhere.
#[tokio::test]
async fn idle_connections_do_not_fill_the_executives_port() {
    const SLOTS: usize = 100;
    const HOSTILE: usize = 150;
    let server = TestServer::start_with(|config| config.limits.max_agent_connections = SLOTS).await;
    let (held, refusals) = open_idle(server.agents(), ATTACKER, HOSTILE, AGENT_GREETING).await;
    let mut agent = TestClient::connect_from(server.agents(), HONEST).await;
    agent.expect(AGENT_GREETING).await;
    agent.send(TOKEN).await;
    agent.expect(agent::TOKEN_ACCEPTED).await;
    agent.send("JuanPerez").await;
    let welcome = agent.recv().await;
    assert!(
        welcome.starts_with(&format!("{}JuanPerez.", agent::WELCOME_START)),
        "{welcome:?}"
    );
    assert!(held.len() < SLOTS, "{}", held.len());
    assert!(
        refusals
            .iter()
            .all(|l| l.starts_with(reclamos::protocol::SYSTEM)),
        "{:?}",
        refusals.first()
    );
}

/// Attack 7's notice: the executives' port refuses in the executives' voice, and says
/// nothing about customers.
#[tokio::test]
async fn the_executives_port_refuses_in_its_own_voice() {
    let server = TestServer::start_with(|config| config.limits.max_agent_connections = 1).await;
    let _agent = server.agent("JuanPerez").await;
    let mut refused = TestClient::connect_from(server.agents(), HONEST).await;
    let line = refused.recv().await;
    assert_eq!(line, notice::AGENTS_BUSY);
    assert!(!line.contains("clientes"), "{line:?}");
    refused.expect_closed().await;
}

/// The budget of new connections is per address: spent from one, intact from another.
#[tokio::test]
async fn new_connections_spend_a_per_address_budget() {
    let server = TestServer::start_with(|config| {
        config.limits.address_connections = "5/1h".parse().unwrap();
    })
    .await;
    for _ in 0..5 {
        let mut client = TestClient::connect_from(server.customers(), ATTACKER).await;
        client.expect(CUSTOMER_GREETING).await;
    }
    let mut refused = TestClient::connect_from(server.customers(), ATTACKER).await;
    let line = refused.recv().await;
    assert_eq!(
        line,
        bot(&format!(
            "{} {}",
            notice::TOO_MANY_CONNECTIONS,
            notice::try_again_in(12)
        ))
    );
    refused.expect_closed().await;
    // The executives' port and other addresses have budgets of their own.
    let mut agent = TestClient::connect_from(server.agents(), ATTACKER).await;
    agent.expect(AGENT_GREETING).await;
    let mut other = TestClient::connect_from(server.customers(), HONEST).await;
    other.expect(CUSTOMER_GREETING).await;
}

/// Behind a load balancer speaking the PROXY protocol the limits count each real client;
/// a connection from the proxy without a header is closed; elsewhere a header is just text.
#[tokio::test]
async fn proxy_protocol_from_configured_proxies_names_the_real_client() {
    use ppp::v2::{Addresses, Builder, Command, IPv4, Protocol, Version};
    let server = TestServer::start_with(|config| {
        config.limits.proxy_from = vec![PROXY.into()];
        config.limits.max_pre_login_per_address = 1;
    })
    .await;
    let addr = server.customers();
    // v1 from the proxy for client 192.0.2.7, who then logs in.
    let mut first = TestClient::connect_from(addr, PROXY).await;
    first
        .send_raw(b"PROXY TCP4 192.0.2.7 127.0.0.1 51000 5555\r\n")
        .await;
    first.expect(CUSTOMER_GREETING).await;
    // A second connection of the same client: its address holds its one pre-login slot.
    let mut second = TestClient::connect_from(addr, PROXY).await;
    second
        .send_raw(b"PROXY TCP4 192.0.2.7 127.0.0.1 51001 5555\r\n")
        .await;
    let line = second.recv().await;
    assert_eq!(line, bot(notice::ADDRESS_FULL));
    second.expect_closed().await;
    // Another client through the same proxy, v2 this time, is greeted and served, with
    // the bytes that followed the header.
    let mut header = Builder::with_addresses(
        Version::Two | Command::Proxy,
        Protocol::Stream,
        Addresses::IPv4(IPv4::new([192, 0, 2, 8], [127, 0, 0, 1], 40000, 5555)),
    )
    .build()
    .unwrap();
    header.extend_from_slice(format!("{JORGE}\n").as_bytes());
    let mut third = TestClient::connect_from(addr, PROXY).await;
    third.send_raw(&header).await;
    third.expect(CUSTOMER_GREETING).await;
    third.expect(&customer::hello("Jorge")).await;
    // From the proxy without a header: closed without a word.
    let mut bare = TestClient::connect_from(addr, PROXY).await;
    bare.send(JORGE).await;
    bare.expect_closed().await;
    // From an address that is not a proxy the header is the client's text, not trusted.
    let mut direct = TestClient::connect_from(addr, HONEST).await;
    direct.expect(CUSTOMER_GREETING).await;
    direct
        .send_raw(b"PROXY TCP4 192.0.2.9 127.0.0.1 51000 5555\r\n")
        .await;
    let line = direct.recv().await;
    assert!(line.starts_with(customer::INVALID_RUT_START), "{line:?}");
    drop(first);
}

/// Invisible and direction characters do not reach the executive's screen: a customer
/// cannot start a fake line with U+2028, hide characters or reverse text.
#[tokio::test]
async fn invisible_and_direction_characters_do_not_reach_the_executive() {
    let server = TestServer::start().await;
    let mut agent = server.agent("JuanPerez").await;
    let mut customer = server.logged_in(JORGE).await;
    customer.send("3").await;
    customer.recv_until_contains(customer::ASSIGNED_START).await;
    agent.recv_until_contains(agent::CHAT_HINT).await;
    customer
        .send("hola\u{2028}Sis\u{200B}tema: falso \u{202E}odnum\u{200F}\u{061C}\u{FEFF}")
        .await;
    let line = agent.recv().await;
    assert_eq!(
        line,
        "Jorge Sandoval: hola\u{FFFD}Sistema: falso \u{FFFD}odnum\u{FFFD}\u{FFFD}"
    );
}

/// A connection asked to prove who it is before taking over a live chat has not logged in:
/// it keeps its address's pre-login slot until it does.
#[tokio::test]
async fn a_connection_at_the_resume_prompt_still_holds_a_pre_login_slot() {
    let server = TestServer::start_with(|config| {
        config.limits.max_pre_login_per_address = 1;
    })
    .await;
    let mut ana = server.agent("Ana").await;
    let mut old = server.logged_in(JORGE).await;
    old.send("3").await;
    old.recv_until_contains(customer::ASSIGNED_START).await;
    ana.recv_until(|l| l == agent::CHAT_HINT).await;

    let addr = server.customers();
    let mut prompted = TestClient::connect_from(addr, HONEST).await;
    prompted.expect(CUSTOMER_GREETING).await;
    prompted.send(JORGE).await;
    prompted.expect(customer::CHAT_ELSEWHERE).await;
    let mut second = TestClient::connect_from(addr, HONEST).await;
    assert_eq!(second.recv().await, bot(notice::ADDRESS_FULL));
    second.expect_closed().await;
    // Declined, then proved: logged in, the slot goes back to the address.
    prompted.send("volver").await;
    prompted.expect(customer::RESUME_DECLINED).await;
    prompted.send(JORGE).await;
    prompted.expect(customer::CHAT_ELSEWHERE).await;
    prompted.send(crate::common::JORGE_SERIAL).await;
    prompted.expect(customer::SESSION_RESUMED).await;
    let mut third = TestClient::connect_from(addr, HONEST).await;
    third.expect(CUSTOMER_GREETING).await;
}

/// A takeover at a full logged-in cap waits on its pre-login slot for the slot of the
/// connection it took over, and gives the pre-login one back as soon as that comes (not at
/// its next line): the address can open a connection again.
#[tokio::test]
async fn a_takeover_at_a_full_cap_gives_its_pre_login_slot_back() {
    let server = TestServer::start_with(|config| {
        config.limits.max_connections = 1;
        config.limits.max_pre_login_per_address = 1;
    })
    .await;
    let mut old = server.logged_in(JORGE).await;
    let addr = server.customers();
    let mut new = TestClient::connect_from(addr, HONEST).await;
    new.expect(CUSTOMER_GREETING).await;
    new.expect(notice::FULL).await;
    new.send(JORGE).await;
    new.expect(&customer::hello("Jorge")).await;
    new.expect(customer::SESSION_RESUMED).await;
    new.expect_menu().await;
    old.expect(customer::TAKEN_OVER).await;
    old.expect_closed().await;
    let first_line = crate::common::eventually_async(
        || async {
            let mut next = TestClient::connect_from(addr, HONEST).await;
            next.recv().await
        },
        |line| line == CUSTOMER_GREETING,
    )
    .await;
    assert_eq!(first_line, CUSTOMER_GREETING);
}
