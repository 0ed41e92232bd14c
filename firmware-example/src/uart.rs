//! A simulated UART receiver: the producer side of the split ring.
//!
//! QEMU's boards have UARTs, but nothing would type into them during a test.
//! [`SimUart`] stands in for the receive path of one: each receive interrupt
//! moves the next burst of bytes from a prepared line (what the host sent)
//! into the [`Producer`] half of an [`SpscRing`](secstream_core::spsc::SpscRing),
//! exactly what a real RX interrupt handler does with its FIFO. The main loop
//! owns the [`Consumer`](secstream_core::spsc::Consumer) half.
//!
//! Flow control is the handler's: when the ring is full the bytes stay on
//! the line until the next interrupt (hardware flow control), so the run is
//! the same every time.

use secstream_core::buf::SecureBuf;
use secstream_core::cobs::{self, Feed};
use secstream_core::spsc::{Consumer, Producer};

/// Bytes one receive interrupt moves: the depth of a typical UART RX FIFO.
pub const FIFO_DEPTH: usize = 16;

/// The receive side of a simulated UART.
pub struct SimUart<const N: usize> {
    line: &'static [u8],
    pos: usize,
    rx: Producer<'static, N>,
}

impl<const N: usize> SimUart<N> {
    /// A UART that will receive `line`, feeding the ring through `rx`.
    pub const fn new(line: &'static [u8], rx: Producer<'static, N>) -> Self {
        Self { line, pos: 0, rx }
    }

    /// The receive interrupt: moves up to [`FIFO_DEPTH`] bytes of the line
    /// into the ring, as many as it has room for. Returns how many.
    pub fn on_interrupt(&mut self) -> usize {
        let rest = self.line.get(self.pos..).unwrap_or_default();
        let burst = rest.get(..FIFO_DEPTH).unwrap_or(rest);
        let n = self.rx.write(burst);
        self.pos = self.pos.saturating_add(n);
        n
    }

    /// Whether every byte of the line has been received.
    pub fn is_idle(&self) -> bool {
        self.pos >= self.line.len()
    }
}

/// Drains everything buffered in the ring through a resynchronising COBS
/// decoder and appends each accepted payload to `out`; rejected frames, and
/// payloads `out` has no room for, are logged and dropped. The receive path
/// the size probes measure.
pub fn drain_cobs_into<const N: usize, B: AsMut<[u8]>, const M: usize>(
    consumer: &mut Consumer<'_, N>,
    decoder: &mut cobs::Decoder<B>,
    out: &mut SecureBuf<M>,
) {
    while let Ok(grant) = consumer.read() {
        let mut input: &[u8] = &grant;
        while !input.is_empty() {
            let used = match decoder.feed(input) {
                Feed::NeedMore => input.len(),
                Feed::Frame { payload, consumed } => {
                    // `put_raw` fails only for want of room: a payload longer
                    // than what is left is dropped like a rejected frame (the
                    // line's input must never stop the firmware). Saying so
                    // here instead of printing the error keeps the SSH
                    // error's formatting out of the firmware (the sealing
                    // probe is within bytes of its flash budget).
                    if out.put_raw(payload).is_err() {
                        defmt::warn!(
                            "dropped: no room for a {=usize}-byte payload",
                            payload.len()
                        );
                    }
                    consumed
                }
                Feed::Rejected { error, consumed } => {
                    defmt::warn!("dropped: {}", error);
                    consumed
                }
            };
            input = input.get(used..).unwrap_or_default();
        }
        let len = grant.len();
        grant.release(len);
    }
}
