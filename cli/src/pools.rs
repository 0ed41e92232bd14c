//! Frame buffers for the worker pipeline, kept between frames.
//!
//! The library's default pool keeps about four frames' worth of idle buffers; with N
//! workers, about 2N frames are in flight, each with a plaintext and an encoded buffer,
//! so at N = 2 buffers were freed and mapped again for most frames (five to nine times
//! the page faults of one thread). This pool keeps what is in flight idle between
//! frames instead; memory stays bounded by the in-flight frames.

use secstream::container::DEFAULT_READ_LIMIT;
use secstream::pipeline::ChunkMode;
use secstream::pool::{BufferPool, Config};

/// A pool for a reader with the workers of `mode`: any frame up to the default read
/// limit (the stream's own size is known only once its header was read, after the pool
/// was given).
pub(crate) fn reader_pool(mode: ChunkMode) -> BufferPool {
    frame_pool(DEFAULT_READ_LIMIT, mode)
}

/// A pool for frames of up to `max_plain` bytes with the workers of `mode`. The idle
/// cap is a bound, not an allocation: only buffers that were in use are kept.
pub(crate) fn frame_pool(max_plain: u32, mode: ChunkMode) -> BufferPool {
    let plain = (max_plain as usize).next_power_of_two();
    // An encoded frame is a little longer than its plaintext: the next class up.
    let encoded = plain.saturating_mul(2);
    // In flight: 2 frames per thread, plus the one being filled and the one being
    // written, each a plaintext and an encoded buffer.
    let frames = 2 * mode.threads() + 2;
    BufferPool::new(
        Config::default()
            .min_size(4096)
            .max_size(encoded)
            .max_idle_bytes(frames.saturating_mul(plain + encoded)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use secstream::compress::Compression;
    use secstream::container::Config as StreamConfig;
    use secstream::container_io::ContainerOptions;
    use secstream::seal::MasterKey;

    #[test]
    fn every_frame_size_fits_its_pool() {
        let key = MasterKey::from_bytes(&[7; 32]);
        for size in [1u32, 4096, 1 << 20, (1 << 20) + 1, DEFAULT_READ_LIMIT] {
            for c in Compression::ALL {
                for mode in [ChunkMode::Sequential, ChunkMode::Parallel(4)] {
                    let o = ContainerOptions::new().compression(c).frame_size(size);
                    let w = o.parallel_sealed_writer(Vec::new(), &key, mode).unwrap();
                    assert!(w.with_pool(frame_pool(size, mode)).is_ok(), "{size} {c}");
                    let cfg = StreamConfig::new(secstream::checksum::ChecksumKind::Crc32c, size)
                        .with_compression(c)
                        .with_sealed(true);
                    assert!(reader_pool(mode).size_class(cfg.max_frame_len()).is_ok());
                }
            }
        }
    }
}
