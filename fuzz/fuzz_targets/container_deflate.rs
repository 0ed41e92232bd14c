//! Container reader (`container::Reader`, version 2) on deflate streams only,
//! so the corpus stays on the inflater: see `container_harness.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::compress::Compression;

#[path = "container_harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::fuzz(data, Some(Compression::Deflate)));
