//! `secstream`: pack files into checksummed, optionally compressed and sealed containers
//! (wire contract section 4), and check, inspect and unpack them.
//!
//! ```text
//! secstream keygen key.bin
//! secstream pack big.iso -o big.sst --checksum crc32c --deflate --key-file key.bin
//! secstream verify big.sst                      # checksums and structure, no key
//! secstream verify big.sst --key-file key.bin   # authenticity too
//! secstream unpack big.sst -o big.iso --key-file key.bin
//! secstream inspect big.sst
//! ```
//!
//! Input `-` (or none) is stdin, output `-` (or none) is stdout. A file output is written
//! to a temporary file in the same directory and renamed into place only when everything
//! succeeded, so a failed `unpack` (wrong key, a modified or truncated container) leaves
//! no partial output behind. Unpacking to stdout releases each frame once it is checked
//! (and authenticated), so a failure there ends the output early and exits non-zero.
//!
//! Errors are one line on stderr, `secstream: <what>: <why>`, and exit code 1 (2 for
//! usage errors).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use secstream::checksum::ChecksumKind;
use secstream::frame_io::{self, ContainerConfig, FrameReader, FrameWriter};
use secstream::seal::{KEY_LEN, MasterKey};
use zeroize::Zeroizing;

/// Largest `--frame-size`.
const MAX_FRAME_SIZE: u32 = 16 * 1024 * 1024;
/// Largest maximum frame length a container may declare to be read (frame size plus the
/// deflate and tag overhead fits with room to spare).
const READ_LIMIT: u32 = 2 * MAX_FRAME_SIZE;
/// Inputs at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_MIN: u64 = 32 * 1024 * 1024;

#[derive(Parser)]
#[command(
    name = "secstream",
    version,
    about = "Pack files into checksummed, compressed and sealed secstream containers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a new random 32-byte master key to a file (mode 0600 on Unix)
    Keygen {
        /// The key file to create
        key_file: PathBuf,
        /// Overwrite the key file if it exists
        #[arg(long)]
        force: bool,
    },
    /// Pack a file (or stdin) into a container
    Pack {
        /// Input file, `-` for stdin
        #[arg(default_value = "-")]
        input: PathBuf,
        /// Output container, `-` for stdout
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
        /// Checksum of every frame
        #[arg(long, value_enum, default_value_t = Checksum::Crc32c)]
        checksum: Checksum,
        /// Compress every frame with deflate
        #[arg(long)]
        deflate: bool,
        /// Deflate level, 0 (store) to 10 (best)
        #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u8).range(0..=10))]
        level: u8,
        /// Seal (encrypt and authenticate) with the 32-byte master key in this file
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// Bytes of input per frame (suffixes K, KiB, M, MiB), at most 16 MiB
        #[arg(long, default_value = "1MiB", value_parser = parse_size)]
        frame_size: u32,
        /// Overwrite the output file if it exists
        #[arg(long)]
        force: bool,
    },
    /// Unpack a container to a file (or stdout); nothing is left behind on failure
    Unpack {
        /// Input container, `-` for stdin
        #[arg(default_value = "-")]
        input: PathBuf,
        /// Output file, `-` for stdout
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
        /// Master key of a sealed container
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// Overwrite the output file if it exists
        #[arg(long)]
        force: bool,
    },
    /// Check a container: checksums and structure; with --key-file also authenticity
    Verify {
        /// Input container, `-` for stdin
        #[arg(default_value = "-")]
        input: PathBuf,
        /// Master key: also authenticate and decrypt every frame, and detect truncation
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Show a container's header, frame count and frame sizes (checks checksums too)
    Inspect {
        /// Input container, `-` for stdin
        #[arg(default_value = "-")]
        input: PathBuf,
        /// List the stored size of every frame
        #[arg(long)]
        frames: bool,
    },
}

/// `--checksum` values (wire contract section 1).
#[derive(Clone, Copy, ValueEnum)]
enum Checksum {
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

/// Parses `4096`, `64K`, `64KiB`, `1M`, `1MiB` (binary multiples), 1 byte to 16 MiB.
fn parse_size(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("not a size: {s:?}"))?;
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1024,
        "m" | "mib" | "mb" => 1024 * 1024,
        other => return Err(format!("unknown size unit {other:?} (use K or M)")),
    };
    let bytes = n
        .checked_mul(mult)
        .ok_or_else(|| format!("size too large: {s}"))?;
    if bytes == 0 || bytes > u64::from(MAX_FRAME_SIZE) {
        return Err(format!("frame size must be 1 byte to 16 MiB, not {bytes}"));
    }
    u32::try_from(bytes).map_err(|_| format!("size too large: {s}"))
}

/// A failure, printed as `secstream: <what>: <why>`.
struct Failure {
    what: String,
    why: String,
}

impl Failure {
    fn new(what: impl fmt::Display, why: impl fmt::Display) -> Self {
        Self {
            what: what.to_string(),
            why: why.to_string(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "secstream: {}: {}", self.what, self.why)
    }
}

type Result<T, E = Failure> = std::result::Result<T, E>;

fn main() -> ExitCode {
    // Bugs must not print a backtrace at the user either: one line, like every error.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("secstream: internal error: {info}");
    }));
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{f}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Keygen { key_file, force } => keygen(&key_file, force),
        Command::Pack {
            input,
            output,
            checksum,
            deflate,
            level,
            key_file,
            frame_size,
            force,
        } => {
            let mut config = ContainerConfig::new(checksum.into(), frame_size);
            if deflate {
                config = config.with_deflate(level);
            }
            pack(&input, &output, config, key_file.as_deref(), force)
        }
        Command::Unpack {
            input,
            output,
            key_file,
            force,
        } => unpack(&input, &output, key_file.as_deref(), force),
        Command::Verify { input, key_file } => verify(&input, key_file.as_deref()),
        Command::Inspect { input, frames } => inspect(&input, frames),
    }
}

fn is_std(p: &Path) -> bool {
    p.as_os_str() == "-"
}

fn name(p: &Path) -> String {
    if is_std(p) {
        "stdin".to_owned()
    } else {
        p.display().to_string()
    }
}

// ---------------------------------------------------------------- keys

fn keygen(path: &Path, force: bool) -> Result<()> {
    let what = || format!("keygen {}", path.display());
    if is_std(path) {
        return Err(Failure::new(what(), "a key goes to a file, not stdout"));
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::fill(key.as_mut())
        .map_err(|e| Failure::new(what(), format!("random generator failed: {e}")))?;
    let mut out = AtomicFile::create(path, force, true).map_err(|e| Failure::new(what(), e))?;
    out.file()
        .and_then(|f| f.write_all(key.as_ref()))
        .map_err(|e| Failure::new(what(), e))?;
    out.commit().map_err(|e| Failure::new(what(), e))?;
    eprintln!("secstream: wrote a new 32-byte key to {}", path.display());
    Ok(())
}

fn read_key(path: &Path) -> Result<MasterKey> {
    let what = || format!("key file {}", path.display());
    let file = File::open(path).map_err(|e| Failure::new(what(), e))?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(KEY_LEN + 1));
    file.take(KEY_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::new(what(), e))?;
    if bytes.len() != KEY_LEN {
        let found = if bytes.len() > KEY_LEN {
            "more".to_owned()
        } else {
            bytes.len().to_string()
        };
        return Err(Failure::new(
            what(),
            format!(
                "must hold exactly {KEY_LEN} bytes (it holds {found}); create one with `secstream keygen`"
            ),
        ));
    }
    MasterKey::from_slice(&bytes).map_err(|e| Failure::new(what(), e))
}

// ---------------------------------------------------------------- files

/// An output file written under a temporary name in the same directory and renamed into
/// place by [`commit`](Self::commit); removed if dropped before.
struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Creates the temporary file; fails if `dest` exists and `force` is off. `private`
    /// makes it readable by the owner only (mode 0600 on Unix).
    fn create(dest: &Path, force: bool, private: bool) -> io::Result<Self> {
        if !force && fs::symlink_metadata(dest).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "file exists (use --force to overwrite)",
            ));
        }
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".to_owned());
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(if private { 0o600 } else { 0o666 });
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut last = None;
        for _ in 0..8 {
            let mut r = [0u8; 6];
            getrandom::fill(&mut r).map_err(|e| io::Error::other(e.to_string()))?;
            let tag: String = r.iter().map(|b| format!("{b:02x}")).collect();
            let tmp = dir.join(format!(".{base}.{tag}.tmp"));
            match opts.open(&tmp) {
                Ok(file) => {
                    return Ok(Self {
                        tmp,
                        dest: dest.to_path_buf(),
                        file: Some(file),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("cannot create a temporary file")))
    }

    fn file(&mut self) -> io::Result<&mut File> {
        // Only `commit` takes the file, and it consumes `self`.
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("output already committed"))
    }

    /// Syncs the data and renames the file into place.
    fn commit(mut self) -> io::Result<()> {
        if let Some(f) = self.file.take() {
            f.sync_all()?;
        }
        fs::rename(&self.tmp, &self.dest)?;
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        self.file.take();
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Where output goes: stdout, or an [`AtomicFile`].
enum Output {
    Stdout(io::StdoutLock<'static>),
    File(AtomicFile),
}

impl Output {
    fn open(path: &Path, force: bool, private: bool) -> Result<Self> {
        if is_std(path) {
            Ok(Self::Stdout(io::stdout().lock()))
        } else {
            AtomicFile::create(path, force, private)
                .map(Self::File)
                .map_err(|e| Failure::new(format!("cannot create {}", path.display()), e))
        }
    }

    fn commit(self, path: &Path) -> Result<()> {
        match self {
            Self::Stdout(mut s) => s.flush().map_err(|e| Failure::new("writing stdout", e)),
            Self::File(f) => f
                .commit()
                .map_err(|e| Failure::new(format!("writing {}", path.display()), e)),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Stdout(s) => s.write(buf),
            Self::File(f) => f.file()?.write(buf),
        }
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Self::Stdout(s) => s.write_vectored(bufs),
            Self::File(f) => f.file()?.write_vectored(bufs),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Stdout(s) => s.flush(),
            Self::File(f) => f.file()?.flush(),
        }
    }
}

/// An input with a progress bar for large files on a terminal.
struct Input {
    inner: Box<dyn Read>,
    bar: ProgressBar,
}

impl Input {
    fn open(path: &Path) -> Result<Self> {
        if is_std(path) {
            return Ok(Self {
                inner: Box::new(io::stdin().lock()),
                bar: ProgressBar::hidden(),
            });
        }
        let file = File::open(path)
            .map_err(|e| Failure::new(format!("cannot open {}", path.display()), e))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let bar = if len >= PROGRESS_MIN && io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        Ok(Self {
            inner: Box::new(file),
            bar,
        })
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

// ---------------------------------------------------------------- commands

fn pack(
    input: &Path,
    output: &Path,
    config: ContainerConfig,
    key_file: Option<&Path>,
    force: bool,
) -> Result<()> {
    let key = key_file.map(read_key).transpose()?;
    if is_std(output) && io::stdout().is_terminal() {
        return Err(Failure::new(
            "pack",
            "refusing to write a binary container to a terminal (use -o FILE or a pipe)",
        ));
    }
    let mut src = Input::open(input)?;
    let out = Output::open(output, force, false)?;
    let what = format!("pack {}", name(input));
    let mut w = match &key {
        Some(k) => FrameWriter::sealed(out, config, k),
        None => FrameWriter::container(out, config),
    }
    .map_err(|e| Failure::new(&what, e))?;
    drop(key);

    let size = usize::try_from(config.max_payload_len).unwrap_or(usize::MAX);
    let mut chunk = Zeroizing::new(vec![0u8; size]);
    loop {
        let n = read_full(&mut src, &mut chunk)
            .map_err(|e| Failure::new(format!("reading {}", name(input)), e))?;
        if n == 0 {
            break;
        }
        w.write_frame(chunk.get(..n).unwrap_or_default())
            .map_err(|e| write_failure(&what, output, e))?;
        if n < chunk.len() {
            break;
        }
    }
    let out = w.finish().map_err(|e| write_failure(&what, output, e))?;
    out.commit(output)
}

/// A writer error: an i/o error is about the output, anything else about packing.
fn write_failure(what: &str, output: &Path, e: frame_io::Error) -> Failure {
    match e {
        frame_io::Error::Io(io) => Failure::new(
            if is_std(output) {
                "writing stdout".to_owned()
            } else {
                format!("writing {}", output.display())
            },
            io,
        ),
        other => Failure::new(what, other),
    }
}

/// A failure while unpacking: of the input (read or decode) or of the output.
enum UnpackError {
    Read(frame_io::Error),
    Write(io::Error),
}

impl From<frame_io::Error> for UnpackError {
    fn from(e: frame_io::Error) -> Self {
        Self::Read(e)
    }
}

fn open_reader(input: Input, key: Option<MasterKey>) -> FrameReader<Input> {
    match key {
        Some(k) => FrameReader::sealed(input, k),
        None => FrameReader::container(input),
    }
    .with_limit(READ_LIMIT)
}

fn unpack(input: &Path, output: &Path, key_file: Option<&Path>, force: bool) -> Result<()> {
    let key = key_file.map(read_key).transpose()?;
    let sealed = key.is_some();
    let src = Input::open(input)?;
    let mut r = open_reader(src, key);
    let what = format!("unpack {}", name(input));
    // Read the header before creating the output, so a wrong file fails early.
    r.read_header().map_err(|e| Failure::new(&what, e))?;
    // Plaintext of a sealed container is private to the owner.
    let mut out = Output::open(output, force, sealed)?;
    let res = r.process_all(|payload| out.write_all(payload).map_err(UnpackError::Write));
    match res {
        Ok(_) => out.commit(output),
        // `out` is dropped here: a temporary file is removed.
        Err(UnpackError::Read(e)) => Err(Failure::new(&what, e)),
        Err(UnpackError::Write(e)) => Err(Failure::new(
            if is_std(output) {
                "writing stdout".to_owned()
            } else {
                format!("writing {}", output.display())
            },
            e,
        )),
    }
}

fn verify(input: &Path, key_file: Option<&Path>) -> Result<()> {
    let key = key_file.map(read_key).transpose()?;
    let keyed = key.is_some();
    let src = Input::open(input)?;
    let mut r = match key {
        Some(k) => FrameReader::sealed(src, k),
        None => FrameReader::checker(src),
    }
    .with_limit(READ_LIMIT);
    let what = format!("verify {}", name(input));
    let mut bytes = 0u64;
    let frames = r
        .process_all(|p| {
            bytes += p.len() as u64;
            Ok::<(), frame_io::Error>(())
        })
        .map_err(|e| Failure::new(&what, e))?;
    let Some(h) = r.header().copied() else {
        return Err(Failure::new(&what, frame_io::Error::Truncated));
    };
    let checks = if h.checksum == ChecksumKind::None {
        "structure (no checksums in this container)".to_owned()
    } else {
        format!("{} checksums and structure", h.checksum)
    };
    let detail = match (h.flags.sealed, keyed) {
        (true, true) => format!(
            "{checks}, authenticity and completeness; {frames} frame(s), {bytes} bytes of data"
        ),
        (true, false) => format!(
            "{checks} of {frames} sealed frame(s); authenticity not checked (give --key-file)"
        ),
        (false, _) => format!(
            "{checks}; {frames} frame(s), {bytes} bytes of data (not sealed: no authenticity)"
        ),
    };
    println!("{}: ok: {detail}", name(input));
    Ok(())
}

fn inspect(input: &Path, list: bool) -> Result<()> {
    let src = Input::open(input)?;
    let mut r = FrameReader::verifier(src).with_limit(READ_LIMIT);
    let what = format!("inspect {}", name(input));
    let h = *r
        .read_header()
        .map_err(|e| Failure::new(&what, e))?
        .ok_or_else(|| Failure::new(&what, frame_io::Error::Truncated))?;
    let mut sizes: Vec<u64> = Vec::new();
    let res = r.process_all(|p| {
        sizes.push(p.len() as u64);
        Ok::<(), frame_io::Error>(())
    });
    let yes = |b: bool| if b { "yes" } else { "no" };
    let hlen = secstream::frame::header_len(h.checksum) as u64;
    let total: u64 = sizes.iter().map(|s| s + hlen).sum::<u64>() + h.preamble_len() as u64;
    let mut o = io::stdout().lock();
    let mut show = || -> io::Result<()> {
        writeln!(
            o,
            "container:      secstream v{}",
            secstream::container::VERSION
        )?;
        writeln!(o, "checksum:       {} (id {})", h.checksum, h.checksum.id())?;
        writeln!(o, "deflate:        {}", yes(h.flags.deflate))?;
        writeln!(o, "sealed:         {}", yes(h.flags.sealed))?;
        writeln!(o, "max frame len:  {} bytes", h.max_frame_len)?;
        let note = if h.flags.sealed {
            " (the last one is the end marker)"
        } else {
            ""
        };
        writeln!(o, "frames:         {}{note}", sizes.len())?;
        if let (Some(min), Some(max)) = (sizes.iter().min(), sizes.iter().max()) {
            writeln!(o, "frame sizes:    min {min}, max {max} bytes as stored")?;
        }
        writeln!(o, "size:           {total} bytes read")?;
        if list {
            for (i, s) in sizes.iter().enumerate() {
                writeln!(o, "frame {i}: {s} bytes")?;
            }
        }
        o.flush()
    };
    show().map_err(|e| Failure::new("writing stdout", e))?;
    res.map(|_| ()).map_err(|e| Failure::new(&what, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(64 * 1024));
        assert_eq!(parse_size("64KiB"), Ok(64 * 1024));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("16M"), Ok(16 << 20));
        for bad in [
            "",
            "0",
            "17M",
            "1G",
            "K",
            "-1",
            "99999999999999999999",
            "1.5M",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn failures_are_one_line() {
        let f = Failure::new("unpack x.sst", frame_io::Error::Authentication);
        assert_eq!(
            f.to_string(),
            "secstream: unpack x.sst: authentication failed (wrong key or modified data)"
        );
    }
}
