//! `secstream pack`: a file (or stdin) into a container.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use secstream::container_io::ContainerOptions;
use secstream::file_stream::ReadAt;
use secstream::pipeline::ChunkMode;

use crate::exit::{Exit, Failure, Result};
use crate::input::{Input, InputError, Tagged};
use crate::keys::KeyArgs;
use crate::names::{self, Asked};
use crate::options::{Checksum, Compress, parse_frame_size};
use crate::output::{self, Output, Target};
use crate::progress::{Progress, Verbosity, summary};

#[derive(Args, Debug)]
pub(crate) struct PackArgs {
    /// Input file, `-` for stdin
    #[arg(default_value = "-")]
    input: PathBuf,
    /// Output container, `-` for stdout [default: INPUT.sst; stdout for stdin]; a
    /// directory gets INPUT's name + .sst inside it
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Write to stdout
    #[arg(short = 'c', long = "stdout", conflicts_with = "output")]
    stdout: bool,
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
    /// Seal (encrypt and authenticate) with this master key
    #[command(flatten)]
    key: KeyArgs,
    /// Bytes of input per frame (suffixes K, KiB, M, MiB), at most 16 MiB
    #[arg(long, default_value = "1MiB", value_parser = parse_frame_size)]
    frame_size: u32,
    /// Overwrite an existing output file (devices and FIFOs are written without it)
    #[arg(short, long)]
    force: bool,
    /// Threads compressing and sealing frames: 0 is one per available core, 1 none
    /// besides the main thread, at most 256 (the output is the same for every N)
    #[arg(short = 'j', long = "threads", value_name = "N", default_value_t = 0)]
    threads: usize,
}

pub(crate) fn pack(a: &PackArgs, v: Verbosity) -> Result<()> {
    let target = names::pack_output(
        &a.input,
        Asked {
            output: a.output.as_deref(),
            stdout: a.stdout,
        },
    )?;
    if target == Target::Stdout && io::stdout().is_terminal() {
        return Err(Failure::usage(
            "pack",
            "refusing to write a binary container to a terminal (use -o FILE or a pipe)",
        ));
    }
    let plan = output::plan(&target, a.force)?;
    output::refuse_input(&plan, &a.input)?;
    let key = a.key.load()?;
    let input = Input::open(&a.input)?;
    let options = ContainerOptions::new()
        .checksum(a.checksum.into())
        .compression(a.compress.into())
        .level(a.level)
        .frame_size(a.frame_size)
        .index(!a.no_index);
    let label = format!("pack {}", input.name);
    let progress = Progress::new(&label, input.size, v);
    let out = Output::open(plan, false)?;
    let what = format!("pack {}", input.name);
    let mode = ChunkMode::from_threads(a.threads);
    let temp = out.temp_path().map(|t| format!(", via {}", t.display()));
    let w = match &key {
        Some(k) => options.parallel_sealed_writer(out, k, mode),
        None => options.parallel_writer(out, mode),
    };
    let mut w = w.map_err(|e| Failure::lib(&what, &e))?;
    if v == Verbosity::Verbose {
        crate::note!(
            "secstream: pack {} -> {}: {} checksums, {} compression, {} byte frames, {}{}, {} worker thread(s){}",
            input.name,
            target.name(),
            secstream::checksum::ChecksumKind::from(a.checksum),
            secstream::compress::Compression::from(a.compress),
            a.frame_size,
            if key.is_some() {
                "sealed"
            } else {
                "not sealed"
            },
            if a.no_index { ", no index" } else { ", index" },
            w.threads(),
            temp.unwrap_or_default(),
        );
    }
    drop(key);

    // The writer's i/o errors are the output's, or the input's (positioned reads);
    // anything else is about packing.
    let failure = |e: secstream::Error| match e {
        secstream::Error::Io(io) => match InputError::of(&io) {
            Some(inner) => Failure::new(Exit::Io, format!("reading {}", input.name), inner),
            None => Failure::io(format!("writing {}", target.name()), &io),
        },
        other => Failure::lib(&what, &other),
    };
    let out = match (&input.file, input.size) {
        // A regular file: the workers read their own frames (positioned reads), the
        // main thread only writes.
        (Some(file), Some(size)) => {
            let out = w
                .finish_from(Arc::clone(file), 0, size, |n| progress.add(n))
                .map_err(failure)?;
            // The frames hold the `size` bytes seen at open: a file that grew since
            // would be cut short without a word. (Dropping `out` removes the temp.)
            let now = file.size().map_err(|e| failure(e.into()))?;
            if now != size {
                return Err(Failure::new(
                    Exit::Io,
                    format!("reading {}", input.name),
                    InputError::changed(size, now),
                ));
            }
            out
        }
        _ => {
            // Stdin, a pipe, a device: read straight into the frame buffers.
            let mut src = Tagged(progress.reader(input.reader));
            w.write_from(&mut src).map_err(failure)?;
            w.finish().map_err(failure)?
        }
    };
    let written = out.commit()?;
    let done = progress.finish();
    let (read, secs) = (done.done, done.elapsed.as_secs_f64());
    if v == Verbosity::Verbose || (v == Verbosity::Normal && target != Target::Stdout) {
        let label = format!("{} -> {}", input.name, target.name());
        crate::note!("{}", summary(&label, read, written, read, secs));
    }
    Ok(())
}
