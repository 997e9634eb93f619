//! Who gets in: the connection caps of each port, split into a pre-login cap and a
//! logged-in cap, the per-address limits checked at accept time, and the refusal notices.
//!
//! A connection that has not logged in yet holds a [`PreLoginPermit`]: a slot of its port's
//! pre-login cap and one of the few pre-login slots its address may hold at once. Hostile
//! idle connections therefore fill, at most, the pre-login slots of their own address and
//! then the (smaller) pre-login cap, never the slots of logged-in customers. At login the
//! driver swaps it for a [`LoggedInPermit`] with [`PreLoginPermit::promote`], which gives
//! the pre-login slots back.
//!
//! A full logged-in cap refuses executives at once. Customers still get in (within the
//! pre-login caps) and are told it is full: one whose session hangs on another connection
//! can take it over. That adds no logged-in connection: the new one waits in line
//! ([`PreLoginPermit::next_logged_in_permit`]) for the slot the old one frees when it
//! closes, on its pre-login slot meanwhile.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use super::budget::{address_key, Budgets, Port, Refusal};
use super::limits::Limits;
use crate::protocol::{self, notice};

/// What the log says of each kind of refusal, in the order of [`Denied::kind`] (a
/// budget's own refusal names its budget; held-back ones are counted under this).
pub(super) const CAUSES: [&str; 3] = [
    "the port is full",
    "too many connections from this address are not logged in",
    "a per-address budget ran out",
];

/// Why a connection was not admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The port's pre-login cap is full, or (executives' port) its logged-in cap.
    #[error("{}", CAUSES[0])]
    Busy,
    /// The address already holds its share of pre-login slots.
    #[error("{}", CAUSES[1])]
    AddressFull,
    /// The address spent its budget of new connections.
    #[error(transparent)]
    Budget(#[from] Refusal),
}

impl Denied {
    /// Which kind of refusal this is: its index in [`CAUSES`].
    pub(super) fn kind(&self) -> usize {
        match self {
            Denied::Busy => 0,
            Denied::AddressFull => 1,
            Denied::Budget(_) => 2,
        }
    }

    /// The line to send before closing, in the voice of the port (`Asistente` for
    /// customers, `Sistema` for executives).
    pub fn notice(&self, port: Port) -> String {
        let speaker = match port {
            Port::Customers => protocol::BOT_NAME,
            Port::Executives => protocol::SYSTEM_NAME,
        };
        match (self, port) {
            (Denied::Busy, Port::Customers) => notice::BUSY.to_string(),
            (Denied::Busy, Port::Executives) => notice::AGENTS_BUSY.to_string(),
            (Denied::AddressFull, _) => notice::line(speaker, notice::ADDRESS_FULL),
            (Denied::Budget(refusal), _) => notice::line(speaker, &refusal.notice()),
        }
    }
}

/// The door of one port: its caps, its per-address pre-login counts and the shared
/// per-address budgets.
pub struct Gate {
    port: Port,
    logged_in: Arc<Semaphore>,
    pre_login: Arc<Semaphore>,
    per_address: Arc<AddressSlots>,
    budgets: Arc<Budgets>,
}

impl Gate {
    /// The gate of `port` with the caps of `limits`, spending from `budgets`.
    pub fn new(port: Port, limits: &Limits, budgets: Arc<Budgets>) -> Gate {
        let (logged_in, pre_login) = match port {
            Port::Customers => (limits.max_connections, limits.max_pre_login_connections),
            Port::Executives => (
                limits.max_agent_connections,
                limits.max_agent_pre_login_connections,
            ),
        };
        Gate {
            port,
            logged_in: Arc::new(Semaphore::new(logged_in)),
            pre_login: Arc::new(Semaphore::new(pre_login)),
            per_address: Arc::new(AddressSlots {
                max: limits.max_pre_login_per_address,
                held: Mutex::new(HashMap::new()),
            }),
            budgets,
        }
    }

    /// The port this gate guards.
    pub fn port(&self) -> Port {
        self.port
    }

    /// Admits a new connection from `ip` (the real client's, after a PROXY header), or
    /// says why not. Checks, in order: a full logged-in cap on the executives' port (no
    /// point logging in; a customer may still take over their own session, see
    /// [`PreLoginPermit::logged_in_full`]), the address's pre-login slots, its connection
    /// budget, the pre-login cap. A refused connection spends no slot; only one that passed
    /// the slot check spends budget.
    pub fn admit(&self, ip: IpAddr) -> Result<PreLoginPermit, Denied> {
        if self.port == Port::Executives && self.logged_in.available_permits() == 0 {
            return Err(Denied::Busy);
        }
        let slot = self.per_address.take(ip).ok_or(Denied::AddressFull)?;
        self.budgets.check_connection(ip, self.port)?;
        let permit = Arc::clone(&self.pre_login)
            .try_acquire_owned()
            .map_err(|_| Denied::Busy)?;
        Ok(PreLoginPermit {
            _permit: permit,
            _slot: slot,
            logged_in: Arc::clone(&self.logged_in),
        })
    }

    /// Connections of this port holding a pre-login slot.
    pub fn pre_login_count(&self) -> usize {
        self.per_address.total()
    }
}

/// A connection's place before login. Dropping it gives the slots back.
#[must_use = "the permit is the connection's slot: hold it until login or close"]
pub struct PreLoginPermit {
    _permit: OwnedSemaphorePermit,
    _slot: AddressSlot,
    logged_in: Arc<Semaphore>,
}

impl std::fmt::Debug for PreLoginPermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreLoginPermit").finish_non_exhaustive()
    }
}

/// A logged-in connection's slot. Dropping it gives the slot back.
#[derive(Debug)]
#[must_use = "the permit is the connection's slot: hold it until the connection ends"]
pub struct LoggedInPermit {
    _permit: OwnedSemaphorePermit,
}

impl PreLoginPermit {
    /// Swaps the pre-login slots for a logged-in slot (the driver calls it when the login
    /// succeeds). When the logged-in cap filled up meanwhile, gives the pre-login permit
    /// back so the driver can send the busy notice and close.
    pub fn promote(self) -> Result<LoggedInPermit, PreLoginPermit> {
        match self.logged_in_permit() {
            Some(permit) => Ok(permit),
            None => Err(self),
        }
    }

    /// Whether every logged-in slot of the port is taken now (a login then gets in only by
    /// taking over a session of its own).
    pub fn logged_in_full(&self) -> bool {
        self.logged_in.available_permits() == 0
    }

    /// A place in line for the next logged-in slot that frees up, ahead of any later
    /// [`logged_in_permit`](Self::logged_in_permit) (the semaphore is fair; the first poll
    /// takes the place). `None` only if the semaphore were closed, which it never is.
    pub fn next_logged_in_permit(
        &self,
    ) -> impl std::future::Future<Output = Option<LoggedInPermit>> + Send + 'static {
        let logged_in = Arc::clone(&self.logged_in);
        async move {
            let permit = logged_in.acquire_owned().await.ok()?;
            Some(LoggedInPermit { _permit: permit })
        }
    }

    /// A logged-in slot taken while this permit is still held (for a login that may yet be
    /// refused and go on as a pre-login connection); `None` when the cap is full.
    pub fn logged_in_permit(&self) -> Option<LoggedInPermit> {
        let permit = Arc::clone(&self.logged_in).try_acquire_owned().ok()?;
        Some(LoggedInPermit { _permit: permit })
    }
}

/// How many pre-login slots each address holds; an address is only in the map while it
/// holds one, so the map never outgrows the pre-login connections.
struct AddressSlots {
    max: usize,
    /// A std mutex: locked only to bump a count, never across an `.await`.
    held: Mutex<HashMap<IpAddr, usize>>,
}

impl AddressSlots {
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let key = address_key(ip);
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let count = held.entry(key).or_insert(0);
        if *count >= self.max {
            if *count == 0 {
                held.remove(&key);
            }
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            slots: Arc::clone(self),
            key,
        })
    }

    fn total(&self) -> usize {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum()
    }
}

/// One pre-login slot of one address; released on drop.
struct AddressSlot {
    slots: Arc<AddressSlots>,
    key: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// Answers a refused connection with `notice` and closes it, over TLS when TLS is on so
/// the client can read it; every step is bounded by the write timeout.
pub(crate) async fn refuse(
    stream: TcpStream,
    notice: &str,
    tls: Option<TlsAcceptor>,
    limits: &Limits,
) {
    let timeout = limits.write_timeout;
    match tls {
        None => say_and_close(stream, notice, limits).await,
        Some(acceptor) => {
            if let Ok(Ok(stream)) = tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                say_and_close(stream, notice, limits).await;
            }
        }
    }
}

async fn say_and_close<S: AsyncWrite + Unpin>(mut stream: S, notice: &str, limits: &Limits) {
    let line = format!("{notice}\n");
    let _ = tokio::time::timeout(limits.write_timeout, async {
        stream.write_all(line.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(limits: &Limits, port: Port) -> Gate {
        Gate::new(port, limits, Arc::new(Budgets::new(limits)))
    }

    const ONE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const TWO: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn an_address_holds_at_most_its_share_of_pre_login_slots() {
        let limits = Limits {
            max_pre_login_per_address: 3,
            ..Limits::default()
        };
        let gate = gate(&limits, Port::Customers);
        let held: Vec<_> = (0..3).map(|_| gate.admit(ONE).unwrap()).collect();
        assert_eq!(gate.admit(ONE).unwrap_err(), Denied::AddressFull);
        // Another address is not starved.
        let other = gate.admit(TWO).unwrap();
        assert_eq!(gate.pre_login_count(), 4);
        drop(held);
        drop(other);
        assert_eq!(gate.pre_login_count(), 0);
        assert!(gate.admit(ONE).is_ok());
    }

    #[test]
    fn pre_login_connections_do_not_take_logged_in_slots() {
        let limits = Limits {
            max_connections: 2,
            max_pre_login_connections: 3,
            max_pre_login_per_address: 10,
            ..Limits::default()
        };
        let gate = gate(&limits, Port::Customers);
        // Three hostile idle connections fill the pre-login cap...
        let hostile: Vec<_> = (0..3).map(|_| gate.admit(ONE).unwrap()).collect();
        assert_eq!(gate.admit(TWO).unwrap_err(), Denied::Busy);
        // ...but a customer admitted before them still logs in, and the logged-in slots
        // are all free for customers.
        drop(hostile);
        let first = gate.admit(TWO).unwrap().promote().unwrap();
        let second = gate.admit(TWO).unwrap().promote().unwrap();
        // Promotion gave the pre-login slots back.
        assert_eq!(gate.pre_login_count(), 0);
        // Logged-in cap full: a customer still gets in (it may take over its own session)
        // and is told; a promotion gets its pre-login permit back.
        let full = gate.admit(TWO).unwrap();
        assert!(full.logged_in_full());
        let full = full.promote().unwrap_err();
        drop(full);
        drop(first);
        let late = gate.admit(TWO).unwrap();
        let racer = gate.admit(ONE).unwrap().promote().unwrap();
        let late = late.promote().unwrap_err();
        drop((late, racer, second));
    }

    #[test]
    fn a_place_in_line_gets_the_next_free_slot_before_any_later_login() {
        use futures::FutureExt;
        let limits = Limits {
            max_connections: 1,
            ..Limits::default()
        };
        let gate = gate(&limits, Port::Customers);
        let held = gate.admit(ONE).unwrap().promote().unwrap();
        let taking_over = gate.admit(TWO).unwrap();
        let mut line = Box::pin(taking_over.next_logged_in_permit());
        assert!(line.as_mut().now_or_never().is_none());
        drop(held);
        // The freed slot is the one in line's, not a login's that comes after.
        let late = gate.admit(ONE).unwrap();
        assert!(late.logged_in_permit().is_none());
        assert!(line.now_or_never().flatten().is_some());
    }

    #[test]
    fn a_full_logged_in_cap_refuses_executives_at_the_door() {
        let limits = Limits {
            max_agent_connections: 1,
            ..Limits::default()
        };
        let gate = gate(&limits, Port::Executives);
        let first = gate.admit(ONE).unwrap();
        assert!(!first.logged_in_full());
        let first = first.promote().unwrap();
        assert_eq!(gate.admit(ONE).unwrap_err(), Denied::Busy);
        drop(first);
        assert!(gate.admit(ONE).is_ok());
    }

    #[test]
    fn the_connection_budget_is_spent_per_address_and_port() {
        let limits = Limits {
            address_connections: "2/1h".parse().unwrap(),
            ..Limits::default()
        };
        let budgets = Arc::new(Budgets::new(&limits));
        let customers = Gate::new(Port::Customers, &limits, Arc::clone(&budgets));
        let executives = Gate::new(Port::Executives, &limits, budgets);
        drop(customers.admit(ONE).unwrap());
        drop(customers.admit(ONE).unwrap());
        let denied = customers.admit(ONE).unwrap_err();
        assert!(matches!(denied, Denied::Budget(_)), "{denied:?}");
        assert_eq!(
            denied.notice(Port::Customers),
            format!(
                "Asistente: {} Por favor intente nuevamente en 30 minutos.",
                notice::TOO_MANY_CONNECTIONS
            )
        );
        assert!(customers.admit(TWO).is_ok());
        let executive = executives.admit(ONE).unwrap();
        drop(executive);
    }

    #[test]
    fn notices_speak_with_the_port_voice() {
        for denied in [Denied::Busy, Denied::AddressFull] {
            assert!(denied.notice(Port::Customers).starts_with("Asistente: "));
            let executive = denied.notice(Port::Executives);
            assert!(executive.starts_with("Sistema: "), "{executive}");
            assert!(!executive.contains("clientes"), "{executive}");
        }
    }
}
