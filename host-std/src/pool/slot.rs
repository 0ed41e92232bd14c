//! [`AtomicBox`]: a slot that holds at most one boxed value and that any
//! thread can fill or empty with one atomic operation. The per-thread fast
//! path of [`BufferPool`](super::BufferPool) parks buffers in these, so that
//! `trim()` on another thread can still take them out.
// A box is passed between threads through an `AtomicPtr`; that needs
// `Box::into_raw`/`from_raw`. Each block says why it is sound.
#![allow(unsafe_code)]

use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// Holds zero or one `Box<T>`.
pub(super) struct AtomicBox<T> {
    ptr: AtomicPtr<T>,
    /// Owns a `Box<T>`: `Send`/`Sync` follow `T`.
    _owns: PhantomData<Box<T>>,
}

impl<T> AtomicBox<T> {
    pub(super) const fn empty() -> Self {
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// Takes the value out, leaving the slot empty.
    pub(super) fn take(&self) -> Option<Box<T>> {
        let p = self.ptr.swap(ptr::null_mut(), Ordering::SeqCst);
        if p.is_null() {
            return None;
        }
        // SAFETY: a non-null pointer here came from `Box::into_raw` in
        // `try_put` (its `SeqCst` exchange, a release, pairs with this
        // `SeqCst` swap, an acquire, so the value is fully visible; `SeqCst`
        // because the pool pairs these with its count of waiters), and the swap replaced it with null, so this is the
        // only place that owns it now.
        Some(unsafe { Box::from_raw(p) })
    }

    /// Puts `value` in if the slot is empty, else hands it back.
    pub(super) fn try_put(&self, value: Box<T>) -> Result<(), Box<T>> {
        let p = Box::into_raw(value);
        match self
            .ptr
            .compare_exchange(ptr::null_mut(), p, Ordering::SeqCst, Ordering::Relaxed)
        {
            Ok(_) => Ok(()),
            // SAFETY: the exchange failed, so `p` was not published; it is
            // still the unique pointer from `Box::into_raw` just above.
            Err(_) => Err(unsafe { Box::from_raw(p) }),
        }
    }

    /// Whether a value is in the slot (a snapshot).
    pub(super) fn is_full(&self) -> bool {
        !self.ptr.load(Ordering::Relaxed).is_null()
    }
}

impl<T> Drop for AtomicBox<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn holds_one_value() {
        let slot = AtomicBox::empty();
        assert!(slot.take().is_none());
        slot.try_put(Box::new(1u32)).unwrap();
        assert!(slot.is_full());
        assert_eq!(*slot.try_put(Box::new(2)).unwrap_err(), 2);
        assert_eq!(*slot.take().unwrap(), 1);
        assert!(!slot.is_full());
        // Dropping a full slot drops its value (Miri checks for the leak).
        slot.try_put(Box::new(3)).unwrap();
    }

    #[test]
    fn threads_pass_values_without_loss() {
        let slot = Arc::new(AtomicBox::empty());
        let rounds = if cfg!(miri) { 200 } else { 100_000 };
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let slot = Arc::clone(&slot);
                std::thread::spawn(move || {
                    let mut held = Some(Box::new(0u64));
                    let mut increments = 0u64;
                    for _ in 0..rounds {
                        held = match held.take() {
                            Some(mut b) => {
                                *b += 1;
                                increments += 1;
                                slot.try_put(b).err()
                            }
                            None => slot.take(),
                        };
                    }
                    (held.map_or(0, |b| *b), increments)
                })
            })
            .collect();
        let (mut values, mut increments) = (0, 0);
        for w in workers {
            let (v, n) = w.join().unwrap();
            values += v;
            increments += n;
        }
        values += slot.take().map_or(0, |b| *b);
        // Two boxes went round: no value was lost or seen twice.
        assert_eq!(values, increments);
        assert!(slot.take().is_none());
    }
}
