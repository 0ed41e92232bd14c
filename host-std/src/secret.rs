//! Secrets sealed at rest under a process key kept in a coffer.
//!
//! A [`Secret`] holds its bytes encrypted with XChaCha20-Poly1305 under one
//! process-wide key. The plaintext exists only in guarded, locked pages
//! ([`GuardedRegion`]) for the duration of a closure given to
//! [`Secret::with_bytes`], and is wiped when the closure returns.
//!
//! The process key itself never sits in memory whole. Like memguard's coffer,
//! it is split into two 32-byte halves in two separate guarded regions:
//! `left` is random and `right = SHA-256(left) XOR key`. Each use recomputes
//! the key on the stack, builds the cipher, and re-splits the halves with a
//! fresh `left` ([`rekey`] does the same on demand, [`rekey_every`] on a
//! timer), so a memory image shows two values that change after every use and
//! that are useless one without the other.
//!
//! [`purge`] wipes every guarded region of the process (the halves of the
//! key included); every existing [`Secret`] then fails with
//! [`Error::Purged`], and a new process key is made for new secrets.
//! [`purge_on_signal`] does that when the process receives SIGINT, SIGTERM,
//! SIGHUP or SIGQUIT, then lets the signal end the process as it would have.
//!
//! ```
//! use secstream::secret::Secret;
//!
//! let mut password = *b"correct horse battery staple";
//! let secret = Secret::new(&mut password)?; // `password` is now zeros
//! assert_eq!(password, [0; 28]);
//! let n = secret.with_bytes(|b| b.iter().filter(|&&c| c == b' ').count())?;
//! assert_eq!(n, 3);
//! # Ok::<(), secstream::secret::Error>(())
//! ```
//!
//! See `docs/threat-model.md` for what this protects against and what not.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::secret_memory::{self, GuardedRegion, clear_regs};
use crate::xchacha;

/// Nonce length of XChaCha20-Poly1305.
pub(crate) const NONCE_LEN: usize = 24;
/// Tag length of XChaCha20-Poly1305.
pub(crate) const TAG_LEN: usize = 16;
/// Bytes a sealed secret takes beyond its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

const AAD_LABEL: &[u8; 20] = b"secstream secret v1\0";

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Guarded memory could not be provided.
    Memory(secret_memory::Error),
    /// The sealed bytes were modified: nothing was decrypted.
    AuthenticationFailed,
    /// The process key this secret was sealed under was purged.
    Purged,
    /// The operating system's random number generator failed.
    Random,
    /// The secret is larger than the cipher can seal at once.
    TooLarge,
    /// Installing the signal handlers failed.
    Signal(std::io::ErrorKind),
    /// Starting the re-keying thread failed.
    Thread(std::io::ErrorKind),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory(e) => write!(f, "guarded memory: {e}"),
            Self::AuthenticationFailed => f.write_str("secret failed authentication"),
            Self::Purged => f.write_str("secret was purged"),
            Self::Random => f.write_str("operating system random number generator failed"),
            Self::TooLarge => f.write_str("secret too large"),
            Self::Signal(kind) => write!(f, "installing signal handlers failed: {kind}"),
            Self::Thread(kind) => write!(f, "starting the re-keying thread failed: {kind}"),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Memory(e) => Some(e),
            _ => None,
        }
    }
}

impl From<secret_memory::Error> for Error {
    fn from(e: secret_memory::Error) -> Self {
        match e {
            secret_memory::Error::Purged => Self::Purged,
            e => Self::Memory(e),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The process key, split in two guarded halves.
struct Coffer {
    left: GuardedRegion,
    right: GuardedRegion,
    generation: u64,
}

static COFFER: Mutex<Option<Coffer>> = Mutex::new(None);
static GENERATION: AtomicU64 = AtomicU64::new(0);

fn sha256(bytes: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(bytes);
    let mut digest = h.finalize();
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&digest);
    digest.as_mut_slice().zeroize();
    out
}

fn random(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|_| Error::Random)
}

impl Coffer {
    fn new() -> Result<Self, Error> {
        let mut key = Zeroizing::new([0u8; 32]);
        random(key.as_mut_slice())?;
        let left = GuardedRegion::new(32)?;
        let right = GuardedRegion::new(32)?;
        let generation = GENERATION.fetch_add(1, Ordering::Relaxed) + 1;
        let mut coffer = Self {
            left,
            right,
            generation,
        };
        coffer.store(&key)?;
        Ok(coffer)
    }

    /// Splits `key` afresh into the two halves.
    fn store(&mut self, key: &[u8; 32]) -> Result<(), Error> {
        let mut fresh = Zeroizing::new([0u8; 32]);
        random(fresh.as_mut_slice())?;
        let hash = sha256(fresh.as_slice());
        self.left.write(|l| l.copy_from_slice(fresh.as_slice()))?;
        self.right.write(|r| {
            for ((r, h), k) in r.iter_mut().zip(hash.iter()).zip(key.iter()) {
                *r = h ^ k;
            }
        })?;
        Ok(())
    }

    /// Recombines the key and re-splits it with a fresh `left`, opening each
    /// half once: `right' = SHA-256(left') XOR SHA-256(left) XOR right`.
    fn key_and_resplit(&mut self) -> Result<Zeroizing<[u8; 32]>, Error> {
        let mut fresh = Zeroizing::new([0u8; 32]);
        random(fresh.as_mut_slice())?;
        let mut old_left = Zeroizing::new([0u8; 32]);
        let (old_hash, new_hash) = self.left.write(|l| {
            old_left.copy_from_slice(l);
            let old = sha256(l);
            l.copy_from_slice(fresh.as_slice());
            (old, sha256(l))
        })?;
        let mut key = Zeroizing::new([0u8; 32]);
        let rewritten = self.right.write(|r| {
            for (((r, k), old), new) in r
                .iter_mut()
                .zip(key.iter_mut())
                .zip(old_hash.iter())
                .zip(new_hash.iter())
            {
                *k = old ^ *r;
                *r = new ^ *k;
            }
        });
        if let Err(e) = rewritten {
            // Put the old half back so the halves still match; if even that
            // fails the key is lost, which is reported like a purge (a new
            // key is made and older secrets fail with `Purged`).
            return match self.left.write(|l| l.copy_from_slice(old_left.as_slice())) {
                Ok(()) => Err(e.into()),
                Err(_) => Err(Error::Purged),
            };
        }
        Ok(key)
    }

    fn is_locked(&self) -> bool {
        self.left.is_locked() && self.right.is_locked()
    }
}

/// Runs `f` on the coffer, making a new one if there is none or the current
/// one was purged.
fn with_coffer<R>(f: impl Fn(&mut Coffer) -> Result<R, Error>) -> Result<R, Error> {
    clear_regs::scrub(|| with_coffer_here(f))
}

fn with_coffer_here<R>(f: impl Fn(&mut Coffer) -> Result<R, Error>) -> Result<R, Error> {
    let mut slot = lock(&COFFER);
    if let Some(coffer) = slot.as_mut() {
        match f(coffer) {
            Err(Error::Purged) => {}
            other => return other,
        }
    }
    *slot = None;
    let coffer = slot.insert(Coffer::new()?);
    f(coffer)
}

/// Test builds only: makes `key` the process key (the register test's child,
/// so that its parent knows what to look for; that test runs where it does).
#[cfg(all(test, target_os = "linux", target_arch = "x86_64", not(miri)))]
pub(crate) fn set_process_key_for_test(key: &[u8; 32]) -> Result<(), Error> {
    with_coffer(|c| c.store(key))
}

/// Splits the process key into two fresh halves (the key stays the same,
/// so existing secrets stay readable). Every use of the key does this too.
///
/// # Errors
/// [`Error::Memory`] when the coffer cannot be allocated, [`Error::Random`].
pub fn rekey() -> Result<(), Error> {
    with_coffer(|c| c.key_and_resplit().map(drop))
}

/// Re-splits the process key every `interval` on a background thread (as
/// memguard does every 500 ms), so that even while no secret is used the halves
/// in memory keep changing. The thread stops when the returned guard is
/// dropped.
///
/// # Errors
/// [`Error::Thread`] when the thread cannot be spawned.
pub fn rekey_every(interval: Duration) -> Result<Rekeyer, Error> {
    let stop = Arc::new((Mutex::new(false), Condvar::new()));
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("secstream-rekey".into())
        .spawn(move || {
            let (flag, wake) = &*thread_stop;
            let mut stopped = lock(flag);
            while !*stopped {
                let (guard, timeout) = wake
                    .wait_timeout(stopped, interval)
                    .unwrap_or_else(PoisonError::into_inner);
                stopped = guard;
                if timeout.timed_out() && !*stopped {
                    // A failure (no memory for a new coffer) is retried on
                    // the next tick; every use of the key re-splits it too.
                    let _ = rekey();
                }
            }
        })
        .map_err(|e| Error::Thread(e.kind()))?;
    Ok(Rekeyer {
        stop,
        thread: Some(thread),
    })
}

/// The background re-keying of [`rekey_every`]; dropping it stops the thread.
#[must_use = "dropping the guard stops the re-keying"]
pub struct Rekeyer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Rekeyer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rekeyer").finish_non_exhaustive()
    }
}

impl Drop for Rekeyer {
    fn drop(&mut self) {
        let (flag, wake) = &*self.stop;
        *lock(flag) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// True when both halves of the process key are locked into RAM (see
/// [`LockPolicy`](crate::secret_memory::LockPolicy)).
///
/// # Errors
/// [`Error::Memory`] when the coffer cannot be allocated, [`Error::Random`].
pub fn process_key_locked() -> Result<bool, Error> {
    with_coffer(|c| Ok(c.is_locked()))
}

/// Wipes every guarded region of the process and the process key. Every
/// [`Secret`] sealed before fails with [`Error::Purged`] from then on; new
/// secrets get a new key. Returns how many guarded regions were wiped.
///
/// It waits for running [`Secret::with_bytes`] closures to return; calling it
/// from inside one deadlocks.
pub fn purge() -> usize {
    // Not under the coffer's lock: a thread inside a region's closure may be
    // waiting for that lock while `purge_all` waits for the region.
    let n = secret_memory::purge_all();
    // The halves are zeros now; dropping unmaps them. A coffer made by another
    // thread since `purge_all` is dropped too: its secrets count as purged.
    *lock(&COFFER) = None;
    n
}

static SIGNAL_HOOK: Mutex<Option<fn(i32)>> = Mutex::new(None);

fn on_signal(sig: i32) {
    purge();
    let hook = *lock(&SIGNAL_HOOK);
    if let Some(hook) = hook {
        hook(sig);
    }
}

/// Opts in to [`purge`] on SIGINT, SIGTERM, SIGHUP and SIGQUIT; after the
/// purge the signal's default action (ending the process) runs as usual.
/// Later calls keep the handlers and only change the hook.
///
/// The signal handler only writes the signal number to a pipe; a watcher
/// thread does the purge, so no lock is taken inside the handler. On Windows
/// a console control handler (Ctrl+C, Ctrl+Break, close, logoff, shutdown)
/// purges instead (compiled, not tested).
///
/// # Errors
/// [`Error::Signal`] when the pipe, the thread or a handler cannot be set
/// up (`Unsupported` on platforms other than Unix and Windows).
pub fn purge_on_signal() -> Result<(), Error> {
    secret_memory::signal::install(on_signal).map_err(|e| Error::Signal(e.kind()))
}

/// As [`purge_on_signal`], and calls `hook` with the signal number after the
/// purge and before the process ends (to log or flush).
///
/// # Errors
/// As for [`purge_on_signal`].
pub fn purge_on_signal_then(hook: fn(i32)) -> Result<(), Error> {
    *lock(&SIGNAL_HOOK) = Some(hook);
    purge_on_signal()
}

/// The nonce of the next seal: a random per-process prefix and a counter,
/// never repeated within the process.
fn next_nonce() -> Result<[u8; NONCE_LEN], Error> {
    static PREFIX: OnceLock<[u8; 16]> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = match PREFIX.get() {
        Some(p) => p,
        None => {
            let mut p = [0u8; 16];
            random(&mut p)?;
            PREFIX.get_or_init(|| p)
        }
    };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..16].copy_from_slice(prefix);
    nonce[16..].copy_from_slice(&n.to_le_bytes());
    Ok(nonce)
}

fn aad(generation: u64, len: usize) -> [u8; 36] {
    let mut aad = [0u8; 36];
    aad[..20].copy_from_slice(AAD_LABEL);
    aad[20..28].copy_from_slice(&generation.to_le_bytes());
    aad[28..].copy_from_slice(&(len as u64).to_le_bytes());
    aad
}

/// The process key, for a batch of seals and opens (XChaCha20-Poly1305,
/// [`xchacha`]).
pub(crate) struct Sealer {
    /// On the heap: moving a `Sealer` (out of a `Result`, into a slot) copies
    /// only the pointer, never the key into a stack slot left behind.
    key: Box<Zeroizing<[u8; 32]>>,
    generation: u64,
}

/// The process key for a batch of seals and opens. The key exists whole only
/// in the returned value, which zeroizes it on drop: keep it for one call.
///
/// Built inside [`clear_regs::scrub`]: the moves of the key on its way
/// to the heap leave no copy on the stack.
pub(crate) fn sealer() -> Result<Sealer, Error> {
    let _regs = clear_regs::ClearOnDrop;
    clear_regs::scrub(|| {
        let (key, generation) = with_coffer_here(|c| Ok((c.key_and_resplit()?, c.generation)))?;
        Ok(Sealer {
            key: Box::new(key),
            generation,
        })
    })
}

/// Runs `f` with the process key (see [`sealer`]).
pub(crate) fn with_sealer<R>(f: impl FnOnce(&Sealer) -> R) -> Result<R, Error> {
    Ok(f(&sealer()?))
}

impl Sealer {
    /// Seals `plain` (read in place, e.g. from guarded pages) into a secret.
    pub(crate) fn seal(&self, plain: &[u8]) -> Result<Secret, Error> {
        clear_regs::scrub(|| self.seal_here(plain))
    }

    fn seal_here(&self, plain: &[u8]) -> Result<Secret, Error> {
        let total = plain.len().checked_add(OVERHEAD).ok_or(Error::TooLarge)?;
        let mut sealed = vec![0u8; total];
        let nonce = next_nonce()?;
        let (nonce_out, rest) = sealed.split_at_mut(NONCE_LEN);
        let (body, tag_out) = rest.split_at_mut(plain.len());
        nonce_out.copy_from_slice(&nonce);
        body.copy_from_slice(plain);
        let tag =
            xchacha::seal_in_place(&self.key, &nonce, &aad(self.generation, plain.len()), body)
                .ok_or(Error::TooLarge)?;
        tag_out.copy_from_slice(&tag);
        Ok(Secret {
            sealed,
            generation: self.generation,
        })
    }

    /// Checks and decrypts `secret` into `out`, which must be exactly
    /// `secret.len()` long. On failure `out` holds no plaintext.
    pub(crate) fn open_into(&self, secret: &Secret, out: &mut [u8]) -> Result<(), Error> {
        clear_regs::scrub(|| self.open_here(secret, out))
    }

    fn open_here(&self, secret: &Secret, out: &mut [u8]) -> Result<(), Error> {
        if secret.generation != self.generation {
            return Err(Error::Purged);
        }
        let len = secret.len();
        let (nonce, rest) = secret
            .sealed
            .split_at_checked(NONCE_LEN)
            .ok_or(Error::AuthenticationFailed)?;
        let (body, tag) = rest
            .split_at_checked(len)
            .ok_or(Error::AuthenticationFailed)?;
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::AuthenticationFailed)?;
        let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| Error::AuthenticationFailed)?;
        if out.len() != body.len() {
            return Err(Error::TooLarge);
        }
        // Decrypted in `out`: a failure leaves the ciphertext or zeros there.
        out.copy_from_slice(body);
        if xchacha::open_in_place(&self.key, nonce, &aad(secret.generation, len), out, tag) {
            Ok(())
        } else {
            Err(Error::AuthenticationFailed)
        }
    }
}

/// Bytes sealed at rest under the process key; see the [module docs](self).
///
/// Not `Clone`; `Debug` shows only the length. The sealed bytes (ciphertext)
/// are cleared on drop.
pub struct Secret {
    /// nonce (24) | ciphertext | tag (16)
    sealed: Vec<u8>,
    generation: u64,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Ciphertext only (the plaintext never lives here): cleared with a
        // plain `fill`, which vectorises, instead of `zeroize`'s byte-wise
        // volatile writes (several times slower on 16 KiB stream chunks);
        // `black_box` keeps the stores from being removed as dead.
        self.sealed.fill(0);
        std::hint::black_box(&mut self.sealed);
    }
}

impl Secret {
    /// Seals a copy of `bytes` and wipes `bytes`.
    ///
    /// # Errors
    /// [`Error::Memory`] when the process key cannot be set up,
    /// [`Error::Random`], [`Error::TooLarge`].
    pub fn new(bytes: &mut [u8]) -> Result<Self, Error> {
        let _regs = clear_regs::ClearOnDrop;
        let r = with_sealer(|s| s.seal(bytes));
        bytes.zeroize();
        r?
    }

    /// A secret of `len` bytes that `init` writes, in guarded pages, before
    /// they are sealed (so the plaintext never sits in ordinary memory).
    ///
    /// # Errors
    /// As for [`Secret::new`].
    pub fn with_init(len: usize, init: impl FnOnce(&mut [u8])) -> Result<Self, Error> {
        let _regs = clear_regs::ClearOnDrop;
        let mut region = GuardedRegion::new(len)?;
        region.write(init)?;
        let sealed = region.read(|plain| with_sealer(|s| s.seal(plain)))???;
        region.free()?;
        Ok(sealed)
    }

    /// A secret of `len` random bytes, drawn into guarded pages.
    ///
    /// # Errors
    /// As for [`Secret::new`].
    pub fn random(len: usize) -> Result<Self, Error> {
        let _regs = clear_regs::ClearOnDrop;
        let mut region = GuardedRegion::new(len)?;
        region.write(random)??;
        let sealed = region.read(|plain| with_sealer(|s| s.seal(plain)))???;
        region.free()?;
        Ok(sealed)
    }

    /// Length of the plaintext, known without decrypting.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sealed.len().saturating_sub(OVERHEAD)
    }

    /// True when the plaintext is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Opens the secret into guarded pages, runs `f` over the plaintext, and
    /// wipes the pages before returning.
    ///
    /// # Errors
    /// [`Error::AuthenticationFailed`] when the sealed bytes were modified
    /// (`f` is not called), [`Error::Purged`] after [`purge`],
    /// [`Error::Memory`] when guarded pages cannot be provided.
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Result<R, Error> {
        let _regs = clear_regs::ClearOnDrop;
        let mut region = GuardedRegion::new(self.len())?;
        region.write(|out| with_sealer(|s| s.open_into(self, out)))???;
        let r = region.read(f)?;
        region.free()?;
        Ok(r)
    }

    /// Opens the secret for a change in place: `f` edits the plaintext in
    /// guarded pages, and the result is sealed again under a fresh nonce.
    ///
    /// # Errors
    /// As for [`Secret::with_bytes`].
    pub fn update<R>(&mut self, f: impl FnOnce(&mut [u8]) -> R) -> Result<R, Error> {
        let _regs = clear_regs::ClearOnDrop;
        let mut region = GuardedRegion::new(self.len())?;
        region.write(|out| with_sealer(|s| s.open_into(self, out)))???;
        let r = region.write(f)?;
        let resealed = region.read(|plain| with_sealer(|s| s.seal(plain)))???;
        region.free()?;
        *self = resealed;
        Ok(r)
    }

    /// The sealed bytes in hex (ciphertext only), for tests that look for
    /// the keystream in another process (`secret_memory::clear_regs::tests`).
    #[cfg(all(test, target_os = "linux", target_arch = "x86_64", not(miri)))]
    pub(crate) fn sealed_hex(&self) -> String {
        self.sealed.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The sealed bytes, for tests that tamper with them.
    #[cfg(test)]
    pub(crate) fn sealed_mut(&mut self) -> &mut [u8] {
        &mut self.sealed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret_memory::tests::{in_child, rerun_in_child};

    #[test]
    #[cfg_attr(miri, ignore)] // tens of KiB through ChaCha20: too slow under Miri
    fn round_trip_sizes() {
        for len in [0usize, 1, 31, 32, 4095, 4096, 70_000] {
            let mut bytes: Vec<u8> = (0..len).map(|i| (i * 7 + 3).to_le_bytes()[0]).collect();
            let expect = bytes.clone();
            let s = Secret::new(&mut bytes).unwrap();
            assert!(bytes.iter().all(|&b| b == 0), "input wiped");
            assert_eq!(s.len(), len);
            assert_eq!(s.with_bytes(<[u8]>::to_vec).unwrap(), expect);
        }
    }

    #[test]
    fn ciphertext_is_not_plaintext() {
        let mut bytes = [0x41u8; 64];
        let s = Secret::new(&mut bytes).unwrap();
        assert!(!s.sealed.windows(8).any(|w| w == [0x41; 8]));
    }

    #[test]
    fn tampering_gives_opaque_error_and_no_plaintext() {
        let mut bytes = *b"attack at dawn";
        let s0 = Secret::new(&mut bytes).unwrap();
        for at in [0, NONCE_LEN, NONCE_LEN + 5, s0.sealed.len() - 1] {
            let mut bytes = *b"attack at dawn";
            let mut s = Secret::new(&mut bytes).unwrap();
            s.sealed_mut()[at] ^= 0x01;
            let mut called = false;
            assert_eq!(
                s.with_bytes(|_| called = true),
                Err(Error::AuthenticationFailed)
            );
            assert!(!called);
        }
    }

    #[test]
    fn update_reseals() {
        let mut s = Secret::with_init(4, |b| b.copy_from_slice(b"abcd")).unwrap();
        let old_nonce = s.sealed[..NONCE_LEN].to_vec();
        s.update(|b| b[0] = b'z').unwrap();
        assert_ne!(s.sealed[..NONCE_LEN], old_nonce[..]);
        assert_eq!(s.with_bytes(<[u8]>::to_vec).unwrap(), b"zbcd");
    }

    #[test]
    fn rekey_changes_halves_not_key() {
        let s = Secret::random(32).unwrap();
        let before = s.with_bytes(<[u8]>::to_vec).unwrap();
        let left = |c: &Coffer| c.left.read(<[u8]>::to_vec).unwrap();
        let l1 = with_coffer(|c| Ok(left(c))).unwrap();
        rekey().unwrap();
        let l2 = with_coffer(|c| Ok(left(c))).unwrap();
        assert_ne!(l1, l2);
        assert_eq!(s.with_bytes(<[u8]>::to_vec).unwrap(), before);
    }

    #[test]
    #[cfg_attr(miri, ignore)] // spawns a child process
    fn background_rekey_changes_idle_halves() {
        if !in_child() {
            return rerun_in_child("secret::tests::background_rekey_changes_idle_halves");
        }
        let s = Secret::random(32).unwrap();
        let before = s.with_bytes(<[u8]>::to_vec).unwrap();
        let halves = || {
            let c = lock(&COFFER);
            let c = c.as_ref().unwrap();
            (
                c.left.read(<[u8]>::to_vec).unwrap(),
                c.right.read(<[u8]>::to_vec).unwrap(),
            )
        };
        let idle = halves();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(halves(), idle, "nothing re-splits an idle key by itself");
        let rekeyer = rekey_every(Duration::from_millis(1)).unwrap();
        // Polled, not slept once: on a loaded machine the re-keying thread
        // may wait a while for its first turn.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut moved = halves();
        while (moved.0 == idle.0 || moved.1 == idle.1) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
            moved = halves();
        }
        assert_ne!(moved.0, idle.0);
        assert_ne!(moved.1, idle.1);
        drop(rekeyer);
        let stopped = halves();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(halves(), stopped, "stopped on drop");
        assert_eq!(s.with_bytes(<[u8]>::to_vec).unwrap(), before);
    }

    #[test]
    #[cfg_attr(miri, ignore)] // spawns a child process
    fn purge_makes_old_secrets_unreadable() {
        if !in_child() {
            return rerun_in_child("secret::tests::purge_makes_old_secrets_unreadable");
        }
        let old = Secret::random(16).unwrap();
        assert!(old.with_bytes(|_| ()).is_ok());
        assert!(purge() >= 2, "coffer halves wiped");
        assert_eq!(old.with_bytes(|_| ()), Err(Error::Purged));
        let new = Secret::with_init(3, |b| b.copy_from_slice(b"new")).unwrap();
        assert_eq!(new.with_bytes(<[u8]>::to_vec).unwrap(), b"new");
    }

    #[test]
    fn debug_is_redacted() {
        let s = Secret {
            sealed: vec![0x41; OVERHEAD + 5],
            generation: 0,
        };
        assert_eq!(format!("{s:?}"), "Secret { len: 5, .. }");
    }
}
