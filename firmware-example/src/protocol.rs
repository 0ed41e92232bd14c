//! The firmware's link protocol: postcard-typed commands and replies, each
//! in one COBS frame with a CRC-16 (wire contract section 3).
//!
//! Telemetry travels sealed: [`Reply::Sealed`] carries a piece of a sealed
//! container stream (wire contract section 4), which the host opens with the
//! session key. The link checksum catches line noise; the seal authenticates.

use secstream_core::checksum::ChecksumKind;
use secstream_core::cobs;
use serde::{Deserialize, Serialize};

/// Checksum of every link frame (CRC-16/XMODEM: two bytes, small tables).
pub const LINK_CHECKSUM: ChecksumKind = ChecksumKind::Crc16;
/// Largest postcard payload of a link frame.
pub const MAX_PAYLOAD: usize = 96;
/// Largest encoded link frame: COBS overhead, checksum and delimiter.
pub const MAX_FRAME: usize = cobs::max_encoded_len(LINK_CHECKSUM, MAX_PAYLOAD);

/// `max_plain` of the telemetry container: a postcard [`Sample`] (at most 9
/// bytes) fits.
pub const TELEMETRY_MAX_PLAIN: u32 = 16;

/// The device key of the example, shared with the simulated host. A real
/// device has its own key, provisioned into OTP or a secure element and read
/// at boot; a constant in the firmware image is not a secret.
pub const EXAMPLE_KEY: [u8; 32] = *b"example key: provision real ones";

/// A command from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, defmt::Format)]
pub enum Command {
    /// Liveness check; answered with [`Reply::Pong`] and the same `seq`.
    Ping {
        /// Echoed back.
        seq: u32,
    },
    /// One sensor reading, in the clear: [`Reply::Sensors`].
    ReadSensors,
    /// Opens a sealed telemetry stream under the session key. The host picks
    /// the 16-byte stream nonce (fresh for every stream: the device has no
    /// random number generator). Answered with the container header.
    StartTelemetry {
        /// The stream nonce of the container (wire contract section 4).
        stream_nonce: [u8; 16],
    },
    /// Seals `samples` readings into the open stream, one frame each.
    SendTelemetry {
        /// How many readings.
        samples: u8,
    },
    /// Seals the final frame and closes the stream.
    FinishTelemetry,
    /// Wipes the session key; sealing is refused from then on.
    WipeKey,
    /// Ends the session; the firmware exits.
    Shutdown,
}

/// A reply to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, defmt::Format)]
pub enum Reply<'a> {
    /// Answer to [`Command::Ping`].
    Pong {
        /// The command's `seq`.
        seq: u32,
    },
    /// Answer to [`Command::ReadSensors`].
    Sensors(Sample),
    /// The next bytes of the sealed telemetry stream.
    Sealed(#[serde(borrow)] &'a [u8]),
    /// The command was carried out.
    Done,
    /// The command was refused.
    Refused(Refusal),
}

/// One sensor reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, defmt::Format)]
pub struct Sample {
    /// Reading number, counting from 0 since boot.
    pub seq: u16,
    /// Temperature in hundredths of a degree Celsius.
    pub temp_centi_c: i16,
    /// Supply voltage in millivolts.
    pub vbat_mv: u16,
}

/// Why a command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, defmt::Format)]
pub enum Refusal {
    /// The frame was sound but did not hold a command.
    Malformed,
    /// The session key has been wiped.
    NoKey,
    /// No telemetry stream is open.
    NoStream,
    /// A telemetry stream is already open.
    StreamOpen,
    /// The answer does not fit in a link frame.
    TooLarge,
    /// Sealing failed.
    Seal,
    /// No frame buffer was free in the device's pool.
    Busy,
}
