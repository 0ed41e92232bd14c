//! Passphrases: where one comes from (`--passphrase` prompts on the terminal,
//! `--passphrase-file`, `--passphrase-env`), the envelope in front of a
//! passphrase-protected container (`docs/format.md`, "Passphrase envelope"), and the
//! key derived from both.
//!
//! `pack` writes the envelope, then a sealed container under the derived key; the
//! reading commands look at the input's first 4 bytes: `SSTP` is an envelope (then a
//! passphrase is needed to open the frames), `SSTM` a container as before.

use std::io::{self, Cursor, Read};
use std::path::Path;

use secstream::passphrase::{self, ENVELOPE_LEN, Envelope, KdfParams, Passphrase};
use secstream::seal::MasterKey;
use zeroize::Zeroizing;

use crate::exit::{Exit, Failure, Result};
use crate::input::{Input, read_full};
use crate::tty::{self, TtyError};

/// Where a passphrase comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source<'a> {
    /// Typed at the terminal.
    Prompt,
    /// A file's first line.
    File(&'a Path),
    /// An environment variable's value.
    Env(&'a str),
}

/// Reads the passphrase; `confirm` asks twice at the terminal (packing). `name` is the
/// input's name, for the prompt and messages.
///
/// # Errors
/// Usage (exit 2): no terminal to prompt on. Key (exit 4): a missing or empty file or
/// variable, a file of more than one line, too long, the two prompts differ. I/O (3).
pub(crate) fn read(src: Source<'_>, name: &str, confirm: bool) -> Result<Passphrase> {
    let bytes = match src {
        Source::Prompt => {
            let prompt = if confirm {
                format!("Passphrase for {name}: ")
            } else {
                format!("Passphrase of {name}: ")
            };
            let first = prompt_line(&prompt)?;
            if confirm {
                let again = prompt_line("Same passphrase again: ")?;
                if *again != *first {
                    return Err(Failure::new(
                        Exit::Key,
                        "--passphrase",
                        "the two passphrases differ",
                    ));
                }
            }
            first
        }
        Source::File(path) => from_file(path)?,
        Source::Env(var) => {
            let what = || format!("passphrase variable {var}");
            let value =
                std::env::var_os(var).ok_or_else(|| Failure::new(Exit::Key, what(), "not set"))?;
            let bytes = Zeroizing::new(value.into_encoded_bytes());
            if bytes.len() > tty::MAX_LEN {
                return Err(Failure::new(Exit::Key, what(), too_long()));
            }
            bytes
        }
    };
    if bytes.is_empty() {
        let what = match src {
            Source::Prompt => "--passphrase".to_owned(),
            Source::File(p) => format!("passphrase file {}", p.display()),
            Source::Env(v) => format!("passphrase variable {v}"),
        };
        return Err(Failure::new(Exit::Key, what, "the passphrase is empty"));
    }
    let mut v = Vec::with_capacity(bytes.len());
    v.extend_from_slice(&bytes);
    Ok(Passphrase::new(v))
}

fn too_long() -> String {
    format!("the passphrase is longer than {} bytes", tty::MAX_LEN)
}

fn prompt_line(prompt: &str) -> Result<Zeroizing<Vec<u8>>> {
    tty::read_hidden(prompt).map_err(|e| match e {
        TtyError::NoTerminal(why) => Failure::usage(
            "--passphrase",
            format!(
                "no terminal to ask on ({why}); use --passphrase-file or --passphrase-env in scripts"
            ),
        ),
        TtyError::Io(e) => Failure::io("reading the passphrase from the terminal", &e),
        TtyError::TooLong => Failure::new(Exit::Key, "--passphrase", too_long()),
    })
}

/// A passphrase file: its first line without the line ending (`\n` or `\r\n`); a
/// second line is refused, so a file cannot hold a passphrase the prompt could not.
fn from_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let what = || format!("passphrase file {}", path.display());
    let file = std::fs::File::open(path).map_err(|e| Failure::new(Exit::Key, what(), e))?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(tty::MAX_LEN + 3));
    // One byte more than the longest passphrase with its line ending, to tell.
    let mut limited = file.take(tty::MAX_LEN as u64 + 3);
    let mut chunk = Zeroizing::new([0u8; 512]);
    loop {
        let n = limited
            .read(&mut chunk[..])
            .map_err(|e| Failure::new(Exit::Key, what(), e))?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    if bytes.len() > tty::MAX_LEN {
        return Err(Failure::new(Exit::Key, what(), too_long()));
    }
    if bytes.contains(&b'\n') {
        return Err(Failure::new(
            Exit::Key,
            what(),
            "holds more than one line (the passphrase is the file's only line)",
        ));
    }
    Ok(bytes)
}

/// Reads an envelope off the front of `input` if there is one (its first 4 bytes are
/// `SSTP`); otherwise the bytes read go back in front of the input.
///
/// # Errors
/// I/O reading the input; integrity (exit 5): a damaged envelope, or costs above the
/// limits (refused before anything is allocated).
pub(crate) fn peel(mut input: Input) -> Result<(Input, Option<Envelope>)> {
    let mut head = [0u8; ENVELOPE_LEN];
    let got = read_full(&mut input.reader, &mut head[..4])
        .map_err(|e| Failure::io(format!("reading {}", input.name), &e))?;
    if !Envelope::detect(head.get(..got).unwrap_or_default()) {
        let prefix = Cursor::new(head.get(..got).unwrap_or_default().to_vec());
        input.reader = Box::new(prefix.chain(input.reader));
        return Ok((input, None));
    }
    let rest = read_full(&mut input.reader, &mut head[4..])
        .map_err(|e| Failure::io(format!("reading {}", input.name), &e))?;
    let env = Envelope::parse(head.get(..4 + rest).unwrap_or_default())
        .map_err(|e| Failure::lib(format!("read {}", input.name), &e.into()))?;
    input.size = input.size.map(|s| s.saturating_sub(ENVELOPE_LEN as u64));
    Ok((input, Some(env)))
}

/// Reads the envelope at the start of a file, if there is one.
///
/// # Errors
/// As [`peel`].
pub(crate) fn envelope_of_file(file: &std::fs::File, name: &str) -> Result<Option<Envelope>> {
    use secstream::file_stream::ReadAt;
    let mut head = [0u8; ENVELOPE_LEN];
    let mut got = 0;
    while got < head.len() {
        match file.read_at(head.get_mut(got..).unwrap_or_default(), got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::io(format!("reading {name}"), &e)),
        }
    }
    let head = head.get(..got).unwrap_or_default();
    if !Envelope::detect(head) {
        return Ok(None);
    }
    Envelope::parse(head)
        .map(Some)
        .map_err(|e| Failure::lib(format!("read {name}"), &e.into()))
}

/// The master key of a passphrase-protected container.
///
/// # Errors
/// The memory of the key derivation cannot be allocated (exit 1).
pub(crate) fn derive(pass: &Passphrase, env: &Envelope, verbose: bool) -> Result<MasterKey> {
    if verbose {
        crate::note!("secstream: deriving the key: {}", describe(&env.params));
    }
    passphrase::derive_key(pass, env).map_err(|e| Failure::lib("passphrase", &e))
}

/// `Argon2id, 65536 KiB, 3 passes, 1 lane`.
pub(crate) fn describe(p: &KdfParams) -> String {
    format!(
        "Argon2id, {} KiB, {} pass{}, {} lane{}",
        p.m_cost_kib(),
        p.t_cost(),
        if p.t_cost() == 1 { "" } else { "es" },
        p.p_cost(),
        if p.p_cost() == 1 { "" } else { "s" },
    )
}

/// An envelope in front of an unsealed container: refused (exit 5), so a passphrase
/// cannot be "checked" against data it does not protect.
pub(crate) fn not_sealed(what: &str) -> Failure {
    Failure::new(
        Exit::Integrity,
        what,
        "a passphrase envelope must be followed by a sealed container, and this one is not sealed",
    )
}
