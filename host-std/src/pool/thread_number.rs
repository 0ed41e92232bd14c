//! Dense, recycled thread numbers for the per-thread rows of
//! [`BufferPool`](super::BufferPool).
//!
//! A thread takes the smallest free number when a pool's slow path first
//! asks for it ([`take`]; the fast paths only read it, [`current`]) and
//! gives it back when it exits, so numbers stay below the count of threads
//! alive at once, and a number belongs to one live thread at a time: a
//! pool's row `n` is used by thread `n` alone (and by drains, see
//! `rows`), which lets the row keep its slots and hit counter without
//! read-modify-write atomics.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Mutex, PoisonError};

struct Numbers {
    /// The lowest number never handed out.
    next: usize,
    /// Numbers given back, smallest first.
    free: BinaryHeap<Reverse<usize>>,
}

static NUMBERS: Mutex<Numbers> = Mutex::new(Numbers {
    next: 0,
    free: BinaryHeap::new(),
});

/// A thread's number, given back when the thread exits.
struct Held(usize);

impl Held {
    fn take() -> Self {
        let mut n = NUMBERS.lock().unwrap_or_else(PoisonError::into_inner);
        match n.free.pop() {
            Some(Reverse(number)) => Self(number),
            None => {
                let number = n.next;
                n.next = number.saturating_add(1);
                Self(number)
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // Thread-locals destroyed after this one must not use the number
        // any more: another thread may own it from the push on.
        let _ = NUMBER.try_with(|n| n.set(GONE));
        // The mutex orders this thread's last writes to its rows before the
        // next owner's first (release here, acquire in `take`).
        let mut n = NUMBERS.lock().unwrap_or_else(PoisonError::into_inner);
        n.free.push(Reverse(self.0));
    }
}

/// `NUMBER` before the thread's first call.
const UNSET: usize = usize::MAX;
/// `NUMBER` once the thread gave its number back (it is exiting).
const GONE: usize = usize::MAX - 1;

thread_local! {
    /// The number, read on every call: a constant-initialised cell without
    /// a destructor, so reading it is one load.
    static NUMBER: Cell<usize> = const { Cell::new(UNSET) };
    /// Owns the number and gives it back at thread exit.
    static HELD: Held = Held::take();
}

/// The calling thread's number if it has taken one ([`take`]) and is not
/// exiting, else a value at least [`NONE`] (no table has that many rows):
/// one load, no test and no call, so a fast path using it keeps no
/// registers for one and needs only its own bounds check.
#[inline]
pub(super) fn current() -> usize {
    // Numbers stay below the count of live threads, far from `NONE`.
    NUMBER.try_with(Cell::get).unwrap_or(NONE)
}

/// [`current`] of a thread without a number: this or above.
pub(super) const NONE: usize = GONE;

/// The calling thread's number, taken on its first call; `None` once the
/// thread is exiting (the caller takes its slow path then).
pub(super) fn take() -> Option<usize> {
    match NUMBER.try_with(Cell::get).ok()? {
        n if n < GONE => Some(n),
        UNSET => first(),
        _ => None,
    }
}

/// Takes a number on the thread's first call.
#[cold]
fn first() -> Option<usize> {
    let n = HELD.try_with(|h| h.0).ok()?;
    NUMBER.try_with(|c| c.set(n)).ok()?;
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(miri, ignore)] // 200 threads; the numbering has no unsafe code
    fn live_threads_have_distinct_numbers_and_exited_ones_give_them_back() {
        assert!(current() >= NONE, "no number before the first take");
        let mine = take().unwrap();
        assert_eq!(current(), mine);
        let (tx, rx) = std::sync::mpsc::channel();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (tx, barrier) = (tx.clone(), std::sync::Arc::clone(&barrier));
                // All four are alive together while they report.
                std::thread::spawn(move || {
                    tx.send(take().unwrap()).unwrap();
                    barrier.wait();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut seen: Vec<usize> = rx.try_iter().collect();
        seen.push(mine);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 5, "numbers of live threads are distinct");
        // 200 threads one after another: without recycling the last ones
        // would number 200 and more; with it they stay below the count of
        // threads alive at once (this test's and its neighbours' in the
        // test binary).
        let highest = (0..200)
            .map(|_| std::thread::spawn(|| take().unwrap()).join().unwrap())
            .max()
            .unwrap();
        assert!(highest < 100, "thread numbers are not recycled: {highest}");
    }
}
