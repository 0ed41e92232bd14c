//! `secstream unpack`: a container back to its data. A file output appears only when
//! the whole container was checked (and authenticated); stdout, a FIFO or a device get
//! each frame once it is checked, so a failure there ends the output early.

use std::io::{BufRead, ErrorKind, Read, Write};
use std::path::PathBuf;

use clap::Args;
#[cfg(any(target_os = "linux", target_os = "android"))]
use secstream::file_stream::ReadAt;
use secstream::pipeline::{ChunkMode, ParallelContainerReader};

use crate::exit::{Exit, Failure, Result};
use crate::input::InputError;
use crate::keys::KeyArgs;
use crate::names::{self, Asked};
use crate::output::{self, Output};
use crate::progress::{Progress, Verbosity, summary};

#[derive(Args, Debug)]
pub(crate) struct UnpackArgs {
    /// Input container, `-` for stdin
    #[arg(default_value = "-")]
    input: PathBuf,
    /// Output file, `-` for stdout [default: INPUT without .sst; stdout for stdin]; a
    /// directory gets that name inside it
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Write to stdout
    #[arg(short = 'c', long = "stdout", conflicts_with = "output")]
    stdout: bool,
    /// Master key of a sealed container, or the passphrase of a protected one
    #[command(flatten)]
    key: KeyArgs,
    /// Overwrite an existing output file (devices and FIFOs are written without it)
    #[arg(short, long)]
    force: bool,
    /// Threads opening and decompressing frames: 0 is one per available core, 1 none
    /// besides the main thread, at most 256
    #[arg(short = 'j', long = "threads", value_name = "N", default_value_t = 0)]
    threads: usize,
}

pub(crate) fn unpack(a: &UnpackArgs, v: Verbosity) -> Result<()> {
    let target = names::unpack_output(
        &a.input,
        Asked {
            output: a.output.as_deref(),
            stdout: a.stdout,
        },
    )?;
    let plan = output::plan(&target, a.force)?;
    output::refuse_input(&plan, &a.input)?;
    let (input, envelope, key) = a.key.open_input(&a.input, true, v == Verbosity::Verbose)?;
    let by_pass = envelope.is_some();
    let sealed = key.is_some();
    let label = format!("unpack {}", input.name);
    let progress = Progress::new(&label, input.size, v);
    let mode = ChunkMode::from_threads(a.threads);
    let what = format!("unpack {}", input.name);
    let job = Job {
        what: &what,
        name: &input.name,
        target: &target,
        by_pass,
        sealed,
        verbose: v == Verbosity::Verbose,
    };
    // An unsealed container is mapped where that saves a copy (a sealed frame is
    // decrypted in private memory anyway).
    let mapped = if key.is_some() || by_pass {
        None
    } else {
        input.mapped()
    };
    let plain = match mapped {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Some(m) => {
            // The container's bytes are counted as they are handed out (the
            // frames' headers and the end section are in the last step).
            let size = m.len() as u64;
            let r = ParallelContainerReader::from_shared(m, key, mode);
            // The mapping holds the bytes seen at open: a container that grew
            // since would have its new bytes ignored (read, they would be refused
            // as bytes after the end), so a size change fails, as in `pack`.
            let same_size = || match input.file.as_ref().map(|f| ReadAt::size(&**f)) {
                Some(Ok(now)) if now != size => Err(Failure::new(
                    Exit::Io,
                    format!("reading {}", input.name),
                    InputError::changed(size, now),
                )),
                Some(Err(e)) => Err(Failure::io(format!("reading {}", input.name), &e)),
                _ => Ok(()),
            };
            let plain = drain(r, plan, &job, &|n| progress.add(n), &same_size)?;
            progress.add(size.saturating_sub(plain));
            plain
        }
        _ => {
            let src = progress.reader(input.reader);
            let r = match key {
                Some(k) => ParallelContainerReader::sealed(src, k, mode),
                None => ParallelContainerReader::new(src, mode),
            };
            drain(r, plan, &job, &|_| {}, &|| Ok(()))?
        }
    };

    let done = progress.finish();
    let (read, secs) = (done.done, done.elapsed.as_secs_f64());
    drop(progress);
    if v == Verbosity::Verbose || (v == Verbosity::Normal && target != output::Target::Stdout) {
        let label = format!("{} -> {}", input.name, target.name());
        crate::note!("{}", summary(&label, read, plain, plain, secs));
    }
    Ok(())
}

/// What [`drain`] needs to know of the run.
struct Job<'a> {
    what: &'a str,
    name: &'a str,
    target: &'a output::Target,
    by_pass: bool,
    sealed: bool,
    verbose: bool,
}

/// Reads the preamble, creates the output, writes every checked frame to it
/// (`handed` is told each piece's length), runs `before_commit` (a last check) and
/// commits it; the plaintext length.
fn drain<R: Read>(
    mut r: ParallelContainerReader<R>,
    plan: output::Plan,
    job: &Job<'_>,
    handed: &dyn Fn(u64),
    before_commit: &dyn Fn() -> Result<()>,
) -> Result<u64> {
    let what = job.what;
    // The preamble is read before the output is created, so a wrong file fails early.
    r.read_header()
        .map_err(|e| Failure::lib(what, &e).by_passphrase(job.by_pass))?;
    // Plaintext of a sealed container is private to the owner.
    let mut out = Output::open(plan, job.sealed)?;
    if job.verbose {
        crate::note!(
            "secstream: unpack {} -> {}, {} worker thread(s){}",
            job.name,
            job.target.name(),
            r.threads(),
            out.temp_path()
                .map(|t| format!(", via {}", t.display()))
                .unwrap_or_default()
        );
    }
    // Each checked frame goes out from the reader's buffer (or the mapping); on
    // an error, `out` is dropped on return and a temporary file is removed.
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(
                    Failure::lib(what, &secstream::Error::from(e)).by_passphrase(job.by_pass)
                );
            }
        };
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        out.write_all(buf).map_err(|e| {
            // A write from the mapped input met a page cut off by a truncation.
            InputError::cut_mapping(&e, job.name).unwrap_or_else(|| out.failure(&e))
        })?;
        handed(n as u64);
        r.consume(n);
    }
    before_commit()?;
    out.commit()
}
