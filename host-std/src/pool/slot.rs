//! [`ByteSlot`]: a slot that holds at most one boxed byte buffer of a fixed
//! length and that any thread can fill or empty with one atomic operation.
//! The per-thread fast path of [`BufferPool`](super::BufferPool) parks
//! buffers in these, so that `trim()` on another thread can still take them
//! out.
// A box is passed between threads through an `AtomicPtr`; that needs
// `Box::into_raw`/`from_raw`. Each block says why it is sound.
#![allow(unsafe_code)]

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// Holds zero or one `Box<[u8]>` of exactly `len` bytes (`len > 0`).
///
/// The slot owns the buffer it holds; `Box<[u8]>` is `Send` and `Sync`, so
/// the slot is too, and `AtomicPtr` gives it both.
pub(super) struct ByteSlot {
    ptr: AtomicPtr<u8>,
    len: usize,
}

impl ByteSlot {
    /// An empty slot for buffers of `len` bytes; `len` must not be 0 (a
    /// zero-length box has no allocation to own).
    pub(super) const fn empty(len: usize) -> Self {
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
            len,
        }
    }

    /// Takes the buffer out, leaving the slot empty.
    #[inline]
    pub(super) fn take(&self) -> Option<Box<[u8]>> {
        let p = self.ptr.swap(ptr::null_mut(), Ordering::SeqCst);
        if p.is_null() {
            return None;
        }
        let raw = ptr::slice_from_raw_parts_mut(p, self.len);
        // SAFETY: a non-null pointer here came from `Box::into_raw` of a
        // `Box<[u8]>` of `self.len` bytes in `try_put` (so `raw` is that
        // same fat pointer); its `SeqCst` exchange (a release) pairs with this
        // `SeqCst` swap (an acquire), so the bytes are visible, and the swap
        // replaced it with null, so this is the only owner now. (`SeqCst`
        // because the pool pairs these with its count of waiters.)
        Some(unsafe { Box::from_raw(raw) })
    }

    /// Puts `buf` in if the slot is empty and `buf` has the slot's length,
    /// else hands it back.
    #[inline]
    pub(super) fn try_put(&self, buf: Box<[u8]>) -> Result<(), Box<[u8]>> {
        if buf.len() != self.len || self.len == 0 {
            return Err(buf);
        }
        let raw = Box::into_raw(buf);
        let p = raw.cast::<u8>();
        match self
            .ptr
            .compare_exchange(ptr::null_mut(), p, Ordering::SeqCst, Ordering::Relaxed)
        {
            Ok(_) => Ok(()),
            // SAFETY: the exchange failed, so `raw` was not published; it is
            // still the unique pointer from `Box::into_raw` just above.
            Err(_) => Err(unsafe { Box::from_raw(raw) }),
        }
    }

    /// Whether a buffer is in the slot (a snapshot).
    #[inline]
    pub(super) fn is_full(&self) -> bool {
        !self.ptr.load(Ordering::Relaxed).is_null()
    }
}

impl Drop for ByteSlot {
    fn drop(&mut self) {
        drop(self.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn holds_one_buffer_of_its_length() {
        let slot = ByteSlot::empty(4);
        assert!(slot.take().is_none());
        slot.try_put(Box::new([1; 4])).unwrap();
        assert!(slot.is_full());
        assert_eq!(*slot.try_put(Box::new([2; 4])).unwrap_err(), [2; 4]);
        assert_eq!(*slot.take().unwrap(), [1; 4]);
        assert!(!slot.is_full());
        // Wrong lengths are handed back.
        assert_eq!(slot.try_put(Box::new([3; 5])).unwrap_err().len(), 5);
        assert!(ByteSlot::empty(0).try_put(Box::new([])).is_err());
        // Dropping a full slot drops its buffer (Miri checks for the leak).
        slot.try_put(Box::new([3; 4])).unwrap();
    }

    #[test]
    fn threads_pass_buffers_without_loss() {
        let slot = Arc::new(ByteSlot::empty(8));
        let rounds = if cfg!(miri) { 200 } else { 100_000 };
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let slot = Arc::clone(&slot);
                std::thread::spawn(move || {
                    let mut held: Option<Box<[u8]>> = Some(Box::new([0; 8]));
                    let mut increments = 0u64;
                    for _ in 0..rounds {
                        held = match held.take() {
                            Some(mut b) => {
                                let n = u64::from_le_bytes(b[..].try_into().unwrap());
                                b.copy_from_slice(&(n + 1).to_le_bytes());
                                increments += 1;
                                slot.try_put(b).err()
                            }
                            None => slot.take(),
                        };
                    }
                    let value = held.map_or(0, |b| u64::from_le_bytes(b[..].try_into().unwrap()));
                    (value, increments)
                })
            })
            .collect();
        let (mut values, mut increments) = (0, 0);
        for w in workers {
            let (v, n) = w.join().unwrap();
            values += v;
            increments += n;
        }
        values += slot
            .take()
            .map_or(0, |b| u64::from_le_bytes(b[..].try_into().unwrap()));
        // Two buffers went round: no count was lost or seen twice.
        assert_eq!(values, increments);
    }
}
