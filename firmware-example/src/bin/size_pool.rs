//! Size probe: the static buffer pool. Slots of a `Pool` in a `static` are
//! taken in the main loop and in an interrupt handler (PendSV), written with
//! the SSH codec and given back, wiped up to their high-water marks.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::sync::atomic::{AtomicUsize, Ordering};

use cortex_m::peripheral::SCB;
use cortex_m_rt::exception;
use secstream_core::pool::Pool;
use secstream_firmware_example as fw;

static FRAMES: Pool<256, 2> = Pool::new();
/// What the handler wrote, for the main loop to log.
static IN_HANDLER: AtomicUsize = AtomicUsize::new(0);

/// Takes the slot the main loop left free, while the main loop holds the
/// other one.
#[exception]
fn PendSV() {
    if let Some(mut frame) = FRAMES.try_acquire() {
        if frame.put_u32(black_box(7)).is_ok() && frame.put_string(black_box(b"irq")).is_ok() {
            IN_HANDLER.store(frame.len(), Ordering::Relaxed);
        }
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    fw::stack::paint();
    let mut frame = defmt::unwrap!(FRAMES.try_acquire());
    defmt::unwrap!(frame.put_u8(black_box(50)));
    defmt::unwrap!(frame.put_string(black_box(b"ssh-userauth")));
    SCB::set_pendsv();
    cortex_m::asm::isb();
    defmt::info!(
        "main {=usize} bytes, handler {=usize}, {=usize} free",
        frame.len(),
        IN_HANDLER.load(Ordering::Relaxed),
        FRAMES.available()
    );
    drop(frame);
    defmt::info!("stack peak: {=usize} bytes", fw::stack::peak());
    fw::exit(0)
}
