//! `secstream unpack`: a container back to its data. A file output appears only when
//! the whole container was checked (and authenticated); stdout, a FIFO or a device get
//! each frame once it is checked, so a failure there ends the output early.

use std::io::{BufRead, ErrorKind, Write};
use std::path::PathBuf;

use clap::Args;
use secstream::pipeline::{ChunkMode, ParallelContainerReader};

use crate::exit::{Failure, Result};
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
    let src = progress.reader(input.reader);
    let mode = ChunkMode::from_threads(a.threads);
    let mut r = match key {
        Some(k) => ParallelContainerReader::sealed(src, k, mode),
        None => ParallelContainerReader::new(src, mode),
    };
    let what = format!("unpack {}", input.name);
    // The preamble is read before the output is created, so a wrong file fails early.
    r.read_header()
        .map_err(|e| Failure::lib(&what, &e).by_passphrase(by_pass))?;
    // Plaintext of a sealed container is private to the owner.
    let mut out = Output::open(plan, sealed)?;
    if v == Verbosity::Verbose {
        crate::note!(
            "secstream: unpack {} -> {}, {} worker thread(s){}",
            input.name,
            target.name(),
            r.threads(),
            out.temp_path()
                .map(|t| format!(", via {}", t.display()))
                .unwrap_or_default()
        );
    }
    // Each checked frame goes out from the reader's buffer; on an error, `out` is
    // dropped on return and a temporary file is removed.
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Failure::lib(&what, &secstream::Error::from(e)).by_passphrase(by_pass));
            }
        };
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        out.write_all(buf).map_err(|e| out.failure(&e))?;
        r.consume(n);
    }
    let plain = out.commit()?;
    let done = progress.finish();
    let (read, secs) = (done.done, done.elapsed.as_secs_f64());
    drop(r);
    drop(progress);
    if v == Verbosity::Verbose || (v == Verbosity::Normal && target != output::Target::Stdout) {
        let label = format!("{} -> {}", input.name, target.name());
        crate::note!("{}", summary(&label, read, plain, plain, secs));
    }
    Ok(())
}
