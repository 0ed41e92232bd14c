//! secstream-core on a Cortex-M: a command link over a (simulated) UART with
//! sealed telemetry. Everything is static; there is no allocator.
//!
//! - The UART receive interrupt (PendSV standing in for it, see
//!   [`uart`](secstream_firmware_example::uart)) is the producer half of a
//!   split ring in a `static`; the main loop is the consumer half.
//! - The main loop cuts the byte stream into COBS frames with a CRC-16,
//!   dropping damaged frames and resynchronising, and decodes each into a
//!   postcard-typed [`Command`]. Each reply goes back in a frame of its own.
//! - The session key sits in a [`SecureBuf`] in a `static`; it is wiped on
//!   command and before exit.
//! - Telemetry readings go out as frames of a sealed container (HKDF-SHA256
//!   stream key, ChaCha20-Poly1305, CRC-32C over the stored bytes), in
//!   [`Reply::Sealed`] pieces; the host opens them with the key. Each sealed
//!   frame is built in a buffer taken from a static [`Pool`], which wipes it
//!   (as far as it was written) when the reply has gone.
//!
//! The simulated host ([`Peer`]) writes the line and reads the replies.
//! Logs go out with defmt over semihosting; the exit status is the
//! firmware's verdict (0: the session went as the host expected).
#![no_std]
#![no_main]

use core::cell::RefCell;

use cortex_m::interrupt::{self, Mutex};
use cortex_m::peripheral::SCB;
use cortex_m_rt::{entry, exception};
use secstream_core::buf::SecureBuf;
use secstream_core::checksum::ChecksumKind;
use secstream_core::cobs::{self, Feed};
use secstream_core::container::{self, Config};
use secstream_core::frame;
use secstream_core::message;
use secstream_core::pool::{Pool, PoolBuf};
use secstream_core::seal::{MasterKey, TAG_LEN};
use secstream_core::spsc::SpscRing;
use secstream_firmware_example::link;
use secstream_firmware_example::peer::{self, Peer};
use secstream_firmware_example::protocol::{
    Command, EXAMPLE_KEY, LINK_CHECKSUM, MAX_FRAME, MAX_PAYLOAD, Refusal, Reply, Sample,
    TELEMETRY_MAX_PLAIN,
};
use secstream_firmware_example::uart::SimUart;
use secstream_firmware_example::{self as fw};

/// Capacity of the UART receive ring.
const RX_CAP: usize = 64;
/// Checksum of the sealed telemetry container's frames (the container
/// header has a CRC-32C anyway). Here, not in the library's `protocol`, so
/// the library builds with CRC-16 alone (a core built with a checksum
/// subset, as the size probes are).
const TELEMETRY_CHECKSUM: ChecksumKind = ChecksumKind::Crc32c;
/// The telemetry stream's options: sealed, no compression (a sample is a
/// few bytes).
const TELEMETRY: Config = Config::new(TELEMETRY_CHECKSUM, TELEMETRY_MAX_PLAIN).with_sealed(true);

/// Bytes received by the UART interrupt, waiting for the main loop.
static RX: SpscRing<RX_CAP> = SpscRing::new();
/// The UART receiver; the interrupt handler borrows it.
static UART: Mutex<RefCell<Option<SimUart<RX_CAP>>>> = Mutex::new(RefCell::new(None));
/// The session key. A `static`, so it never moves; the only other copy is
/// the short-lived `MasterKey` (wiped on drop) while a stream is opened.
/// Wiped by [`Command::WipeKey`] and before exit.
static SESSION_KEY: Mutex<RefCell<SecureBuf<32>>> = Mutex::new(RefCell::new(SecureBuf::new()));

/// Line buffer the simulated host writes the session into.
const LINE_CAP: usize = 256;

/// The UART receive interrupt (PendSV stands in for the UART's vector,
/// which needs a device crate).
#[exception]
fn PendSV() {
    interrupt::free(|cs| {
        if let Some(uart) = UART.borrow(cs).borrow_mut().as_mut() {
            uart.on_interrupt();
        }
    });
}

/// What the device keeps between commands.
struct Device {
    readings: u16,
    /// The open telemetry stream; holds the stream key derived from the
    /// session key (wiped when the writer is dropped).
    telemetry: Option<container::Writer>,
}

/// Output of one telemetry step: the larger of a sealed sample frame (frame
/// header, sample, tag) and what `finish` writes (the empty final frame and
/// the end section, which has no index here).
const SEALED_FRAME: usize = max(
    TELEMETRY.max_frame_len(),
    frame::encoded_len(TELEMETRY_CHECKSUM, TAG_LEN) + container::END_FIXED_LEN,
);

const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

/// Buffers for sealed frames, taken for one reply each and wiped as they go
/// back (as far as they were written). Two, though one is ever in use: the
/// spare shows a full pool is refused, not waited for.
static FRAMES: Pool<SEALED_FRAME, 2> = Pool::new();

/// Seals into a frame buffer from [`FRAMES`]: `seal` fills the buffer's free
/// room and returns the length it wrote.
fn sealed_frame(
    seal: impl FnOnce(&mut [u8]) -> Result<usize, Refusal>,
) -> Result<PoolBuf<'static, SEALED_FRAME>, Refusal> {
    let mut frame = FRAMES.try_acquire().ok_or(Refusal::Busy)?;
    let n = seal(frame.spare_mut())?;
    frame.advance(n).map_err(|_| Refusal::TooLarge)?;
    Ok(frame)
}

impl Device {
    /// A simulated reading (a real device samples its ADC here).
    fn read_sensors(&mut self) -> Sample {
        let seq = self.readings;
        self.readings = self.readings.wrapping_add(1);
        let step = i16::try_from(seq % 8).unwrap_or(0);
        Sample {
            seq,
            temp_centi_c: 2150 + 7 * step,
            vbat_mv: 3300u16.saturating_sub(seq.saturating_mul(3)),
        }
    }

    /// Carries out one command; sends its replies through `send`.
    fn handle(&mut self, command: Command, send: &mut impl FnMut(&Reply<'_>)) {
        match command {
            Command::Ping { seq } => send(&Reply::Pong { seq }),
            Command::ReadSensors => send(&Reply::Sensors(self.read_sensors())),
            Command::WipeKey => {
                interrupt::free(|cs| SESSION_KEY.borrow(cs).borrow_mut().clear());
                // The stream key came from the session key: it goes too.
                self.telemetry = None;
                defmt::info!("session key wiped");
                send(&Reply::Done);
            }
            Command::StartTelemetry { stream_nonce } => match self.start_telemetry(stream_nonce) {
                Ok(preamble) => send(&Reply::Sealed(&preamble)),
                Err(refusal) => send(&Reply::Refused(refusal)),
            },
            Command::SendTelemetry { samples } => {
                for _ in 0..samples {
                    let sample = self.read_sensors();
                    match sealed_frame(|out| self.seal_sample(&sample, out)) {
                        Ok(frame) => {
                            defmt::info!("sealed {}", sample);
                            send(&Reply::Sealed(frame.as_slice()));
                        }
                        Err(refusal) => {
                            send(&Reply::Refused(refusal));
                            break;
                        }
                    }
                }
            }
            Command::FinishTelemetry => match sealed_frame(|out| self.finish_telemetry(out)) {
                Ok(frame) => send(&Reply::Sealed(frame.as_slice())),
                Err(refusal) => send(&Reply::Refused(refusal)),
            },
            Command::Shutdown => send(&Reply::Done),
        }
    }

    /// Opens a sealed stream under the session key; returns its preamble
    /// (header and stream nonce).
    fn start_telemetry(
        &mut self,
        stream_nonce: [u8; 16],
    ) -> Result<[u8; container::SEALED_PREAMBLE_LEN], Refusal> {
        if self.telemetry.is_some() {
            return Err(Refusal::StreamOpen);
        }
        let master = interrupt::free(|cs| {
            let key = SESSION_KEY.borrow(cs).borrow();
            if key.is_empty() {
                None
            } else {
                MasterKey::from_slice(key.as_slice()).ok()
            }
        })
        .ok_or(Refusal::NoKey)?;
        let mut writer = container::Writer::new_sealed(TELEMETRY, &master, stream_nonce)
            .map_err(|_| Refusal::Seal)?;
        drop(master); // wiped
        let mut preamble = [0u8; container::SEALED_PREAMBLE_LEN];
        writer.start(&mut preamble).map_err(|_| Refusal::Seal)?;
        defmt::info!("telemetry stream opened: {}", writer.config());
        self.telemetry = Some(writer);
        Ok(preamble)
    }

    /// Seals one reading into the open stream; returns the frame length.
    fn seal_sample(&mut self, sample: &Sample, out: &mut [u8]) -> Result<usize, Refusal> {
        let writer = self.telemetry.as_mut().ok_or(Refusal::NoStream)?;
        let mut plain = [0u8; 16];
        let n = message::to_payload(sample, &mut plain).map_err(|_| Refusal::TooLarge)?;
        let plain = plain.get(..n).ok_or(Refusal::TooLarge)?;
        writer.encode_frame(plain, out).map_err(|_| Refusal::Seal)
    }

    /// Seals the (empty) final frame, writes the end section and closes the
    /// stream; returns the length written.
    fn finish_telemetry(&mut self, out: &mut [u8]) -> Result<usize, Refusal> {
        let mut writer = self.telemetry.take().ok_or(Refusal::NoStream)?;
        let n = writer.finish(out).map_err(|_| Refusal::Seal)?;
        defmt::info!("telemetry stream finished");
        Ok(n)
    }
}

#[entry]
fn main() -> ! {
    fw::stack::paint();
    defmt::info!("secstream firmware example");

    interrupt::free(|cs| {
        let mut key = SESSION_KEY.borrow(cs).borrow_mut();
        key.clear();
        defmt::unwrap!(key.put_raw(&EXAMPLE_KEY));
        defmt::info!(
            "session key loaded: {=usize} bytes in a SecureBuf",
            key.len()
        );
    });

    // The host writes the whole session onto the line.
    let line = defmt::unwrap!(cortex_m::singleton!(: [u8; LINE_CAP] = [0; LINE_CAP]));
    let line_len = defmt::unwrap!(Peer::script(line));
    let line: &'static [u8] = line.get(..line_len).unwrap_or_default();
    defmt::info!("host: {=usize} bytes on the line", line_len);

    let (producer, mut consumer) = defmt::unwrap!(RX.try_split());
    interrupt::free(|cs| UART.borrow(cs).replace(Some(SimUart::new(line, producer))));

    let mut decoder = cobs::Decoder::new(LINK_CHECKSUM, MAX_PAYLOAD as u32, [0u8; MAX_FRAME]);
    let mut device = Device {
        readings: 0,
        telemetry: None,
    };
    let mut host = Peer::new();
    let mut tx = [0u8; MAX_FRAME];
    let mut stats = Stats::default();
    let mut verdict = Ok(());
    let mut shutdown = false;

    // Sends one reply frame to the host, which reads it at once.
    let mut send = |reply: &Reply<'_>| match link::encode(reply, &mut tx) {
        Ok(n) => {
            match reply {
                Reply::Sealed(bytes) => {
                    defmt::info!("tx Sealed {=[u8]:02x} ({=usize} bytes)", bytes, n)
                }
                other => defmt::info!("tx {} ({=usize} bytes)", other, n),
            }
            match host.receive(tx.get_mut(..n).unwrap_or_default()) {
                Ok(got) if got == *reply => {}
                Ok(_) => {
                    defmt::error!("host: reply changed on the way");
                    verdict = Err(());
                }
                Err(e) => {
                    defmt::error!("host: {}", e);
                    verdict = Err(());
                }
            }
        }
        Err(e) => {
            defmt::error!("reply not sent: {}", e);
            verdict = Err(());
        }
    };

    while !shutdown {
        let grant = match consumer.read() {
            Ok(grant) => grant,
            Err(_) => {
                let idle = interrupt::free(|cs| {
                    UART.borrow(cs)
                        .borrow()
                        .as_ref()
                        .is_none_or(SimUart::is_idle)
                });
                if idle {
                    defmt::warn!("line idle without a shutdown");
                    break;
                }
                // Wait for the next receive interrupt.
                SCB::set_pendsv();
                continue;
            }
        };
        let mut input: &[u8] = &grant;
        stats.bytes += input.len();
        while !input.is_empty() && !shutdown {
            let consumed = match decoder.feed(input) {
                Feed::NeedMore => input.len(),
                Feed::Frame { payload, consumed } => {
                    stats.frames += 1;
                    match message::decode_message::<Command>(payload) {
                        Ok(command) => {
                            defmt::info!("rx {}", command);
                            shutdown = command == Command::Shutdown;
                            device.handle(command, &mut send);
                        }
                        Err(_) => {
                            defmt::warn!("rx frame holds no command");
                            send(&Reply::Refused(Refusal::Malformed));
                        }
                    }
                    consumed
                }
                Feed::Rejected { error, consumed } => {
                    stats.rejected += 1;
                    defmt::warn!("rx frame dropped: {}", error);
                    consumed
                }
            };
            input = input.get(consumed..).unwrap_or_default();
        }
        let n = grant.len();
        grant.release(n);
    }

    interrupt::free(|cs| SESSION_KEY.borrow(cs).borrow_mut().clear());
    defmt::info!(
        "link: {=usize} bytes, {=usize} frames, {=usize} dropped; host read {=usize} replies",
        stats.bytes,
        stats.frames,
        stats.rejected,
        host.replies()
    );
    match host.open_telemetry() {
        Ok(samples) if samples == usize::from(peer::SEALED_SAMPLES) => defmt::info!(
            "host: {=usize} samples opened, final frame authenticated",
            samples
        ),
        Ok(samples) => {
            defmt::error!("host: {=usize} samples opened", samples);
            verdict = Err(());
        }
        Err(e) => {
            defmt::error!("host: telemetry: {}", e);
            verdict = Err(());
        }
    }
    if !shutdown || stats.rejected != 2 || stats.frames != peer::COMMANDS.len() {
        defmt::error!("session did not go as the host expected");
        verdict = Err(());
    }
    // Differs between cores: the snapshot test leaves this line out.
    defmt::info!("stack peak: {=usize} bytes", fw::stack::peak());
    let code = if verdict.is_ok() { 0 } else { 1 };
    defmt::info!("exit {=i32}", code);
    fw::exit(code)
}

/// Counters of the receive path.
#[derive(Default)]
struct Stats {
    bytes: usize,
    frames: usize,
    rejected: usize,
}
