//! The executives' pool and the customers' queue.
