//! Allocation-free building blocks for sensitive bytes in motion.
//!
//! `secstream-core` is `#![no_std]` and needs no allocator. The same code runs
//! on a Cortex-M0, in a browser through `secstream-wasm` and on a server through
//! the `secstream` crate. Every byte format of the wire contract
//! (`docs/format.md`) is implemented here once.
//!
//! ```
//! use secstream_core::buf::SecureBuf;
//!
//! // A fixed-capacity buffer that wipes itself; it can live in a `static`.
//! let mut buf = SecureBuf::<64>::new();
//! buf.put_string(b"ssh-ed25519")?;
//! buf.put_u32(7)?;
//! assert_eq!(buf.get_string()?, b"ssh-ed25519");
//! assert_eq!(buf.get_u32()?, 7);
//! # Ok::<(), secstream_core::ssh::Error>(())
//! ```
//!
//! # Modules
//! - [`buf`]: [`SecureBuf`](buf::SecureBuf), a zeroizing fixed-capacity buffer
//!   with a cursor over the SSH wire types.
//! - [`ssh`]: the SSH wire codec (RFC 4251 section 5) over plain slices.
//! - [`pool`]: a fixed pool of `SecureBuf` slots for a `static`, shared by
//!   interrupt handlers and the main loop without blocking; a returned slot
//!   is wiped as far as it was used.
//! - [`ring`] and [`spsc`]: byte rings, the second split into lock-free halves
//!   for an interrupt handler and the main loop, with grants for DMA.
//! - [`checksum`]: the five checksums of the contract (none, CRC-16, CRC-32,
//!   CRC-32C, XXH3), with a build-time subset for small firmware.
//! - [`frame`] (length-prefixed, for reliable transports) and [`cobs`] (for
//!   lossy links, resynchronising): encoders into caller buffers and incremental
//!   decoders that hand out payloads without copying.
//! - [`container`], [`seal`], [`deflate`]: the self-describing stream with
//!   per-frame deflate and ChaCha20-Poly1305 sealing, decrypted in place.
//! - [`passphrase`]: the passphrase envelope before a sealed container (its
//!   Argon2id costs and salt; the key derivation is the host crate's).
//! - `message` (feature `serde`): postcard-typed messages in frames.
//!
//! # Features
//! None by default. `alloc` adds deflate compression; `std` adds `std::io`
//! impls for the buffers and rings (the `secstream` host crate turns it on);
//! `defmt` derives `defmt::Format` for errors and redacted buffers; `serde`
//! adds `message`; `ring` (hosts; implies `alloc`) seals container frames with
//! ring's ChaCha20-Poly1305 instead of RustCrypto's, same bytes (`seal`).
//! `embedded-io` impls are always there.
//!
//! # What is protected
//! Buffers here overwrite their bytes with zeros (through `zeroize`, which the
//! optimiser may not remove) when they are dropped, cleared, or when bytes are
//! consumed or moved. They do not print their contents in `Debug` and are not
//! `Clone`. They cannot stop copies the compiler makes when a value is moved
//! (keep secret buffers in place: in a `static`, on the stack of one frame, or
//! boxed), copies the caller makes of borrowed slices, swapping to disk or
//! core dumps; the `secstream` host crate adds locked, guarded memory for that.
#![no_std]
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod buf;
pub mod checksum;
pub mod cobs;
pub mod compress;
pub mod container;
pub mod deflate;
pub mod frame;
pub mod lz4;
#[cfg(feature = "serde")]
pub mod message;
pub mod passphrase;
pub mod pool;
pub mod ring;
pub mod seal;
pub mod spsc;
pub mod ssh;

mod embedded_io;
#[cfg(feature = "std")]
mod std_io;
