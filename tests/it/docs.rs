//! The documentation's example transcripts against a real server (issue 16): every fenced
//! block of `README.md` and `docs/protocol.md` that shows a conversation is replayed over
//! TCP on a new server with its own new database, and the server's lines must equal the
//! documented ones.
//!
//! A transcript line is a party, `[label]` padded with spaces to 12 characters (optional;
//! the padding keeps indented server lines indented), followed by what the client sends
//! (`> text` or `C: text`) or what the server says (`S: text`, or any other text). Each
//! label is one connection: `[executive]` on the executives' port, any other (`[customer]`,
//! `[old]`, ...) on the customers'. Lines without a party belong to `customer`, or to
//! `executive` when the block's first server line is the executives' channel's. A party
//! whose first line is its port's greeting connects from scratch; any other starts logged in
//! (a customer as Jorge Sandoval at the menu, the executive as JuanPerez), in the order the
//! parties first appear. Each party's
//! lines are checked in their own order (the two connections are independent streams);
//! lines the server sends after a party's last documented line are not read.
//!
//! Normalisation, only for what cannot be the same on every run: `<token>` stands for the
//! test server's token, and the console's start line (printed by `reclamos server`, not by
//! the test server) is compared with its catalogue sentence with the addresses and start-up
//! time the documentation shows. Request numbers and dates need none: each transcript gets
//! a new demo database, whose first new request is always 124579 and whose demo requests
//! have fixed dates.
//!
//! A block of `[SERVER]` lines is the console of the transcript just above it, once its
//! parties have disconnected (the customer first).

use crate::common::{eventually, TestClient, TestServer, JORGE, TOKEN};
use reclamos::console::PREFIX;
use reclamos::protocol::{agent as to_agent, console as to_console, customer as to_customer};

/// Which port a connection is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Port {
    Customers,
    Executives,
}

/// Who says or types a line: one connection, named by its label in the transcript
/// (`executive` is on the executives' port, any other label on the customers').
#[derive(Debug, Clone, PartialEq, Eq)]
struct Party(String);

impl Party {
    fn of(port: Port) -> Party {
        Party(match port {
            Port::Customers => "customer".into(),
            Port::Executives => "executive".into(),
        })
    }

    fn port(&self) -> Port {
        if self.0 == "executive" {
            Port::Executives
        } else {
            Port::Customers
        }
    }
}

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// The party sends this line.
    Send(Party, String),
    /// The server says this line to the party.
    Expect(Party, String),
}

/// A fenced block of a document, with the line its fence opens on (so `text[i]` is on line
/// `line + i + 1`).
#[derive(Debug)]
struct Block {
    line: usize,
    text: Vec<String>,
}

/// The fenced blocks without a language (the transcripts and the console), in order.
fn plain_blocks(document: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    // The open block, and whether it has no language (`sh` blocks are commands).
    let mut open: Option<(Block, bool)> = None;
    for (n, line) in document.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                let block = Block {
                    line: n + 1,
                    text: Vec::new(),
                };
                open = Some((block, info.trim().is_empty()));
            }
            (Some(_), Some(_)) => {
                if let Some((block, true)) = open.take() {
                    blocks.push(block);
                }
            }
            (Some((block, _)), None) => block.text.push(line.to_string()),
            (None, None) => {}
        }
    }
    blocks
}

/// Whether a block shows a conversation.
fn is_transcript(block: &Block) -> bool {
    block.text.iter().any(|line| speaker_of(line).is_some())
}

/// Whether a block shows the server's console.
fn is_console(block: &Block) -> bool {
    !block.text.is_empty() && block.text.iter().all(|line| line.starts_with(PREFIX))
}

/// Width of a party prefix: `[label]` padded with spaces, so that indented server lines
/// keep their indentation.
const PARTY_WIDTH: usize = 12;

/// A line's party prefix (if any) and the rest.
fn body_of(line: &str) -> (Option<Party>, &str) {
    let Some((label, rest)) = line
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .filter(|(label, rest)| !label.is_empty() && rest.starts_with(' '))
    else {
        return (None, line);
    };
    let padding = PARTY_WIDTH.saturating_sub(label.len() + 2).max(1);
    let body = rest.get(padding..).unwrap_or("");
    (Some(Party(label.to_string())), body)
}

/// Whose port's speaker says `line`, when the server says it as `Asistente` or `Sistema`.
fn speaker_of(line: &str) -> Option<Port> {
    let body = body_of(line).1;
    let said = body.strip_prefix("S: ").unwrap_or(body);
    if said.starts_with(reclamos::protocol::BOT) {
        Some(Port::Customers)
    } else if said.starts_with(reclamos::protocol::SYSTEM) {
        Some(Port::Executives)
    } else {
        None
    }
}

/// The steps of a transcript block.
fn steps(block: &Block) -> Vec<Step> {
    let default = block
        .text
        .iter()
        .find_map(|line| speaker_of(line))
        .unwrap_or(Port::Customers);
    block
        .text
        .iter()
        .map(|line| {
            let (party, body) = body_of(line);
            let party = party.unwrap_or_else(|| Party::of(default));
            if let Some(input) = body.strip_prefix("> ").or_else(|| body.strip_prefix("C: ")) {
                Step::Send(party, input.replace("<token>", TOKEN))
            } else {
                Step::Expect(party, body.strip_prefix("S: ").unwrap_or(body).to_string())
            }
        })
        .collect()
}

/// A replayed transcript's server and connections, in the order they were opened.
struct Replay {
    server: TestServer,
    parties: Vec<(Party, TestClient)>,
}

/// Replays `block` on a new server; panics (naming the document and line) on the first
/// line that differs.
async fn replay(document: &str, block: &Block) -> Replay {
    let server = TestServer::start().await;
    let steps = steps(block);
    let mut parties: Vec<(Party, TestClient)> = Vec::new();
    for step in &steps {
        let (Step::Send(party, _) | Step::Expect(party, _)) = step;
        if parties.iter().any(|(p, _)| p == party) {
            continue;
        }
        let greeting = match party.port() {
            Port::Customers => to_customer::GREETING,
            Port::Executives => to_agent::GREETING,
        };
        // The party's first line: its greeting, or something said or typed after logging in.
        let from_scratch = *step == Step::Expect(party.clone(), greeting.to_string());
        let client = match (party.port(), from_scratch) {
            (Port::Customers, true) => TestClient::connect(server.customers()).await,
            (Port::Executives, true) => TestClient::connect(server.agents()).await,
            (Port::Customers, false) => server.logged_in(JORGE).await,
            (Port::Executives, false) => server.agent("JuanPerez").await,
        };
        parties.push((party.clone(), client));
    }
    for (n, step) in steps.iter().enumerate() {
        let at = format!("{document}:{}", block.line + n + 1);
        match step {
            Step::Send(party, text) => client(&mut parties, party).send(text).await,
            Step::Expect(party, text) => {
                let got = client(&mut parties, party).recv().await;
                assert_eq!(&got, text, "{at}: the server said otherwise");
            }
        }
    }
    Replay { server, parties }
}

fn client<'a>(parties: &'a mut [(Party, TestClient)], party: &Party) -> &'a mut TestClient {
    &mut parties
        .iter_mut()
        .find(|(p, _)| p == party)
        .expect("every party connects first")
        .1
}

/// Checks a console block against the console of `replay`, closing its parties.
async fn check_console(document: &str, block: &Block, replay: Replay) {
    let Replay { server, parties } = replay;
    let (start, rest) = block.text.split_first().expect("a console block has lines");
    let documented_start = to_console::listening("127.0.0.1:5555", "127.0.0.1:5556", 38);
    assert_eq!(
        start,
        &format!("{PREFIX}{documented_start}"),
        "{document}:{}: the console's start line",
        block.line
    );
    let before = server.console.lines().len();
    for (opened, (_, client)) in parties.into_iter().enumerate() {
        drop(client);
        eventually(|| server.console.lines().len(), |n| *n > before + opened).await;
    }
    assert_eq!(
        server.console.lines(),
        rest,
        "{document}:{}: the console",
        block.line
    );
}

/// Replays every transcript of `document` (and checks its console blocks); returns how
/// many transcripts it replayed.
async fn check_document(document: &str) -> usize {
    let text = std::fs::read_to_string(format!("{}/{document}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|err| panic!("reading {document}: {err}"));
    let mut replayed = 0;
    let mut last: Option<Replay> = None;
    for block in plain_blocks(&text) {
        if is_console(&block) {
            let replay = last.take().unwrap_or_else(|| {
                panic!(
                    "{document}:{}: a console with no transcript above it",
                    block.line
                )
            });
            check_console(document, &block, replay).await;
        } else if is_transcript(&block) {
            last = Some(replay(document, &block).await);
            replayed += 1;
        }
    }
    replayed
}

#[tokio::test]
async fn the_readme_transcripts_are_what_the_server_says() {
    assert!(check_document("README.md").await >= 3);
}

#[test]
fn the_readme_stays_a_front_door() {
    // Long material goes to docs/ (issue 15): the README stays within 12 KB (12,000 bytes).
    let readme = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.len() <= 12_000,
        "README.md is {} bytes",
        readme.len()
    );
}

#[tokio::test]
async fn the_protocol_document_is_what_the_server_says() {
    assert!(check_document("docs/protocol.md").await >= 5);
}

#[test]
fn transcript_lines_parse_by_party_and_direction() {
    let block = Block {
        line: 1,
        text: [
            "Sistema: Canal de ejecutivos. Ingrese su token de acceso.",
            "C: <token>",
            "[customer]  > 3",
            "[customer]    123499 Cambio de Plan",
            "[old]       S: Asistente: Hola",
            "S: Sistema: Hola",
        ]
        .map(String::from)
        .to_vec(),
    };
    let party = |label: &str| Party(label.to_string());
    assert_eq!(
        steps(&block),
        [
            Step::Expect(party("executive"), to_agent::GREETING.to_string()),
            Step::Send(party("executive"), TOKEN.to_string()),
            Step::Send(party("customer"), "3".to_string()),
            Step::Expect(party("customer"), "  123499 Cambio de Plan".to_string()),
            Step::Expect(party("old"), "Asistente: Hola".to_string()),
            Step::Expect(party("executive"), "Sistema: Hola".to_string()),
        ]
    );
    assert_eq!(party("old").port(), Port::Customers);
    let plain = plain_blocks("```sh\nAsistente: x\n```\n\n```\nAsistente: y\n```\n");
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].line, 5);
}
