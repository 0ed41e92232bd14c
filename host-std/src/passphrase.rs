//! Passphrase-protected containers (feature `passphrase`): a sealed container
//! whose master key is Argon2id(passphrase, salt) with the costs and salt kept
//! in a 38-byte [`Envelope`] before it (`docs/format.md`, "Passphrase
//! envelope"). The container after the envelope is an ordinary sealed v2
//! stream: write the envelope, then the container with the derived key; read
//! the envelope, derive the key, then read the container.
//!
//! ```
//! use std::io::Write;
//! use secstream::container_io::{ContainerOptions, ContainerReader};
//! use secstream::passphrase::{self, Envelope, KdfParams, Passphrase};
//!
//! // Cheap costs for the example; writers default to `KdfParams::DEFAULT`.
//! let params = KdfParams::new(64, 1, 1)?;
//! let pass = Passphrase::new(b"correct horse battery staple".to_vec());
//! let env = passphrase::new_envelope(params)?;
//! let mut file = env.to_bytes().to_vec();
//! let key = passphrase::derive_key(&pass, &env)?;
//! let mut w = ContainerOptions::new().sealed_writer(file, &key)?;
//! w.write_all(b"secret data")?;
//! file = w.finish()?;
//!
//! let env = Envelope::parse(&file)?;
//! let key = passphrase::derive_key(&pass, &env)?;
//! let rest = &file[passphrase::ENVELOPE_LEN..];
//! let mut data = Vec::new();
//! ContainerReader::sealed(rest, key).process_all(|p| {
//!     data.extend_from_slice(p);
//!     Ok::<(), secstream::Error>(())
//! })?;
//! assert_eq!(data, b"secret data");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Secrets: [`Passphrase`] and the derived key are wiped when dropped, and so
//! is Argon2's working memory (the blocks hold values derived from the
//! passphrase). The memory is reserved with `try_reserve`, so a cost the
//! machine cannot hold is an error ([`Error::KdfMemory`]), not an abort; the
//! costs an envelope may ask for are capped ([`KdfParams::new`]) before
//! anything is allocated.

use std::fmt;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use zeroize::Zeroizing;

use crate::Error;
use crate::seal::MasterKey;

pub use secstream_core::passphrase::{
    ENVELOPE_LEN, Envelope, Error as EnvelopeError, KDF_ARGON2ID, KEY_LEN, KdfParams, MAGIC,
    MAX_M_COST_KIB, MAX_P_COST, MAX_WORK_KIB, SALT_LEN, VERSION,
};

/// A passphrase: its bytes as given (no Unicode normalisation), wiped when
/// dropped, never printed (`Debug` is redacted), not `Clone`.
pub struct Passphrase(Zeroizing<Vec<u8>>);

impl Passphrase {
    /// Takes the bytes (they are wiped with the passphrase).
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether it is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// A new envelope for `params` with a salt from the operating system's
/// random generator.
///
/// # Errors
/// [`Error::Random`] if the generator fails.
pub fn new_envelope(params: KdfParams) -> Result<Envelope, Error> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(Error::Random)?;
    Ok(Envelope::new(params, salt))
}

/// The container's master key: Argon2id (version 0x13) of the passphrase with
/// the envelope's salt and costs, 32 bytes, no secret, no associated data.
///
/// # Errors
/// [`Error::KdfMemory`] if the memory cost cannot be allocated;
/// [`Error::Kdf`] if Argon2 refuses an input (a passphrase longer than
/// 2^32 - 1 bytes).
pub fn derive_key(passphrase: &Passphrase, envelope: &Envelope) -> Result<MasterKey, Error> {
    let p = envelope.params;
    // `KdfParams` are within Argon2's own bounds (and far tighter), so this holds.
    let params =
        Params::new(p.m_cost_kib(), p.t_cost(), p.p_cost(), Some(KEY_LEN)).map_err(Error::Kdf)?;
    let blocks = params.block_count();
    let mut memory: Zeroizing<Vec<Block>> = Zeroizing::new(Vec::new());
    memory.try_reserve_exact(blocks).map_err(Error::KdfMemory)?;
    memory.resize(blocks, Block::new());
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(
            passphrase.as_bytes(),
            &envelope.salt,
            &mut key[..],
            &mut memory[..],
        )
        .map_err(Error::Kdf)?;
    Ok(MasterKey::from_bytes(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9106 section 5.3's vector uses a secret and associated data, which the
    /// envelope does not; this value comes from an independent implementation
    /// (OpenSSL's, through Python's `cryptography`: `Argon2id(salt=b"somesaltsomesalt",
    /// length=32, iterations=2, lanes=1, memory_cost=64).derive(b"password")`).
    #[test]
    fn known_answer() {
        let env = Envelope::new(KdfParams::new(64, 2, 1).unwrap(), *b"somesaltsomesalt");
        let key = derive_key(&Passphrase::new(b"password".to_vec()), &env).unwrap();
        let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, KAT_HEX);
    }

    const KAT_HEX: &str = "1a98fba8e6394425c9bdc333a9c750aaf811df070f5fb4a5788e1cf4db5793a1";

    #[test]
    fn salt_passphrase_and_costs_each_change_the_key() {
        let pass = Passphrase::new(b"pw".to_vec());
        let base = Envelope::new(KdfParams::new(64, 1, 1).unwrap(), [1; 16]);
        let k0 = *derive_key(&pass, &base).unwrap().as_bytes();
        let mut other_salt = base;
        other_salt.salt[15] ^= 1;
        for env in [
            other_salt,
            Envelope::new(KdfParams::new(72, 1, 1).unwrap(), [1; 16]),
            Envelope::new(KdfParams::new(64, 2, 1).unwrap(), [1; 16]),
            Envelope::new(KdfParams::new(64, 1, 2).unwrap(), [1; 16]),
        ] {
            assert_ne!(*derive_key(&pass, &env).unwrap().as_bytes(), k0, "{env:?}");
        }
        let other = Passphrase::new(b"pW".to_vec());
        assert_ne!(*derive_key(&other, &base).unwrap().as_bytes(), k0);
        assert_eq!(format!("{other:?}"), "Passphrase(<redacted>)");
        let a = new_envelope(KdfParams::DEFAULT).unwrap();
        let b = new_envelope(KdfParams::DEFAULT).unwrap();
        assert_ne!(a.salt, b.salt);
    }
}
