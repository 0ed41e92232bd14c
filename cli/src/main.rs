//! `secstream`: pack files into checksummed, optionally compressed and sealed containers
//! (wire contract section 4), and check, inspect and unpack them.
//!
//! ```text
//! secstream keygen key.bin
//! secstream pack big.iso -o big.sst --checksum crc32c --compress lz4 --key-file key.bin
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
use secstream::compress::Compression;
use secstream::container::DEFAULT_READ_LIMIT;
use secstream::container_io::{ContainerOptions, ContainerReader};
use secstream::seal::MasterKey;
use zeroize::Zeroizing;

mod store;

/// Largest `--frame-size`: what every reader accepts by default, so any container the
/// CLI writes reads everywhere (host, CLI, browser) without raising a limit.
const MAX_FRAME_SIZE: u32 = DEFAULT_READ_LIMIT;
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
        /// Compression of every frame: lz4 (fast), deflate (smaller, slower) or none
        #[arg(long, value_enum, default_value_t = Compress::Lz4)]
        compress: Compress,
        /// Deflate level, 0 (store) to 10 (best)
        #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u8).range(0..=10))]
        level: u8,
        /// Leave out the index of frames (the container is then not seekable)
        #[arg(long)]
        no_index: bool,
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
    /// The encrypted, versioned store: put|get|ls|stat|rm|versions DB PATH
    Store(store::StoreCmd),
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

/// `--compress` values (wire contract section 4).
#[derive(Clone, Copy, ValueEnum)]
enum Compress {
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
        return Err(format!(
            "frame size must be 1 byte to 16 MiB (the default read limit), not {bytes}"
        ));
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

    /// A failure whose reason is an error and its chain of sources, each printed once.
    fn chain(what: impl fmt::Display, e: &dyn std::error::Error) -> Self {
        let mut why = e.to_string();
        let mut src = e.source();
        while let Some(s) = src {
            why.push_str(": ");
            why.push_str(&s.to_string());
            src = s.source();
        }
        Self::new(what, why)
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
            compress,
            level,
            no_index,
            key_file,
            frame_size,
            force,
        } => {
            let options = ContainerOptions::new()
                .checksum(checksum.into())
                .compression(compress.into())
                .level(level)
                .frame_size(frame_size)
                .index(!no_index);
            pack(&input, &output, options, key_file.as_deref(), force)
        }
        Command::Unpack {
            input,
            output,
            key_file,
            force,
        } => unpack(&input, &output, key_file.as_deref(), force),
        Command::Verify { input, key_file } => verify(&input, key_file.as_deref()),
        Command::Store(cmd) => store::run(cmd).map_err(|(what, why)| Failure::new(what, why)),
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
    let key = MasterKey::generate()
        .map_err(|e| Failure::new(what(), format!("random generator failed: {e}")))?;
    let mut out = AtomicFile::create(path, force, true).map_err(|e| Failure::new(what(), e))?;
    out.file()
        .and_then(|f| f.write_all(key.as_bytes()))
        .map_err(|e| Failure::new(what(), e))?;
    out.commit().map_err(|e| Failure::new(what(), e))?;
    eprintln!("secstream: wrote a new 32-byte key to {}", path.display());
    Ok(())
}

/// Reads a key file: 32 raw bytes, 64 hex digits or 44 base64 characters.
fn read_key(path: &Path) -> Result<MasterKey> {
    MasterKey::load(path).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::InvalidData {
            "; create one with `secstream keygen`"
        } else {
            ""
        };
        Failure::new(format!("key file {}", path.display()), format!("{e}{hint}"))
    })
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
    options: ContainerOptions,
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
        Some(k) => options.sealed_writer(out, k),
        None => options.writer(out),
    }
    .map_err(|e| Failure::chain(&what, &e))?;
    drop(key);

    let size = w.config().max_plain as usize;
    let mut chunk = Zeroizing::new(vec![0u8; size]);
    loop {
        let n = read_full(&mut src, &mut chunk)
            .map_err(|e| Failure::new(format!("reading {}", name(input)), e))?;
        if n == 0 {
            break;
        }
        w.write_all(chunk.get(..n).unwrap_or_default())
            .map_err(|e| write_failure(&what, output, secstream::Error::from(e)))?;
        if n < chunk.len() {
            break;
        }
    }
    let out = w.finish().map_err(|e| write_failure(&what, output, e))?;
    out.commit(output)
}

/// A writer error: an i/o error is about the output, anything else about packing.
fn write_failure(what: &str, output: &Path, e: secstream::Error) -> Failure {
    match e {
        secstream::Error::Io(io) => Failure::new(
            if is_std(output) {
                "writing stdout".to_owned()
            } else {
                format!("writing {}", output.display())
            },
            io,
        ),
        other => Failure::chain(what, &other),
    }
}

/// A failure while unpacking: of the input (read or decode) or of the output.
enum UnpackError {
    Read(secstream::Error),
    Write(io::Error),
}

impl From<secstream::Error> for UnpackError {
    fn from(e: secstream::Error) -> Self {
        Self::Read(e)
    }
}

fn open_reader(input: Input, key: Option<MasterKey>) -> ContainerReader<Input> {
    match key {
        Some(k) => ContainerReader::sealed(input, k),
        None => ContainerReader::new(input),
    }
}

fn unpack(input: &Path, output: &Path, key_file: Option<&Path>, force: bool) -> Result<()> {
    let key = key_file.map(read_key).transpose()?;
    let sealed = key.is_some();
    let src = Input::open(input)?;
    let mut r = open_reader(src, key);
    let what = format!("unpack {}", name(input));
    // Read the preamble before creating the output, so a wrong file fails early.
    r.read_header().map_err(|e| Failure::chain(&what, &e))?;
    // Plaintext of a sealed container is private to the owner.
    let mut out = Output::open(output, force, sealed)?;
    let res = r.process_all(|payload| out.write_all(payload).map_err(UnpackError::Write));
    match res {
        Ok(_) => out.commit(output),
        // `out` is dropped here: a temporary file is removed.
        Err(UnpackError::Read(e)) => Err(Failure::chain(&what, &e)),
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
        Some(k) => ContainerReader::sealed(src, k),
        None => ContainerReader::verifier(src),
    };
    let what = format!("verify {}", name(input));
    let frames = r
        .process_all(|_| Ok::<(), secstream::Error>(()))
        .map_err(|e| Failure::chain(&what, &e))?;
    let bytes = r.plain_len();
    let Some(h) = r.header().copied() else {
        return Err(Failure::new(&what, "container truncated"));
    };
    let c = h.config;
    let checks = if c.checksum == ChecksumKind::None {
        "structure and end section (no checksums in this container)".to_owned()
    } else {
        format!("{} checksums, structure and end section", c.checksum)
    };
    let detail = match (c.sealed, keyed) {
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
    let mut r = ContainerReader::verifier(src);
    let what = format!("inspect {}", name(input));
    let h = *r.read_header().map_err(|e| Failure::chain(&what, &e))?;
    let mut sizes: Vec<u64> = Vec::new();
    let res = r.process_all(|p| {
        sizes.push(p.len() as u64);
        Ok::<(), secstream::Error>(())
    });
    let c = h.config;
    let yes = |b: bool| if b { "yes" } else { "no" };
    let mut o = io::stdout().lock();
    let mut show = || -> io::Result<()> {
        writeln!(
            o,
            "container:      secstream v{}",
            secstream::container::VERSION
        )?;
        writeln!(o, "checksum:       {} (id {})", c.checksum, c.checksum.id())?;
        writeln!(
            o,
            "compression:    {} (id {})",
            c.compression,
            c.compression.id()
        )?;
        writeln!(o, "sealed:         {}", yes(c.sealed))?;
        writeln!(o, "max plaintext:  {} bytes per frame", c.max_plain)?;
        let what = if c.sealed { "sealed" } else { "plaintext" };
        writeln!(o, "frames:         {}", sizes.len())?;
        if let (Some(min), Some(max)) = (sizes.iter().min(), sizes.iter().max()) {
            writeln!(o, "frame sizes:    min {min}, max {max} bytes ({what})")?;
        }
        if !c.sealed {
            writeln!(o, "data:           {} bytes", r.plain_len())?;
        }
        writeln!(
            o,
            "complete:       {}",
            if res.is_ok() {
                "yes (end section matches)"
            } else {
                "no"
            }
        )?;
        if list {
            for (i, s) in sizes.iter().enumerate() {
                writeln!(o, "frame {i}: {s} bytes")?;
            }
        }
        o.flush()
    };
    show().map_err(|e| Failure::new("writing stdout", e))?;
    res.map(|_| ()).map_err(|e| Failure::chain(&what, &e))
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
            "16777217",
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
        let f = Failure::chain(
            "unpack x.sst",
            &secstream::Error::Container(secstream::container::Error::Authentication),
        );
        assert_eq!(
            f.to_string(),
            "secstream: unpack x.sst: authentication failed"
        );
        let io = secstream::Error::Io(io::Error::other("disk on fire"));
        let f = Failure::chain("pack x", &io);
        assert_eq!(f.to_string(), "secstream: pack x: i/o error: disk on fire");
    }
}
