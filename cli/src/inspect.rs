//! `secstream inspect`: a container's header, frame count and sizes (checking the
//! checksums on the way); with a key, the plaintext size of a sealed container too.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use secstream::container_io::ContainerReader;

use crate::exit::{Failure, Result};
use crate::keys::KeyArgs;
use crate::passphrase;
use crate::progress::{Progress, Verbosity};

#[derive(Args, Debug)]
pub(crate) struct InspectArgs {
    /// Input container, `-` for stdin
    #[arg(default_value = "-")]
    input: PathBuf,
    /// List the stored size of every frame
    #[arg(long)]
    frames: bool,
    /// Master key: open the frames too, to show the plaintext size of a sealed container
    #[command(flatten)]
    key: KeyArgs,
}

pub(crate) fn inspect(a: &InspectArgs, v: Verbosity) -> Result<()> {
    let (input, envelope, key) = a.key.open_input(&a.input, false, v == Verbosity::Verbose)?;
    let by_pass = envelope.is_some();
    let keyed = key.is_some();
    let label = format!("inspect {}", input.name);
    let progress = Progress::new(&label, input.size, v);
    let src = progress.reader(input.reader);
    let mut r = match key {
        Some(k) => ContainerReader::sealed(src, k),
        None => ContainerReader::verifier(src),
    };
    let what = format!("inspect {}", input.name);
    let h = *r
        .read_header()
        .map_err(|e| Failure::lib(&what, &e).by_passphrase(by_pass))?;
    if by_pass && !h.config.sealed {
        return Err(passphrase::not_sealed(&what));
    }
    let mut sizes: Vec<u64> = Vec::new();
    let res = r.process_all(|p| {
        sizes.push(p.len() as u64);
        Ok::<(), secstream::Error>(())
    });
    let plain = r.plain_len();
    drop(r);
    drop(progress);
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
        if let Some(env) = &envelope {
            writeln!(
                o,
                "passphrase:     {} (envelope v{})",
                passphrase::describe(&env.params),
                secstream::passphrase::VERSION
            )?;
        }
        writeln!(o, "max plaintext:  {} bytes per frame", c.max_plain)?;
        let what = if c.sealed && !keyed {
            "sealed"
        } else {
            "plaintext"
        };
        if res.is_ok() {
            writeln!(o, "frames:         {}", sizes.len())?;
        } else {
            // Not "frames: 0, data: 0 bytes": the count stopped at the error.
            writeln!(o, "frames:         {} read before the error", sizes.len())?;
        }
        if let (Some(min), Some(max)) = (sizes.iter().min(), sizes.iter().max()) {
            writeln!(o, "frame sizes:    min {min}, max {max} bytes ({what})")?;
        }
        if res.is_err() {
            // The size is unknown: the frames after the error were not read.
        } else if !c.sealed || keyed {
            writeln!(o, "data:           {plain} bytes")?;
        } else {
            writeln!(
                o,
                "data:           unknown (sealed: give {} to open the frames)",
                if by_pass {
                    "--passphrase"
                } else {
                    "--key-file"
                }
            )?;
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
        if a.frames {
            for (i, s) in sizes.iter().enumerate() {
                writeln!(o, "frame {i}: {s} bytes")?;
            }
        }
        o.flush()
    };
    show().map_err(|e| Failure::io("writing stdout", &e))?;
    res.map(|_| ())
        .map_err(|e| Failure::lib(&what, &e).by_passphrase(by_pass))
}
