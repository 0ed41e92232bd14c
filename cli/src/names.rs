//! Default output names, as zstd users expect: `pack f` writes `f.sst`, `unpack f.sst`
//! writes `f`; stdin goes to stdout; `-c` (or `-o -`) is stdout. A directory given as
//! `-o` gets the default name inside it (`pack dir/f -o out/` writes `out/f.sst`).
//! `unpack` of a name without `.sst` needs `-o` (or `-c`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::exit::{Failure, Result};
use crate::output::Target;

/// The suffix of a container.
pub(crate) const SUFFIX: &str = ".sst";

/// An input path: `-` (or none) is stdin.
pub(crate) fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// What the user asked for: `-o PATH` and `-c`.
#[derive(Clone, Copy)]
pub(crate) struct Asked<'a> {
    pub(crate) output: Option<&'a Path>,
    pub(crate) stdout: bool,
}

/// The output of `pack input`.
///
/// # Errors
/// A usage failure: a directory as output for stdin input.
pub(crate) fn pack_output(input: &Path, asked: Asked<'_>) -> Result<Target> {
    resolve(input, asked, "pack", |name| {
        let mut s = OsString::from(name);
        s.push(SUFFIX);
        Some(s)
    })
}

/// The output of `unpack input`.
///
/// # Errors
/// A usage failure: the input's name does not end in `.sst` and no output was given.
pub(crate) fn unpack_output(input: &Path, asked: Asked<'_>) -> Result<Target> {
    resolve(input, asked, "unpack", |name| {
        let s = name.to_str()?;
        let stem = s.strip_suffix(SUFFIX)?;
        (!stem.is_empty()).then(|| OsString::from(stem))
    })
}

/// Applies the rules; `rename` turns an input file name into the default output name.
fn resolve(
    input: &Path,
    asked: Asked<'_>,
    cmd: &str,
    rename: impl Fn(&std::ffi::OsStr) -> Option<OsString>,
) -> Result<Target> {
    if asked.stdout {
        return Ok(Target::Stdout);
    }
    let default_name = || -> Result<OsString> {
        let name = input.file_name().ok_or_else(|| {
            Failure::usage(cmd, "no output name for this input: give -o NAME or -c")
        })?;
        rename(name).ok_or_else(|| {
            // `.sst` alone (or a name that is not UTF-8) does end in .sst.
            let why = if name.to_string_lossy().ends_with(SUFFIX) {
                format!("no output name can be made from this name (NAME{SUFFIX} gives NAME)")
            } else {
                format!("the name does not end in {SUFFIX}")
            };
            Failure::usage(
                format!("{cmd} {}", input.display()),
                format!("{why}: give -o NAME or -c"),
            )
        })
    };
    match asked.output {
        Some(p) if is_stdin(p) => Ok(Target::Stdout),
        Some(dir) if dir.is_dir() => {
            if is_stdin(input) {
                return Err(Failure::usage(
                    format!("output {}", dir.display()),
                    "is a directory, and stdin has no name to put in it: give -o DIR/NAME",
                ));
            }
            Ok(Target::Path(dir.join(default_name()?)))
        }
        Some(p) => Ok(Target::Path(p.to_path_buf())),
        None if is_stdin(input) => Ok(Target::Stdout),
        None => {
            let name = default_name()?;
            Ok(Target::Path(match input.parent() {
                Some(d) => d.join(name),
                None => PathBuf::from(name),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(t: Target) -> PathBuf {
        match t {
            Target::Path(p) => p,
            Target::Stdout => PathBuf::from("<stdout>"),
        }
    }

    #[test]
    fn defaults() {
        let none = Asked {
            output: None,
            stdout: false,
        };
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(path(pack_output(&p("d/f"), none).unwrap()), p("d/f.sst"));
        assert_eq!(
            path(pack_output(&p("f.tar"), none).unwrap()),
            p("f.tar.sst")
        );
        assert_eq!(path(pack_output(&p("-"), none).unwrap()), p("<stdout>"));
        assert_eq!(path(unpack_output(&p("d/f.sst"), none).unwrap()), p("d/f"));
        assert_eq!(path(unpack_output(&p("-"), none).unwrap()), p("<stdout>"));
        for bad in ["f", "f.zst", ".sst", "d/"] {
            let e = unpack_output(&p(bad), none).unwrap_err();
            assert_eq!(e.exit().code(), 2, "{bad}");
            let msg = e.to_string();
            let claims_no_suffix = msg.contains("does not end in .sst");
            assert_eq!(claims_no_suffix, !bad.ends_with(".sst"), "{bad}: {msg}");
        }
        let c = Asked {
            output: None,
            stdout: true,
        };
        assert_eq!(unpack_output(&p("f"), c).unwrap(), Target::Stdout);
        let dash = Asked {
            output: Some(Path::new("-")),
            stdout: false,
        };
        assert_eq!(pack_output(&p("f"), dash).unwrap(), Target::Stdout);
        let dir = tempfile::tempdir().unwrap();
        let into = Asked {
            output: Some(dir.path()),
            stdout: false,
        };
        assert_eq!(
            path(pack_output(&p("a/f"), into).unwrap()),
            dir.path().join("f.sst")
        );
        assert_eq!(
            path(unpack_output(&p("a/f.sst"), into).unwrap()),
            dir.path().join("f")
        );
        assert!(pack_output(&p("-"), into).is_err());
        assert!(unpack_output(&p("a/f"), into).is_err());
    }
}
