//! [`PoolRef`]: how a pooled buffer reaches its pool: a borrow, or one
//! strong count of the pool's `Arc`, behind one pointer either way, so the
//! guard's drop reads the pool with one load instead of two.
// The pointer is `Arc::as_ptr` of a live `Arc` (borrowed) or
// `Arc::into_raw` (owned); dereferencing it and giving the count back need
// `unsafe`. Each block says why it is sound.
#![allow(unsafe_code)]

use std::marker::PhantomData;
use std::sync::Arc;

/// A pointer to a pool's shared state that either borrows an `Arc` for
/// `'a` or owns one strong count of it.
pub(super) struct PoolRef<'a, T> {
    /// `Arc::as_ptr` of the `Arc`: its provenance covers the counts.
    ptr: *const T,
    owned: bool,
    /// Borrows the `Arc` for `'a`, and is `Send`/`Sync` as `&T` and
    /// `Arc<T>` are (both need `T: Send + Sync`).
    _borrow: PhantomData<&'a Arc<T>>,
}

impl<'a, T> PoolRef<'a, T> {
    /// Borrows `arc` (no count taken).
    #[inline]
    pub(super) fn borrowed(arc: &'a Arc<T>) -> Self {
        Self {
            ptr: Arc::as_ptr(arc),
            owned: false,
            _borrow: PhantomData,
        }
    }

    /// The shared state.
    #[inline]
    pub(super) fn get(&self) -> &T {
        // SAFETY: `ptr` is `Arc::as_ptr` of an `Arc` that lives for `'a`
        // (borrowed) or of the count this value owns (owned), so the `T` is
        // alive and only shared references to it exist.
        unsafe { &*self.ptr }
    }

    /// A reference that owns a count of its own, for any lifetime.
    pub(super) fn to_owned(&self) -> PoolRef<'static, T> {
        // SAFETY: `ptr` is `Arc::as_ptr` of a live `Arc<T>` (see `get`); the
        // count taken here is owned by the returned value and given back by
        // its drop.
        unsafe { Arc::increment_strong_count(self.ptr) };
        PoolRef {
            ptr: self.ptr,
            owned: true,
            _borrow: PhantomData,
        }
    }
}

impl<T> PoolRef<'_, T> {
    /// Gives back the owned count, if any (once: a second call does
    /// nothing). Not a `Drop`: the buffer's own drop calls it last, and a
    /// `PoolRef` without drop glue keeps that drop's fast path short; a
    /// reference dropped without it leaks its count, never frees early.
    #[inline]
    pub(super) fn release(&mut self) {
        if self.owned {
            self.release_owned();
        }
    }

    /// [`release`](Self::release) of an owned count, out of line: the
    /// borrowed case, the common one, keeps no registers for it.
    #[cold]
    #[inline(never)]
    fn release_owned(&mut self) {
        if self.owned {
            self.owned = false;
            // SAFETY: an owned reference holds one strong count of the `Arc`
            // behind `ptr` (taken in `to_owned`); `owned` is now false, so it
            // is given back once.
            drop(unsafe { Arc::from_raw(self.ptr) });
        }
    }
}

// SAFETY: a `PoolRef` is a `&'a Arc<T>` or an `Arc<T>` in another form;
// both are `Send` and `Sync` exactly when `T: Send + Sync`.
unsafe impl<T: Send + Sync> Send for PoolRef<'_, T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send + Sync> Sync for PoolRef<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A borrowed reference takes no count; an owned one takes one, gives it back
    /// once however often it is released, and keeps the value alive past the
    /// last `Arc`.
    #[test]
    fn owned_references_hold_one_count_and_give_it_back_once() {
        let arc = Arc::new(String::from("pool"));
        let borrowed = PoolRef::borrowed(&arc);
        assert_eq!(Arc::strong_count(&arc), 1);
        let mut owned = borrowed.to_owned();
        assert_eq!(Arc::strong_count(&arc), 2);
        assert_eq!(owned.get(), "pool");
        let weak = Arc::downgrade(&arc);
        drop(arc);
        // The owned count alone keeps the value.
        assert_eq!(owned.get(), "pool");
        assert_eq!(weak.strong_count(), 1);
        owned.release();
        owned.release();
        assert_eq!(weak.strong_count(), 0);
    }
}
