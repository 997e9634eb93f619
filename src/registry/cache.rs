//! The registry's read cache: what the server reads on most customer messages (the customer
//! and their requests) kept in memory, so that those reads take neither the connection's
//! lock nor SQLite's file locks.
//!
//! Coherence, within this process, without a lock around the database: every change goes
//! through the store's writer, which after its commit (and before answering) calls
//! [`Cache::forget`] for each customer it touched. That bumps the customer's *generation*.
//! A miss notes the generation before it reads the database and inserts what it read only
//! if the generation has not moved since ([`Cache::insert_if_current`]); the check and the
//! insert, like the bump and the removal, happen under one short in-memory lock per stripe
//! of customers. So a read that raced a commit never caches the copy from before it, and a
//! read never returns anything older than the last change that completed before the read
//! started.
//!
//! Changes by another process writing the same file (which the product never does: the
//! server is the only writer, `reclamos requests` only reads) are still noticed: the
//! store's writer compares SQLite's `PRAGMA data_version` every
//! [`FLUSH_EVERY`](super::FLUSH_EVERY) and clears the cache when it moved.

use std::mem::size_of;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Customer, HistoryEntry, Request, RequestId, ACCOUNT_REQUESTS};
use crate::rut::Rut;

/// How much the cached customers (with their requests and histories) may weigh, in bytes
/// (estimated by [`Account::weight`]). A customer with a few requests weighs about 1 KiB,
/// so every customer of a full server (15,000 connections by default) fits; one with a
/// long record takes the room of many, and a record too large for the cache is simply
/// read from SQLite each time.
pub(super) const CACHED_BYTES: u64 = 32 << 20;

/// How many customers the cache expects to hold (sizes its tables).
const EXPECTED_CUSTOMERS: usize = 20_000;

/// How many request numbers remember their customer (16 bytes each).
const CACHED_OWNERS: usize = 200_000;

/// How many generation counters the customers share (by RUT number): a write to one
/// customer only keeps a concurrent miss of the customers of its stripe from being cached.
const STRIPES: usize = 64;

/// A RUT as the registry knows it: the customer (`None` when the RUT is not a customer) and
/// their requests, oldest first, with their histories: the open ones and the most recent,
/// at most [`ACCOUNT_REQUESTS`].
#[derive(Debug)]
pub(super) struct Account {
    pub customer: Option<Customer>,
    pub requests: Vec<Request>,
    /// Estimated bytes in memory, computed once.
    weight: u64,
}

impl Account {
    /// Whether `requests` may leave some of the customer's out (it reached
    /// [`ACCOUNT_REQUESTS`]): a number not among them must be looked up on its own.
    pub(super) fn may_omit(&self) -> bool {
        self.requests.len() >= ACCOUNT_REQUESTS
    }

    /// The customer's request `id`, when it is among those loaded; `Err(())` when it may
    /// be one of those left out.
    pub(super) fn find(&self, id: RequestId) -> Result<Option<Request>, ()> {
        match self.requests.iter().find(|r| r.id == id) {
            Some(request) => Ok(Some(request.clone())),
            None if self.may_omit() => Err(()),
            None => Ok(None),
        }
    }

    pub(super) fn new(customer: Option<Customer>, requests: Vec<Request>) -> Account {
        let customer_bytes = customer.as_ref().map_or(0, |c| {
            c.name.len() + c.id_serial.as_ref().map_or(0, String::len)
        });
        let request_bytes: usize = requests
            .iter()
            .map(|r| {
                size_of::<Request>()
                    + r.subject.len()
                    + r.answer.as_ref().map_or(0, String::len)
                    + r.history
                        .iter()
                        .map(|h| size_of::<HistoryEntry>() + h.author.len() + h.text.len())
                        .sum::<usize>()
            })
            .sum();
        let weight = size_of::<Account>() + customer_bytes + request_bytes;
        Account {
            customer,
            requests,
            weight: weight as u64,
        }
    }

    /// Estimated bytes in memory (what the cache's byte budget counts).
    pub(super) fn weight(&self) -> u64 {
        self.weight
    }
}

/// Weighs cached accounts by their estimated size.
#[derive(Clone)]
struct ByWeight;

impl quick_cache::Weighter<Rut, Arc<Account>> for ByWeight {
    fn weight(&self, _rut: &Rut, account: &Arc<Account>) -> u64 {
        account.weight()
    }
}

/// Bounded maps from RUT to [`Account`] (by bytes) and from request number to RUT (by
/// count). Both evict the least useful entries when full (quick_cache's S3-FIFO), so memory
/// stays bounded however many customers come, and however long their records are.
pub(super) struct Cache {
    accounts: quick_cache::sync::Cache<Rut, Arc<Account>, ByWeight>,
    /// Whose each request is. A request never changes customer, so these entries are never
    /// stale; they are only dropped with everything else by [`Cache::clear`].
    owners: quick_cache::sync::Cache<RequestId, Rut>,
    /// Customer lookups answered from memory.
    hits: AtomicU64,
    /// Customers read from SQLite to be cached.
    loads: AtomicU64,
    /// One generation counter per stripe of customers, moved by every change to one of
    /// them; also the lock under which entries are inserted and removed.
    generations: Box<[Mutex<u64>]>,
}

/// How a cache has served customer lookups since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Lookups answered from memory.
    pub hits: u64,
    /// Customers read from SQLite (lookups the cache could not answer).
    pub loads: u64,
}

impl Cache {
    pub(super) fn new() -> Cache {
        Cache::with_budget(CACHED_BYTES)
    }

    /// A cache whose accounts may weigh up to `bytes`.
    fn with_budget(bytes: u64) -> Cache {
        Cache {
            accounts: quick_cache::sync::Cache::with_weighter(EXPECTED_CUSTOMERS, bytes, ByWeight),
            owners: quick_cache::sync::Cache::new(CACHED_OWNERS),
            hits: AtomicU64::new(0),
            loads: AtomicU64::new(0),
            generations: (0..STRIPES).map(|_| Mutex::new(0)).collect(),
        }
    }

    fn stripe(&self, rut: Rut) -> MutexGuard<'_, u64> {
        let index = rut.number() as usize % STRIPES;
        // Only counters are behind these locks: a panic cannot leave one half-changed.
        self.generations[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The generation of `rut`'s stripe: note it before reading the database for
    /// [`insert_if_current`](Self::insert_if_current).
    pub(super) fn generation(&self, rut: Rut) -> u64 {
        *self.stripe(rut)
    }

    pub(super) fn account(&self, rut: Rut) -> Option<Arc<Account>> {
        let found = self.accounts.get(&rut);
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    pub(super) fn owner(&self, id: RequestId) -> Option<Rut> {
        self.owners.get(&id)
    }

    /// Keeps `account`, read from the database after [`generation`](Self::generation)
    /// returned `generation`, unless a change to its stripe committed since (the copy may
    /// then be older than it). Returns whether it was kept.
    pub(super) fn insert_if_current(
        &self,
        rut: Rut,
        generation: u64,
        account: Arc<Account>,
    ) -> bool {
        self.loads.fetch_add(1, Ordering::Relaxed);
        let current = self.stripe(rut);
        if *current != generation {
            return false;
        }
        for request in &account.requests {
            self.owners.insert(request.id, rut);
        }
        self.accounts.insert(rut, account);
        true
    }

    /// Drops what is known of `rut`, after a change to it committed.
    pub(super) fn forget(&self, rut: Rut) {
        let mut generation = self.stripe(rut);
        *generation += 1;
        self.accounts.remove(&rut);
    }

    /// Lookups answered so far, from memory and from SQLite.
    pub(super) fn counts(&self) -> CacheCounts {
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            loads: self.loads.load(Ordering::Relaxed),
        }
    }

    /// Drops everything (another process changed the database).
    pub(super) fn clear(&self) {
        let mut stripes: Vec<_> = self
            .generations
            .iter()
            .map(|g| g.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
            .collect();
        for generation in &mut stripes {
            **generation += 1;
        }
        self.accounts.clear();
        self.owners.clear();
    }

    /// How many customers are cached.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.accounts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::RequestState;
    use chrono::Utc;

    fn account(number: u32, history_entries: usize) -> (Rut, Arc<Account>) {
        let rut = Rut::from_number(number).unwrap();
        let history = (0..history_entries)
            .map(|i| HistoryEntry {
                at: Utc::now(),
                author: "Asistente".into(),
                text: format!("entrada {i} de una historia larga"),
            })
            .collect();
        let request = Request {
            id: u64::from(number),
            rut,
            subject: "Cambio de plan".into(),
            state: RequestState::Abierto,
            answer: None,
            sensitive: false,
            history,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let customer = Customer {
            rut,
            name: "Cliente de Prueba".into(),
            id_serial: None,
        };
        (rut, Arc::new(Account::new(Some(customer), vec![request])))
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_cached() {
        let cache = Cache::new();
        let (rut, old) = account(1_000_003, 1);
        let before = cache.generation(rut);
        // A change to the customer commits while the miss reads the database.
        cache.forget(rut);
        assert!(!cache.insert_if_current(rut, before, old));
        assert!(cache.account(rut).is_none());
        let (_, fresh) = account(1_000_003, 2);
        assert!(cache.insert_if_current(rut, cache.generation(rut), fresh));
        assert!(cache.account(rut).is_some());
        // Clearing moves every generation too.
        let before = cache.generation(rut);
        cache.clear();
        let (_, stale) = account(1_000_003, 1);
        assert!(!cache.insert_if_current(rut, before, stale));
    }

    #[test]
    fn weight_counts_the_text_of_every_history_entry() {
        let (_, short) = account(1_000_001, 1);
        let (_, long) = account(1_000_002, 100);
        assert!(short.weight() > 0);
        assert!(
            long.weight() >= short.weight() + 99 * 30,
            "{}",
            long.weight()
        );
    }

    #[test]
    fn the_byte_budget_bounds_the_cache_and_a_record_too_large_is_not_kept() {
        let budget = 64 << 10;
        let cache = Cache::with_budget(budget);
        for number in 1_000_000..1_002_000 {
            let (rut, account) = account(number, 3);
            cache.insert_if_current(rut, cache.generation(rut), account);
        }
        assert!(
            cache.accounts.weight() <= budget,
            "{}",
            cache.accounts.weight()
        );
        assert!(cache.len() > 0);

        let (huge_rut, huge) = account(2_000_000, 5_000);
        assert!(huge.weight() > budget);
        cache.insert_if_current(huge_rut, cache.generation(huge_rut), huge);
        assert!(cache.account(huge_rut).is_none());
    }
}
