//! The simulated host at the other end of the UART.
//!
//! It writes the line the device receives ([`Peer::script`]: command frames
//! with line noise between them) and reads what the device sends back
//! ([`Peer::receive`]), collecting the sealed telemetry stream to open it at
//! the end. It runs on the device only so the example is self-contained
//! under QEMU; it uses the same core functions a host program would.

use secstream_core::cobs;
use secstream_core::container::{self, Feed};
use secstream_core::message;
use secstream_core::seal::MasterKey;

use crate::link;
use crate::protocol::{self, Command, LINK_CHECKSUM, Reply, Sample};

/// The first stream nonce the host picks (a real host draws it at random).
pub const STREAM_NONCE: [u8; 16] = *b"telemetry-nonce1";
/// The second stream nonce, for the start refused after the key is wiped.
pub const STREAM_NONCE_2: [u8; 16] = *b"telemetry-nonce2";

/// Readings the session has sealed.
pub const SEALED_SAMPLES: u8 = 3;

/// Largest sealed stream the host collects.
pub const SEALED_CAP: usize = 512;

/// The commands of the session, in order. Line noise goes in after the first.
pub const COMMANDS: &[Command] = &[
    Command::Ping { seq: 1 },
    Command::ReadSensors,
    Command::StartTelemetry {
        stream_nonce: STREAM_NONCE,
    },
    Command::SendTelemetry {
        samples: SEALED_SAMPLES,
    },
    Command::FinishTelemetry,
    Command::SendTelemetry { samples: 1 },
    Command::WipeKey,
    Command::StartTelemetry {
        stream_nonce: STREAM_NONCE_2,
    },
    Command::Shutdown,
];

/// Why the host could not read the device's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
#[non_exhaustive]
pub enum Error {
    /// A reply frame failed its checksum or COBS decoding.
    Frame(cobs::Error),
    /// A reply frame did not hold a reply.
    Malformed,
    /// The sealed stream is larger than [`SEALED_CAP`].
    SealedTooLong,
    /// A command frame did not fit the line buffer.
    LineFull,
    /// The sealed telemetry stream did not open.
    Telemetry(container::Error),
    /// An opened telemetry frame did not hold a sample.
    BadSample,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Frame(e) => write!(f, "reply frame: {e}"),
            Self::Malformed => f.write_str("reply frame holds no reply"),
            Self::SealedTooLong => f.write_str("sealed stream larger than the host buffer"),
            Self::LineFull => f.write_str("line buffer too small for the script"),
            Self::Telemetry(e) => write!(f, "telemetry: {e}"),
            Self::BadSample => f.write_str("telemetry frame holds no sample"),
        }
    }
}

impl core::error::Error for Error {}

/// The host's side of the session.
pub struct Peer {
    sealed: [u8; SEALED_CAP],
    sealed_len: usize,
    replies: usize,
}

impl Default for Peer {
    fn default() -> Self {
        Self::new()
    }
}

impl Peer {
    /// A host that has received nothing yet.
    pub const fn new() -> Self {
        Self {
            sealed: [0; SEALED_CAP],
            sealed_len: 0,
            replies: 0,
        }
    }

    /// Writes the line the device receives into `line`: one frame per
    /// command of [`COMMANDS`], and after the first, two pieces of line
    /// noise the device must drop and resynchronise after (a frame with a
    /// flipped bit, a block cut short by a delimiter). Returns the length.
    ///
    /// # Errors
    /// [`Error::LineFull`] if `line` is too small.
    pub fn script(line: &mut [u8]) -> Result<usize, Error> {
        let mut at = 0usize;
        for (i, command) in COMMANDS.iter().enumerate() {
            let out = line.get_mut(at..).ok_or(Error::LineFull)?;
            at += link::encode(command, out).map_err(|_| Error::LineFull)?;
            if i == 0 {
                // `Ping { seq: 2 }` with one bit flipped on the line.
                let out = line.get_mut(at..).ok_or(Error::LineFull)?;
                let n =
                    link::encode(&Command::Ping { seq: 2 }, out).map_err(|_| Error::LineFull)?;
                let hit = out.get_mut(2).ok_or(Error::LineFull)?;
                *hit ^= 0x10;
                at += n;
                // A block whose code promises four bytes but the frame ends.
                let noise = [0x05, 0x11, 0x22, cobs::DELIMITER];
                line.get_mut(at..at + noise.len())
                    .ok_or(Error::LineFull)?
                    .copy_from_slice(&noise);
                at += noise.len();
            }
        }
        Ok(at)
    }

    /// Reads one frame the device sent (delimiter included) and returns the
    /// reply it holds; collects sealed telemetry. The reply borrows `frame`,
    /// which is decoded in place.
    ///
    /// # Errors
    /// [`Error::Frame`] for a damaged frame, [`Error::Malformed`] if it holds
    /// no reply, [`Error::SealedTooLong`] if the sealed stream outgrows the
    /// host buffer.
    pub fn receive<'f>(&mut self, frame: &'f mut [u8]) -> Result<Reply<'f>, Error> {
        let payload = cobs::decode_in_place(LINK_CHECKSUM, frame).map_err(Error::Frame)?;
        let reply: Reply<'f> = message::decode_message(payload).map_err(|_| Error::Malformed)?;
        self.replies += 1;
        if let Reply::Sealed(bytes) = reply {
            let end = self
                .sealed_len
                .checked_add(bytes.len())
                .filter(|&e| e <= SEALED_CAP)
                .ok_or(Error::SealedTooLong)?;
            self.sealed
                .get_mut(self.sealed_len..end)
                .ok_or(Error::SealedTooLong)?
                .copy_from_slice(bytes);
            self.sealed_len = end;
        }
        Ok(reply)
    }

    /// How many replies have been read.
    pub const fn replies(&self) -> usize {
        self.replies
    }

    /// The sealed telemetry stream collected so far.
    pub fn sealed(&self) -> &[u8] {
        self.sealed.get(..self.sealed_len).unwrap_or_default()
    }

    /// Opens the collected sealed stream with the example key, logs every
    /// sample and checks that the stream ended with its final frame and an
    /// end section that matches it (not truncated).
    /// Returns how many samples it held.
    ///
    /// # Errors
    /// [`Error::Telemetry`] if the stream is damaged, truncated or does not
    /// authenticate; [`Error::BadSample`] if a frame holds no sample.
    pub fn open_telemetry(&mut self) -> Result<usize, Error> {
        let key = MasterKey::from_bytes(&protocol::EXAMPLE_KEY);
        let mut reader = container::Reader::new_sealed([0u8; 48], key);
        let mut input = self
            .sealed
            .get_mut(..self.sealed_len)
            .ok_or(Error::SealedTooLong)?;
        let mut samples = 0;
        while !input.is_empty() {
            let consumed = match reader.feed(input).map_err(Error::Telemetry)? {
                Feed::NeedMore => break,
                Feed::Header { header, consumed } => {
                    defmt::info!("host: stream {}", header.config);
                    consumed
                }
                Feed::Frame { payload, consumed } => {
                    if !payload.is_empty() {
                        let sample: Sample =
                            message::decode_message(payload).map_err(|_| Error::BadSample)?;
                        defmt::info!("host: opened {}", sample);
                        samples += 1;
                    }
                    consumed
                }
                Feed::End { consumed } => {
                    defmt::info!("host: end section matches the stream");
                    consumed
                }
                // Only a lazy reader asks for a larger frame buffer.
                Feed::NeedBuffer { .. } => return Err(Error::SealedTooLong),
            };
            input = input.get_mut(consumed..).unwrap_or_default();
        }
        reader.finish().map_err(Error::Telemetry)?;
        Ok(samples)
    }
}
