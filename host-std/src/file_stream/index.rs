//! The end section of a container read from its tail (wire contract section 4,
//! "Random access"), checked before anything in it is used.

use std::io;

use secstream_core::checksum::{ChecksumKind, Hasher};
use secstream_core::container::{
    self, Config, END_FIXED_LEN, END_MARK, EndField, INDEX_ENTRY_LEN, MAX_INDEX_ENTRIES,
};
use secstream_core::frame;
use secstream_core::seal::TAG_LEN;

use super::ReadAt;
use crate::Error;

/// Bytes of the index read at once while it is checked.
const INDEX_CHUNK: usize = 64 * 1024;

/// What the end section says, checked against the file's layout.
pub(crate) struct End {
    /// Frames in the stream.
    pub(crate) frames: u64,
    /// Plaintext bytes of the whole stream.
    pub(crate) plain_len: u64,
    /// Offset of the end mark (one past the last frame).
    pub(crate) end_at: u64,
    /// The frame offsets, when the stream has an index.
    pub(crate) index: Option<Index>,
}

/// Where each frame lies, in the file and in the plaintext.
pub(crate) struct Index {
    /// `frames + 1` entries: frame `i` starts at `file_off[i]`, the end mark at
    /// the last one.
    file_off: Vec<u64>,
    /// `frames + 1` entries: frame `i`'s plaintext starts at `plain_off[i]`, the
    /// last one is the plaintext length.
    plain_off: Vec<u64>,
}

/// One frame's place, from the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) frame: u64,
    pub(crate) file_off: u64,
    pub(crate) stored: u32,
    pub(crate) plain_off: u64,
    pub(crate) plain: u32,
}

impl Index {
    /// Frame `i`'s place; `None` past the last frame.
    pub(crate) fn slot(&self, i: u64, hlen: usize) -> Option<Slot> {
        let at = usize::try_from(i).ok()?;
        let (f0, f1) = (*self.file_off.get(at)?, *self.file_off.get(at + 1)?);
        let (p0, p1) = (*self.plain_off.get(at)?, *self.plain_off.get(at + 1)?);
        Some(Slot {
            frame: i,
            file_off: f0,
            // Both checked to fit in a u32 when the index was read.
            stored: u32::try_from(f1 - f0 - hlen as u64).ok()?,
            plain_off: p0,
            plain: u32::try_from(p1 - p0).ok()?,
        })
    }

    /// The frame whose plaintext holds byte `offset` (the last of several
    /// starting there, so never an empty one); `None` at or past the end.
    pub(crate) fn frame_at(&self, offset: u64) -> Option<u64> {
        if offset >= *self.plain_off.last()? {
            return None;
        }
        let i = self.plain_off.partition_point(|&p| p <= offset);
        Some(i.checked_sub(1)? as u64)
    }
}

fn read_exact<S: ReadAt + ?Sized>(src: &S, buf: &mut [u8], at: u64) -> Result<(), Error> {
    src.read_exact_at(buf, at).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::Container(container::Error::Truncated)
        } else {
            Error::Io(e)
        }
    })
}

/// `min(left, cap)` as a `usize`.
fn chunk_len(left: u64, cap: usize) -> usize {
    usize::try_from(left).map_or(cap, |l| l.min(cap))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut le = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        le.copy_from_slice(s);
    }
    u64::from_le_bytes(le)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut le = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        le.copy_from_slice(s);
    }
    u32::from_le_bytes(le)
}

/// Reads and checks the end section of the stream in `src` (`size` bytes, its
/// preamble `pre_len` bytes, its options `config`).
///
/// Checks: the end length and the end mark it points to (else the stream is
/// truncated), the CRC-32C over the whole section (before any entry is used),
/// the entry count (0 or the frame count) and the end length against it; with
/// an index, that every stored length is within the stream's bound (and at
/// least a tag when sealed), every plaintext length within `max_plain`, that the
/// frames end exactly at the end mark and their plaintexts sum to the total.
/// Memory: 16 bytes per frame for the offsets; the index is read in chunks.
pub(crate) fn read_end<S: ReadAt + ?Sized>(
    src: &S,
    size: u64,
    pre_len: usize,
    config: &Config,
) -> Result<End, Error> {
    let truncated = Error::Container(container::Error::Truncated);
    let pre_len = pre_len as u64;
    if size < pre_len + END_FIXED_LEN as u64 {
        return Err(truncated);
    }
    let mut tail = [0u8; 8];
    read_exact(src, &mut tail, size - 8)?;
    let end_len = u64::from(u32_at(&tail, 0));
    let crc = u32_at(&tail, 4);
    if end_len < END_FIXED_LEN as u64
        || (end_len - END_FIXED_LEN as u64) % INDEX_ENTRY_LEN as u64 != 0
        || end_len > size - pre_len
    {
        return Err(truncated);
    }
    let end_at = size - end_len;
    let mut fixed = [0u8; 28];
    read_exact(src, &mut fixed, end_at)?;
    if u32_at(&fixed, 0) != END_MARK {
        return Err(truncated);
    }
    let frames = u64_at(&fixed, 4);
    let plain_len = u64_at(&fixed, 12);
    let entries = u64_at(&fixed, 20);
    let index_bytes = end_len - END_FIXED_LEN as u64;

    // The CRC first: nothing of the section is trusted before it matches.
    let mut h = Hasher::new(ChecksumKind::Crc32c);
    h.update(&fixed);
    let mut chunk = vec![0u8; chunk_len(index_bytes, INDEX_CHUNK)];
    let mut at = 0u64;
    while at < index_bytes {
        let n = chunk_len(index_bytes - at, chunk.len());
        let part = chunk.get_mut(..n).unwrap_or_default();
        read_exact(src, part, end_at + 28 + at)?;
        h.update(part);
        at += n as u64;
    }
    h.update(&tail[..4]);
    if h.finish() != u64::from(crc) {
        return Err(Error::Container(container::Error::BadEndChecksum));
    }

    let mismatch = |f| Error::Container(container::Error::EndMismatch(f));
    if entries != 0 && entries != frames {
        return Err(mismatch(EndField::IndexEntries));
    }
    if entries > MAX_INDEX_ENTRIES
        || entries.checked_mul(INDEX_ENTRY_LEN as u64) != Some(index_bytes)
    {
        return Err(mismatch(EndField::EndLength));
    }
    let hlen = frame::header_len(config.checksum) as u64;
    // Every frame takes at least its header: a count the file cannot hold is forged.
    if frames > (end_at - pre_len) / hlen.max(1) {
        return Err(mismatch(EndField::FrameCount));
    }
    if config.sealed && frames == 0 {
        // A sealed stream ends with its final frame.
        return Err(truncated);
    }
    if entries == 0 && frames != 0 {
        return Ok(End {
            frames,
            plain_len,
            end_at,
            index: None,
        });
    }

    // The index: offsets, checked against the layout.
    let n = usize::try_from(frames).map_err(|_| mismatch(EndField::FrameCount))?;
    let mut file_off = Vec::new();
    let mut plain_off = Vec::new();
    let oom = || Error::Io(io::ErrorKind::OutOfMemory.into());
    file_off.try_reserve_exact(n + 1).map_err(|_| oom())?;
    plain_off.try_reserve_exact(n + 1).map_err(|_| oom())?;
    let (mut f, mut p) = (pre_len, 0u64);
    file_off.push(f);
    plain_off.push(p);
    let max_stored = config.max_stored() as u64;
    let min_stored = if config.sealed { TAG_LEN as u64 } else { 0 };
    let mut at = 0u64;
    let mut frame_no = 0u64;
    while at < index_bytes {
        let len = chunk_len(index_bytes - at, chunk.len());
        let part = chunk.get_mut(..len).unwrap_or_default();
        read_exact(src, part, end_at + 28 + at)?;
        for e in part.chunks_exact(INDEX_ENTRY_LEN) {
            let stored = u64::from(u32_at(e, 0));
            let plain = u64::from(u32_at(e, 4));
            if stored > max_stored {
                return Err(Error::Container(container::Error::FrameTooLong {
                    frame: frame_no,
                }));
            }
            if stored < min_stored || plain > u64::from(config.max_plain) {
                return Err(mismatch(EndField::Index));
            }
            f = f.saturating_add(hlen + stored);
            p = p.saturating_add(plain);
            if f > end_at {
                return Err(mismatch(EndField::Index));
            }
            file_off.push(f);
            plain_off.push(p);
            frame_no += 1;
        }
        at += len as u64;
    }
    if f != end_at {
        return Err(mismatch(EndField::Index));
    }
    if p != plain_len {
        return Err(mismatch(EndField::PlainLength));
    }
    Ok(End {
        frames,
        plain_len,
        end_at,
        index: Some(Index {
            file_off,
            plain_off,
        }),
    })
}
