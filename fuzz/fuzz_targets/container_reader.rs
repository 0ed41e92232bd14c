//! Container reader (`container::Reader`, version 2) with the compression
//! picked by the input (none, deflate or LZ4): see `container_harness.rs`
//! for the input layout and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "container_harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::fuzz(data, None));
