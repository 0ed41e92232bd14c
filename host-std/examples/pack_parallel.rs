//! Packs a file, sealed, into nothing with the worker pipeline and prints the
//! time taken: `cargo run --release -p secstream --example pack_parallel --
//! FILE THREADS [lz4|deflate1|none]`. Run it under the shell's `time` to see the
//! CPU time next to the wall time (how well the workers use the cores).

use std::io::{self, Write};
use std::time::Instant;

use secstream::compress::Compression;
use secstream::container_io::ContainerOptions;
use secstream::pipeline::ChunkMode;
use secstream::seal::MasterKey;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: pack_parallel FILE THREADS [lz4|deflate1|none]")?;
    let threads: usize = args.next().ok_or("THREADS missing")?.parse()?;
    let (compression, level) = match args.next().as_deref() {
        None | Some("lz4") => (Compression::Lz4, 6),
        Some("deflate1") => (Compression::Deflate, 1),
        Some("none") => (Compression::None, 6),
        Some(other) => return Err(format!("unknown compression {other}").into()),
    };
    let data = std::fs::read(&path)?;
    let key = MasterKey::generate()?;
    let start = Instant::now();
    let mut w = ContainerOptions::new()
        .compression(compression)
        .level(level)
        .parallel_sealed_writer(io::sink(), &key, ChunkMode::from_threads(threads))?;
    w.write_all(&data)?;
    w.finish()?;
    let secs = start.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a rate to print")]
    let mb = data.len() as f64 / 1e6;
    println!("{threads} thread(s): {secs:.3} s, {:.1} MB/s", mb / secs);
    Ok(())
}
