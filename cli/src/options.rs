//! Container options on the command line: `--checksum`, `--compress`, `--frame-size`.

use clap::ValueEnum;
use secstream::checksum::ChecksumKind;
use secstream::compress::Compression;
use secstream::container::DEFAULT_READ_LIMIT;

/// Largest `--frame-size`: what every reader accepts by default, so any container the
/// CLI writes reads everywhere (host, CLI, browser) without raising a limit.
pub(crate) const MAX_FRAME_SIZE: u32 = DEFAULT_READ_LIMIT;

/// `--compress` values (wire contract section 4).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Compress {
    None,
    Deflate,
    Lz4,
}

impl From<Compress> for Compression {
    fn from(c: Compress) -> Self {
        match c {
            Compress::None => Self::None,
            Compress::Deflate => Self::Deflate,
            Compress::Lz4 => Self::Lz4,
        }
    }
}

/// `--checksum` values (wire contract section 1).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Checksum {
    None,
    Crc16,
    Crc32,
    Crc32c,
    Xxh3,
}

impl From<Checksum> for ChecksumKind {
    fn from(c: Checksum) -> Self {
        match c {
            Checksum::None => Self::None,
            Checksum::Crc16 => Self::Crc16,
            Checksum::Crc32 => Self::Crc32,
            Checksum::Crc32c => Self::Crc32c,
            Checksum::Xxh3 => Self::Xxh3,
        }
    }
}

/// Parses `4096`, `64K`, `64KiB`, `1M`, `1MiB` (binary multiples) to a byte count.
///
/// # Errors
/// Not a number, an unknown unit, or an overflow.
pub(crate) fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("not a size: {s:?}"))?;
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1024,
        "m" | "mib" | "mb" => 1024 * 1024,
        "g" | "gib" | "gb" => 1024 * 1024 * 1024,
        other => return Err(format!("unknown size unit {other:?} (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size too large: {s}"))
}

/// A `--frame-size`: 1 byte to 16 MiB.
///
/// # Errors
/// As [`parse_bytes`], or outside the range.
pub(crate) fn parse_frame_size(s: &str) -> Result<u32, String> {
    let bytes = parse_bytes(s)?;
    if bytes == 0 || bytes > u64::from(MAX_FRAME_SIZE) {
        return Err(format!(
            "frame size must be 1 byte to 16 MiB (the default read limit), not {bytes}"
        ));
    }
    u32::try_from(bytes).map_err(|_| format!("size too large: {s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_frame_size("4096"), Ok(4096));
        assert_eq!(parse_frame_size("64K"), Ok(64 * 1024));
        assert_eq!(parse_frame_size("64KiB"), Ok(64 * 1024));
        assert_eq!(parse_frame_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_frame_size("16M"), Ok(16 << 20));
        assert_eq!(parse_bytes("2G"), Ok(2 << 30));
        for bad in [
            "",
            "0",
            "17M",
            "16777217",
            "1G",
            "K",
            "-1",
            "99999999999999999999",
            "1.5M",
        ] {
            assert!(parse_frame_size(bad).is_err(), "{bad}");
        }
    }
}
