//! Keys: from a file (32 raw bytes, 64 hex digits or 44 base64 characters), or from an
//! environment variable that holds the key as hex or base64 text or names a key file;
//! and `keygen`, which writes a new random key in the format asked for.
//!
//! Precedence: `--key-file`, `--key-env` and the three passphrase options
//! (`--passphrase`, `--passphrase-file`, `--passphrase-env`, see [`crate::passphrase`])
//! are exclusive (giving two is a usage error), and no variable is read unless
//! `--key-env` or `--passphrase-env` names it, so whether a run seals never depends on
//! the environment by surprise. A variable's value that is exactly 64
//! hex digits or 44 base64 characters (surrounding whitespace ignored) is the key;
//! anything else is the path of a key file.

use std::io::Write;
use std::path::Path;

use clap::{Args, ValueEnum};
use secstream::passphrase::{Envelope, Passphrase};
use secstream::seal::MasterKey;
use zeroize::Zeroizing;

use crate::atomic_file::AtomicFile;
use crate::exit::{Exit, Failure, Result};
use crate::input::Input;
use crate::output::{self, Plan, Target};
use crate::passphrase;

/// Where a key comes from (`--key-file`, `--key-env`), or the passphrase it is
/// derived from (`--passphrase`, `--passphrase-file`, `--passphrase-env`): one of them.
#[derive(Args, Clone, Debug, Default)]
#[group(id = "secret", multiple = false)]
pub(crate) struct KeyArgs {
    /// Master key file: 32 raw bytes, 64 hex digits or 44 base64 characters
    #[arg(long, value_name = "FILE")]
    pub(crate) key_file: Option<std::path::PathBuf>,
    /// Environment variable holding the key (hex or base64) or naming a key file
    #[arg(long, value_name = "VAR")]
    pub(crate) key_env: Option<String>,
    /// Passphrase instead of a key (Argon2id), asked on the terminal without echo
    #[arg(long)]
    pub(crate) passphrase: bool,
    /// File whose only line is the passphrase
    #[arg(long, value_name = "FILE")]
    pub(crate) passphrase_file: Option<std::path::PathBuf>,
    /// Environment variable holding the passphrase
    #[arg(long, value_name = "VAR")]
    pub(crate) passphrase_env: Option<String>,
}

/// How `pack` seals.
pub(crate) enum Sealing {
    /// With a master key.
    Key(MasterKey),
    /// With a key derived from a passphrase, behind an envelope.
    Passphrase(Passphrase),
}

impl KeyArgs {
    /// The passphrase option given, if any.
    pub(crate) fn passphrase_source(&self) -> Option<passphrase::Source<'_>> {
        if self.passphrase {
            Some(passphrase::Source::Prompt)
        } else if let Some(f) = &self.passphrase_file {
            Some(passphrase::Source::File(f))
        } else {
            self.passphrase_env.as_deref().map(passphrase::Source::Env)
        }
    }

    /// For `pack`: a key, a passphrase (asked twice at the terminal), or neither.
    ///
    /// # Errors
    /// As [`load`](Self::load) and [`passphrase::read`].
    pub(crate) fn sealing(&self, name: &str) -> Result<Option<Sealing>> {
        if let Some(src) = self.passphrase_source() {
            return passphrase::read(src, name, true).map(|p| Some(Sealing::Passphrase(p)));
        }
        Ok(self.load()?.map(Sealing::Key))
    }

    /// A reading command's input, opened, with its passphrase envelope (if
    /// any) read off its front, and its key ([`for_input`](Self::for_input)).
    ///
    /// # Errors
    /// As [`Input::open`], [`passphrase::peel`] and [`for_input`](Self::for_input).
    pub(crate) fn open_input(
        &self,
        path: &Path,
        required: bool,
        verbose: bool,
    ) -> Result<(Input, Option<Envelope>, Option<MasterKey>)> {
        let (input, envelope) = passphrase::peel(Input::open(path)?)?;
        let key = self.for_input(envelope.as_ref(), &input.name, required, verbose)?;
        Ok((input, envelope, key))
    }

    /// For a reading command: the key of the input `name`, which starts with `envelope`
    /// (or none). `required`: the command cannot go on without a key for a sealed or
    /// passphrase-protected input (unpack, cat); verify and inspect can.
    ///
    /// # Errors
    /// Key (exit 4): a passphrase for an input without an envelope, a key for one
    /// with it, no passphrase option for one with it when `required`; as
    /// [`load`](Self::load), [`passphrase::read`] and [`passphrase::derive`].
    pub(crate) fn for_input(
        &self,
        envelope: Option<&Envelope>,
        name: &str,
        required: bool,
        verbose: bool,
    ) -> Result<Option<MasterKey>> {
        let src = self.passphrase_source();
        let Some(env) = envelope else {
            if src.is_some() {
                return Err(Failure::new(
                    Exit::Key,
                    name,
                    "has no passphrase envelope: it was not packed with a passphrase \
                     (give its --key-file or --key-env, or no key if it is not sealed)",
                ));
            }
            return self.load();
        };
        let Some(src) = src else {
            if self.key_file.is_some() || self.key_env.is_some() {
                return Err(Failure::new(
                    Exit::Key,
                    name,
                    "is protected by a passphrase, not a key file: give --passphrase, \
                     --passphrase-file or --passphrase-env",
                ));
            }
            if required {
                return Err(Failure::new(
                    Exit::Key,
                    name,
                    "is protected by a passphrase: give --passphrase (to be asked), \
                     --passphrase-file or --passphrase-env",
                ));
            }
            return Ok(None);
        };
        let pass = passphrase::read(src, name, false)?;
        passphrase::derive(&pass, env, verbose).map(Some)
    }

    /// The key, if one was asked for.
    ///
    /// # Errors
    /// A key failure (exit 4): a missing or malformed file, an unset or empty variable;
    /// an i/o failure reading the file.
    pub(crate) fn load(&self) -> Result<Option<MasterKey>> {
        if let Some(path) = &self.key_file {
            return from_file(path).map(Some);
        }
        let Some(var) = &self.key_env else {
            return Ok(None);
        };
        let what = || format!("key variable {var}");
        let value =
            std::env::var_os(var).ok_or_else(|| Failure::new(Exit::Key, what(), "not set"))?;
        let bytes = Zeroizing::new(value.into_encoded_bytes());
        let text = bytes.trim_ascii();
        if text.is_empty() {
            return Err(Failure::new(Exit::Key, what(), "empty"));
        }
        if matches!(text.len(), 64 | 44) {
            if let Ok(k) = MasterKey::parse(text) {
                return Ok(Some(k));
            }
        }
        // The value is echoed only when it names an existing file: a mistyped key
        // must not end up on stderr (or in a log).
        let path = path_from(text)
            .filter(|p| std::fs::symlink_metadata(p).is_ok())
            .ok_or_else(|| {
                Failure::new(
                    Exit::Key,
                    what(),
                    "neither a key (64 hex digits or 44 base64 characters) nor the name \
                     of an existing key file (its value is not shown)",
                )
            })?;
        load_file(&path).map(Some).map_err(|why| {
            Failure::new(
                Exit::Key,
                what(),
                format!("names key file {}: {why}", path.display()),
            )
        })
    }
}

/// A path from a variable's bytes.
#[cfg(unix)]
fn path_from(b: &[u8]) -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(std::ffi::OsStr::from_bytes(b).into())
}

#[cfg(not(unix))]
fn path_from(b: &[u8]) -> Option<std::path::PathBuf> {
    std::str::from_utf8(b).ok().map(Into::into)
}

/// Reads a key file.
fn from_file(path: &Path) -> Result<MasterKey> {
    load_file(path)
        .map_err(|why| Failure::new(Exit::Key, format!("key file {}", path.display()), why))
}

/// Reads a key file; the reason it cannot be used.
fn load_file(path: &Path) -> Result<MasterKey, String> {
    MasterKey::load(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            format!("{e}; create one with `secstream keygen`")
        } else {
            e.to_string()
        }
    })
}

/// `keygen --format` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyFormat {
    /// 32 raw bytes
    #[default]
    Raw,
    /// 64 lowercase hex digits and a newline
    Hex,
    /// 44 characters of padded standard base64 and a newline
    Base64,
}

/// The key file's contents in `format` (wiped on drop).
pub(crate) fn encode(key: &MasterKey, format: KeyFormat) -> Zeroizing<Vec<u8>> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let k = key.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(65));
    match format {
        KeyFormat::Raw => out.extend_from_slice(k),
        KeyFormat::Hex => {
            for b in k {
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            out.push(b'\n');
        }
        KeyFormat::Base64 => {
            for chunk in k.chunks(3) {
                let mut n = [0u8; 3];
                n[..chunk.len()].copy_from_slice(chunk);
                let v = (u32::from(n[0]) << 16) | (u32::from(n[1]) << 8) | u32::from(n[2]);
                let chars = chunk.len() + 1;
                for i in 0..4 {
                    if i < chars {
                        out.push(B64[((v >> (18 - 6 * i)) & 63) as usize]);
                    } else {
                        out.push(b'=');
                    }
                }
            }
            out.push(b'\n');
        }
    }
    out
}

/// `secstream keygen FILE [--format F] [--force]`: a new random key, mode 0600.
///
/// # Errors
/// Usage (the file exists without `--force`, stdout), i/o, the random generator.
pub(crate) fn keygen(path: &Path, format: KeyFormat, force: bool, quiet: bool) -> Result<()> {
    if crate::names::is_stdin(path) {
        return Err(Failure::usage("keygen", "a key goes to a file, not stdout"));
    }
    // A key is a regular file: a device, FIFO or link is refused too.
    match output::plan(&Target::Path(path.to_path_buf()), force)? {
        Plan::Atomic(_) => {}
        _ => {
            return Err(Failure::usage(
                format!("keygen {}", path.display()),
                "a key file must be a regular file",
            ));
        }
    }
    let what = || format!("keygen {}", path.display());
    let key = MasterKey::generate()
        .map_err(|e| Failure::new(Exit::Other, what(), format!("random generator failed: {e}")))?;
    let bytes = encode(&key, format);
    let mut out = AtomicFile::create(path, true).map_err(|e| Failure::io(what(), &e))?;
    out.file()
        .and_then(|f| f.write_all(&bytes))
        .map_err(|e| Failure::io(what(), &e))?;
    out.commit().map_err(|e| Failure::io(what(), &e))?;
    if !quiet {
        crate::note!(
            "secstream: wrote a new 32-byte key ({}) to {}",
            match format {
                KeyFormat::Raw => "raw",
                KeyFormat::Hex => "hex",
                KeyFormat::Base64 => "base64",
            },
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_parses_back() {
        for i in 0..20u8 {
            let raw: [u8; 32] = std::array::from_fn(|j| {
                u8::try_from(j)
                    .unwrap()
                    .wrapping_mul(37)
                    .wrapping_add(i.wrapping_mul(91))
            });
            let key = MasterKey::from_bytes(&raw);
            for f in [KeyFormat::Raw, KeyFormat::Hex, KeyFormat::Base64] {
                let text = encode(&key, f);
                assert_eq!(MasterKey::parse(&text).unwrap().as_bytes(), &raw, "{f:?}");
            }
        }
        let key = MasterKey::from_bytes(&[0xff; 32]);
        assert_eq!(
            &encode(&key, KeyFormat::Base64)[..],
            b"//////////////////////////////////////////8=\n"
        );
        assert_eq!(encode(&key, KeyFormat::Hex).len(), 65);
    }
}
