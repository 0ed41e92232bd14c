//! `secstream cat FILE [--range OFFSET:LEN]`: a container's data, or a range of it, to
//! stdout. With an index (the default of `pack`), only the frames that hold the range
//! are read, checked and opened (and, sealed, the final frame, authenticated when the
//! file is opened); without one, the frames before the range are read and checked in
//! order. Frames outside the range are not checked: `verify` checks a whole file.

use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use clap::Args;
use secstream::file_stream::{FileStreamOptions, ReadAt};
use secstream::passphrase::ENVELOPE_LEN;
use zeroize::Zeroizing;

use crate::exit::{Failure, Result};
use crate::keys::KeyArgs;
use crate::names::is_stdin;
use crate::options::parse_bytes;
use crate::passphrase;
use crate::progress::{Progress, Verbosity};

#[derive(Args, Debug)]
pub(crate) struct CatArgs {
    /// Input container (a file: reading a range needs to seek)
    input: PathBuf,
    /// Bytes of the data to write: OFFSET:LEN, or OFFSET: for the rest (suffixes K, M, G)
    #[arg(long, value_parser = parse_range, value_name = "OFFSET:LEN")]
    range: Option<Range>,
    /// Master key of a sealed container, or the passphrase of a protected one
    #[command(flatten)]
    key: KeyArgs,
}

/// A file read from `base` on: the container after a passphrase envelope.
struct After {
    file: std::fs::File,
    base: u64,
}

impl ReadAt for After {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match offset.checked_add(self.base) {
            Some(at) => self.file.read_at(buf, at),
            None => Ok(0),
        }
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.file.size()?.saturating_sub(self.base))
    }
}

/// `--range`: an offset and a length (`None`: to the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Range {
    offset: u64,
    len: Option<u64>,
}

/// Parses `OFFSET:LEN` or `OFFSET:`.
fn parse_range(s: &str) -> std::result::Result<Range, String> {
    let (off, len) = s
        .split_once(':')
        .ok_or_else(|| format!("a range is OFFSET:LEN or OFFSET:, not {s:?}"))?;
    let offset = parse_bytes(off)?;
    let len = if len.trim().is_empty() {
        None
    } else {
        Some(parse_bytes(len)?)
    };
    Ok(Range { offset, len })
}

pub(crate) fn cat(a: &CatArgs, v: Verbosity) -> Result<()> {
    let name = a.input.display().to_string();
    if is_stdin(&a.input) {
        return Err(Failure::usage(
            "cat",
            "reads a file, not stdin (use `unpack -c` for stdin)",
        ));
    }
    // As every other command: a directory is a usage error, not an i/o one. A pipe or
    // device has no size to find the end section by: not "container truncated".
    if let Ok(m) = std::fs::metadata(&a.input) {
        if m.is_dir() {
            return Err(Failure::usage(format!("input {name}"), "is a directory"));
        }
        if !m.is_file() {
            return Err(Failure::usage(
                format!("input {name}"),
                "is not a regular file: cat reads at offsets (use `unpack -c` for a pipe)",
            ));
        }
    }
    let file = std::fs::File::open(&a.input)
        .map_err(|e| Failure::io(format!("cannot open {name}"), &e))?;
    let envelope = passphrase::envelope_of_file(&file, &name)?;
    let by_pass = envelope.is_some();
    let key = a
        .key
        .for_input(envelope.as_ref(), &name, by_pass, v == Verbosity::Verbose)?;
    let what = format!("cat {name}");
    let base = if by_pass { ENVELOPE_LEN as u64 } else { 0 };
    let src = After { file, base };
    let mut fs = FileStreamOptions::new()
        .open_source(src, key)
        .map_err(|e| match e {
            secstream::Error::Io(io) => Failure::io(format!("cannot open {name}"), &io),
            other => Failure::lib(&what, &other).by_passphrase(by_pass),
        })?;
    if by_pass && !fs.header().config.sealed {
        return Err(passphrase::not_sealed(&what));
    }
    let size = fs.size();
    let (offset, len) = match a.range {
        None => (0, size),
        Some(r) => {
            let len = r.len.unwrap_or(size.saturating_sub(r.offset));
            if r.offset.checked_add(len).is_none_or(|end| end > size) {
                return Err(Failure::usage(
                    format!("cat {name} --range {}:{len}", r.offset),
                    format!("past the end of the data ({size} bytes)"),
                ));
            }
            (r.offset, len)
        }
    };
    let read_failure =
        |e: io::Error| Failure::lib(&what, &secstream::Error::from(e)).by_passphrase(by_pass);
    if fs.has_index() {
        fs.seek(SeekFrom::Start(offset)).map_err(read_failure)?;
    } else {
        if v == Verbosity::Verbose && offset > 0 {
            crate::note!(
                "secstream: {name} has no index: reading the {offset} bytes before the range"
            );
        }
        // Skipped in place (`fill_buf`/`consume`): `io::copy` would copy the
        // plaintext through a stack buffer that is never wiped.
        let mut skip = offset;
        while skip > 0 {
            let avail = fs.fill_buf().map_err(read_failure)?.len();
            if avail == 0 {
                break; // the loop below reports the stream short
            }
            let n = usize::try_from(skip).unwrap_or(usize::MAX).min(avail);
            fs.consume(n);
            skip -= n as u64;
        }
    }
    let progress = Progress::new(&what, Some(len), v);
    let mut out = io::stdout().lock();
    let mut buf = Zeroizing::new(vec![0u8; 256 * 1024]);
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let n = fs
            .read(buf.get_mut(..want).unwrap_or_default())
            .map_err(read_failure)?;
        if n == 0 {
            // The end section gave the size: the data cannot end before it.
            return Err(Failure::lib(
                &what,
                &secstream::Error::Container(secstream::container::Error::Truncated),
            ));
        }
        out.write_all(buf.get(..n).unwrap_or_default())
            .map_err(|e| Failure::io("writing stdout", &e))?;
        left -= n as u64;
        progress.add(n as u64);
    }
    out.flush().map_err(|e| Failure::io("writing stdout", &e))?;
    progress.finish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(
            parse_range("4096:1K"),
            Ok(Range {
                offset: 4096,
                len: Some(1024)
            })
        );
        assert_eq!(
            parse_range("1M:"),
            Ok(Range {
                offset: 1 << 20,
                len: None
            })
        );
        for bad in ["", "12", ":5", "a:b", "1:x", "-1:2"] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }
}
