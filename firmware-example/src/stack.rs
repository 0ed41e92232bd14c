//! Stack high-water mark by painting: [`paint`] fills the free stack with a
//! pattern, [`peak`] finds the lowest word that no longer holds it.
//!
//! `arm-none-eabi-size` only sees statics; the buffers of a decoder, a
//! `SecureBuf` or a container writer usually live on the stack. The size
//! probes log their peak so the size report shows the RAM they really need.
//!
//! # Unsafe code
//! Painting writes below the stack pointer, to memory no Rust object owns
//! (between the end of the statics and the live stack); reading it back
//! reads that memory. Both go through raw addresses from the linker's
//! symbols, with interrupts masked while painting. This is the only unsafe
//! code of the firmware.
#![allow(unsafe_code)]

use core::ptr;

/// The fill pattern.
const PAINT: u32 = 0x5AFE_57AC;
/// Bytes left unpainted below the stack pointer, for the painting loop's
/// own calls.
const MARGIN: usize = 64;

// Symbols of cortex-m-rt's `link.x`: the top of the stack (initial SP) and
// its lowest address (the end of the statics).
unsafe extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

fn top() -> usize {
    ptr::addr_of!(_stack_start) as usize
}

fn bottom() -> usize {
    ptr::addr_of!(_stack_end) as usize
}

/// Fills the unused stack, from its lowest address up to 64 bytes
/// below the current stack pointer, with the pattern. Call it first thing in
/// `main`.
pub fn paint() {
    cortex_m::interrupt::free(|_| {
        let sp = cortex_m::register::msp::read() as usize;
        let end = sp.saturating_sub(MARGIN);
        let mut at = bottom();
        while at + 4 <= end {
            let word = ptr::with_exposed_provenance_mut::<u32>(at);
            // SAFETY: `at` is 4-byte aligned (cortex-m-rt aligns `_stack_end`
            // to 4) and lies between the end of the statics and MARGIN bytes
            // below the stack pointer, with interrupts masked: no live object
            // and no exception frame is there, and the RAM is mapped.
            unsafe { word.write_volatile(PAINT) };
            at += 4;
        }
    });
}

/// The most stack used since [`paint`], in bytes: from the top of the stack
/// down to the lowest word that lost the pattern. The whole stack if even
/// the lowest word was overwritten (an overflow into the statics would
/// already have happened).
pub fn peak() -> usize {
    let mut at = bottom();
    while at + 4 <= top() {
        let word = ptr::with_exposed_provenance::<u32>(at);
        // SAFETY: as in `paint`: an aligned address of the stack region,
        // which is mapped RAM; a volatile read of it has no side effect.
        if unsafe { word.read_volatile() } != PAINT {
            break;
        }
        at += 4;
    }
    top().saturating_sub(at)
}
