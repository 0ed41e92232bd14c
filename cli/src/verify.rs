//! `secstream verify`: checksums and structure of a container; with a key also
//! authenticity. Frames are counted the same way with and without the key.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use secstream::checksum::ChecksumKind;
use secstream::container_io::ContainerReader;

use crate::exit::{Failure, Result};
use crate::keys::KeyArgs;
use crate::passphrase;
use crate::progress::{Progress, Verbosity};

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// Input container, `-` for stdin
    #[arg(default_value = "-")]
    input: PathBuf,
    /// Master key: also authenticate and decrypt every frame, and detect truncation
    #[command(flatten)]
    key: KeyArgs,
}

pub(crate) fn verify(a: &VerifyArgs, v: Verbosity) -> Result<()> {
    let (input, envelope, key) = a.key.open_input(&a.input, false, v == Verbosity::Verbose)?;
    let by_pass = envelope.is_some();
    let keyed = key.is_some();
    let label = format!("verify {}", input.name);
    let progress = Progress::new(&label, input.size, v);
    let src = progress.reader(input.reader);
    let mut r = match key {
        Some(k) => ContainerReader::sealed(src, k),
        None => ContainerReader::verifier(src),
    };
    let what = format!("verify {}", input.name);
    let fail = |e: &secstream::Error| Failure::lib(&what, e).by_passphrase(by_pass);
    let sealed = r.read_header().map_err(|e| fail(&e))?.config.sealed;
    if by_pass && !sealed {
        return Err(passphrase::not_sealed(&what));
    }
    let frames = r
        .process_all(|_| Ok::<(), secstream::Error>(()))
        .map_err(|e| fail(&e))?;
    let bytes = r.plain_len();
    let Some(h) = r.header().copied() else {
        return Err(Failure::lib(
            &what,
            &secstream::Error::Container(secstream::container::Error::Truncated),
        ));
    };
    drop(r);
    drop(progress);
    if v == Verbosity::Quiet {
        return Ok(());
    }
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
        (true, false) if by_pass => format!(
            "{checks}; {frames} frame(s), sealed with a passphrase; authenticity not \
             checked (give --passphrase)"
        ),
        (true, false) => format!(
            "{checks}; {frames} frame(s), sealed; authenticity not checked (give --key-file)"
        ),
        (false, _) => format!(
            "{checks}; {frames} frame(s), {bytes} bytes of data (not sealed: no authenticity)"
        ),
    };
    let mut o = std::io::stdout().lock();
    writeln!(o, "{}: ok: {detail}", input.name)
        .and_then(|()| o.flush())
        .map_err(|e| Failure::io("writing stdout", &e))
}
