//! The registry's read cache: what the server reads on most customer messages (the customer
//! and their requests) kept in memory, so that those reads take neither the connection's
//! lock nor SQLite's file locks.
//!
//! Coherence, within this process: every change goes through a [`Registry`] write method,
//! which forgets the customer it touches while it holds the connection lock, and a miss is
//! loaded from SQLite and inserted under that same lock. So a read never returns anything
//! older than the last change that completed before the read started.
//!
//! Changes by another process writing the same file (which the product never does: the
//! server is the only writer, `reclamos requests` only reads) are still noticed: the
//! registry's background thread compares SQLite's `PRAGMA data_version` every
//! [`FLUSH_EVERY`](super::FLUSH_EVERY) and clears the cache when it moved.
//!
//! [`Registry`]: super::Registry

use std::sync::Arc;

use super::{Customer, Request, RequestId};
use crate::rut::Rut;

/// How many customers (with their requests) stay cached: more than the connections a server
/// takes by default, so every logged-in customer fits. A customer with a few requests takes
/// about 1 KiB.
pub const CACHED_CUSTOMERS: usize = 20_000;

/// How many request numbers remember their customer (16 bytes each).
const CACHED_OWNERS: usize = 200_000;

/// A RUT as the registry knows it: the customer (`None` when the RUT is not a customer) and
/// their requests, oldest first, with their histories.
#[derive(Debug)]
pub(super) struct Account {
    pub customer: Option<Customer>,
    pub requests: Vec<Request>,
}

/// Bounded maps from RUT to [`Account`] and from request number to RUT. Both evict the
/// least useful entries when full (quick_cache's S3-FIFO), so memory stays bounded however
/// many customers come.
pub(super) struct Cache {
    accounts: quick_cache::sync::Cache<Rut, Arc<Account>>,
    /// Whose each request is. A request never changes customer, so these entries are never
    /// stale; they are only dropped with everything else by [`Cache::clear`].
    owners: quick_cache::sync::Cache<RequestId, Rut>,
}

impl Cache {
    pub fn new() -> Cache {
        Cache {
            accounts: quick_cache::sync::Cache::new(CACHED_CUSTOMERS),
            owners: quick_cache::sync::Cache::new(CACHED_OWNERS),
        }
    }

    pub fn account(&self, rut: Rut) -> Option<Arc<Account>> {
        self.accounts.get(&rut)
    }

    pub fn owner(&self, id: RequestId) -> Option<Rut> {
        self.owners.get(&id)
    }

    /// Keeps `account`, just read from SQLite. The caller holds the connection lock.
    pub fn insert(&self, rut: Rut, account: Arc<Account>) {
        for request in &account.requests {
            self.owners.insert(request.id, rut);
        }
        self.accounts.insert(rut, account);
    }

    /// Drops what is known of `rut`. The caller holds the connection lock.
    pub fn forget(&self, rut: Rut) {
        self.accounts.remove(&rut);
    }

    /// Drops everything (another process changed the database).
    pub fn clear(&self) {
        self.accounts.clear();
        self.owners.clear();
    }

    /// How many customers are cached.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.accounts.len()
    }
}
