//! `secstream pack`: a file (or stdin) into a container.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use secstream::container_io::ContainerOptions;
use secstream::file_stream::ReadAt;
use secstream::passphrase::{self, KdfParams};
use secstream::pipeline::ChunkMode;

use crate::exit::{Exit, Failure, Result};
use crate::input::{Input, InputError, Tagged};
use crate::keys::{KeyArgs, Sealing};
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
    /// Seal (encrypt and authenticate) with this master key, or with a key derived
    /// from a passphrase
    #[command(flatten)]
    key: KeyArgs,
    /// With a passphrase: Argon2id memory (suffixes K, M, G), 8 KiB to 2 GiB
    /// [default: 64MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_kdf_memory)]
    kdf_memory: Option<u32>,
    /// With a passphrase: Argon2id passes, at least 1 (memory x passes at most 8 GiB)
    /// [default: 3]
    #[arg(long, value_name = "N")]
    kdf_passes: Option<u32>,
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

/// `--kdf-memory`: a size in whole KiB.
fn parse_kdf_memory(s: &str) -> std::result::Result<u32, String> {
    let bytes = crate::options::parse_bytes(s)?;
    if bytes % 1024 != 0 {
        return Err(format!("{s} is not a whole number of KiB"));
    }
    u32::try_from(bytes / 1024).map_err(|_| format!("{s} is above the limit of 2 GiB"))
}

/// The Argon2id costs asked for (defaults: `KdfParams::DEFAULT`).
fn kdf_params(a: &PackArgs) -> Result<KdfParams> {
    let d = KdfParams::DEFAULT;
    if a.key.passphrase_source().is_none() {
        if a.kdf_memory.is_some() || a.kdf_passes.is_some() {
            return Err(Failure::usage(
                "pack",
                "--kdf-memory and --kdf-passes go with --passphrase, --passphrase-file or \
                 --passphrase-env",
            ));
        }
        return Ok(d);
    }
    KdfParams::new(
        a.kdf_memory.unwrap_or(d.m_cost_kib()),
        a.kdf_passes.unwrap_or(d.t_cost()),
        d.p_cost(),
    )
    .map_err(|e| Failure::usage("pack", e))
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
    let params = kdf_params(a)?;
    let input = Input::open(&a.input)?;
    let (key, envelope) = match a.key.sealing(&input.name)? {
        None => (None, None),
        Some(Sealing::Key(k)) => (Some(k), None),
        Some(Sealing::Passphrase(pass)) => {
            let env = passphrase::new_envelope(params)
                .map_err(|e| Failure::lib("pack: passphrase salt", &e))?;
            let k = crate::passphrase::derive(&pass, &env, v == Verbosity::Verbose)?;
            (Some(k), Some(env))
        }
    };
    let options = ContainerOptions::new()
        .checksum(a.checksum.into())
        .compression(a.compress.into())
        .level(a.level)
        .frame_size(a.frame_size)
        .index(!a.no_index);
    let label = format!("pack {}", input.name);
    let progress = Progress::new(&label, input.size, v);
    let mut out = Output::open(plan, false)?;
    if let Some(env) = &envelope {
        out.write_all(&env.to_bytes())
            .map_err(|e| out.failure(&e))?;
    }
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
            match (&key, &envelope) {
                (Some(_), Some(env)) => format!(
                    "sealed with a passphrase ({})",
                    crate::passphrase::describe(&env.params)
                ),
                (Some(_), None) => "sealed".to_owned(),
                _ => "not sealed".to_owned(),
            },
            if a.no_index { ", no index" } else { ", index" },
            w.threads(),
            temp.unwrap_or_default(),
        );
    }
    let sealed = key.is_some();
    drop(key);

    // The writer's i/o errors are the output's, or the input's (positioned reads);
    // anything else is about packing.
    // The input mapped where that saves a copy: packed without compression and
    // sealing. Sealed frames are copied into their buffer to be sealed in place
    // anyway: a mapping measured no faster than positioned reads there
    // (BENCHMARKS.md).
    let mapped = if sealed || !matches!(a.compress, Compress::None) {
        None
    } else {
        input.mapped()
    };
    let is_mapped = mapped.is_some();
    let failure = |e: secstream::Error| match e {
        secstream::Error::Io(io) => match InputError::of(&io) {
            Some(inner) => Failure::new(Exit::Io, format!("reading {}", input.name), inner),
            // A write from the mapped input met a page cut off by a truncation.
            None => match InputError::cut_mapping(&io, &input.name) {
                Some(shrank) if is_mapped => shrank,
                _ => Failure::io(format!("writing {}", target.name()), &io),
            },
        },
        other => Failure::lib(&what, &other),
    };
    let out = match (&input.file, input.size) {
        // A regular file: the workers read their own frames (positioned reads, or
        // from the mapping), the main thread only writes.
        (Some(file), Some(size)) => {
            let out = match mapped {
                #[cfg(any(target_os = "linux", target_os = "android"))]
                Some(m) => {
                    let len = m.len();
                    w.finish_from_shared(m, 0, len, |n| progress.add(n))
                }
                _ => w.finish_from(Arc::clone(file), 0, size, |n| progress.add(n)),
            }
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
