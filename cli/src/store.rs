//! `secstream store ...`: the encrypted, versioned store (crate
//! `secstream-store`) from the command line. Data goes in on stdin (`put`) and
//! out on stdout (`get`).
//!
//! ```text
//! secstream store put  DB PATH --key-file key.bin < file
//! secstream store get  DB PATH --key-file key.bin [--version N] > file
//! secstream store ls   DB [PREFIX] --key-file key.bin
//! secstream store stat DB PATH --key-file key.bin
//! secstream store versions DB PATH --key-file key.bin
//! secstream store rm   DB PATH --key-file key.bin
//! secstream store export DB PATH --key-file key.bin > path.sst
//! secstream store import DB PATH --key-file key.bin < path.sst
//! ```

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use clap::{Args, Subcommand};
use secstream::seal::MasterKey;
use secstream_store::{Error as StoreError, Options, Stat, Store};

use crate::exit::{Exit, Failure, Result};
use crate::options::Compress;

/// `secstream store` and its subcommands.
#[derive(Args)]
pub(crate) struct StoreCmd {
    #[command(subcommand)]
    op: Op,
}

/// The database file and key, common to every subcommand.
#[derive(Args)]
struct Db {
    /// The store file (created by `put` if missing)
    db: PathBuf,
    /// The store's 32-byte master key
    #[arg(long)]
    key_file: PathBuf,
}

#[derive(Subcommand)]
enum Op {
    /// Store stdin as a new version of PATH (atomic: all or nothing)
    Put {
        #[command(flatten)]
        db: Db,
        /// The path to write
        path: String,
        /// Compression of each chunk
        #[arg(long, value_enum, default_value_t = Compress::Lz4)]
        compress: Compress,
        /// Versions of PATH to keep (older ones are removed)
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
        keep: u32,
    },
    /// Write PATH (its newest version, or --version) to stdout
    Get {
        #[command(flatten)]
        db: Db,
        /// The path to read
        path: String,
        /// A kept older version
        #[arg(long)]
        version: Option<u64>,
    },
    /// List the paths starting with PREFIX, in order
    Ls {
        #[command(flatten)]
        db: Db,
        /// Prefix of the paths to list (all by default)
        #[arg(default_value = "")]
        prefix: String,
    },
    /// Show PATH's newest version, size, time and number of kept versions
    Stat {
        #[command(flatten)]
        db: Db,
        /// The path
        path: String,
    },
    /// Remove PATH and all its versions
    Rm {
        #[command(flatten)]
        db: Db,
        /// The path
        path: String,
    },
    /// Write PATH (newest, or --version) to stdout as a sealed .sst container
    /// (`secstream unpack --key-file` reads it)
    Export {
        #[command(flatten)]
        db: Db,
        /// The path to export
        path: String,
        /// A kept older version
        #[arg(long)]
        version: Option<u64>,
    },
    /// Store a container from stdin (sealed with the store's key, or unsealed)
    /// as a new version of PATH
    Import {
        #[command(flatten)]
        db: Db,
        /// The path to write
        path: String,
    },
    /// List PATH's kept versions, oldest first
    Versions {
        #[command(flatten)]
        db: Db,
        /// The path
        path: String,
    },
}

/// A store error about `what`, with the exit code of its kind (the table in
/// `exit.rs`).
fn fail(what: impl std::fmt::Display, e: &StoreError) -> Failure {
    use secstream::container::Error as C;
    let exit = match e {
        StoreError::Io(io) => return Failure::io(what, io),
        StoreError::Database(db) if db.is_corruption() => Exit::Integrity,
        StoreError::Database(_) => Exit::Io,
        StoreError::Container(C::Authentication) => Exit::Authentication,
        StoreError::WrongKey => Exit::Key,
        StoreError::NotFound | StoreError::InvalidPath | StoreError::BadOptions(_) => Exit::Usage,
        StoreError::Corrupt(_) | StoreError::Container(_) => Exit::Integrity,
        _ => Exit::Other,
    };
    Failure::new(exit, what, e)
}

/// An I/O error while copying data in or out: a store error carried inside
/// it keeps its own exit code; a closed stdout ends quietly.
fn io_fail(what: impl std::fmt::Display, e: &io::Error) -> Failure {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<StoreError>())
    {
        Some(inner) => fail(what, inner),
        None => Failure::io(what, e),
    }
}

/// A path the store does not hold.
fn no_such_path(path: &str) -> Failure {
    Failure::new(Exit::Usage, path, "no such path in the store")
}

fn open(db: &Db, opts: Options, create: bool) -> Result<Store> {
    let key = MasterKey::load(&db.key_file).map_err(|e| {
        Failure::new(
            Exit::Key,
            format_args!("key file {}", db.key_file.display()),
            e,
        )
    })?;
    if !create && !db.db.exists() {
        return Err(Failure::new(
            Exit::Io,
            db.db.display(),
            "no such store file",
        ));
    }
    Store::open_with(&db.db, key, opts).map_err(|e| fail(db.db.display(), &e))
}

fn seconds(s: &Stat) -> String {
    let d = s.time.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
}

fn out_err(e: io::Error) -> Failure {
    Failure::io("stdout", &e)
}

/// Runs `secstream store ...`.
pub(crate) fn run(cmd: StoreCmd) -> Result<()> {
    let mut out = io::stdout().lock();
    match cmd.op {
        Op::Put {
            db,
            path,
            compress,
            keep,
        } => {
            let opts = Options::new()
                .with_compression(compress.into())
                .with_keep_versions(keep);
            let store = open(&db, opts, true)?;
            let mut w = store.put(&path).map_err(|e| fail(&path, &e))?;
            io::copy(&mut io::stdin().lock(), &mut w).map_err(|e| io_fail(&path, &e))?;
            let st = w.commit().map_err(|e| fail(&path, &e))?;
            writeln!(out, "{path}\tversion {}\t{} bytes", st.version, st.size).map_err(out_err)
        }
        Op::Get { db, path, version } => {
            let store = open(&db, Options::new(), false)?;
            let mut r = match version {
                Some(v) => store.get_version(&path, v),
                None => store.get(&path),
            }
            .map_err(|e| fail(&path, &e))?;
            // Each chunk is authenticated before it is written out; a damaged one
            // ends the output early with an error.
            io::copy(&mut r, &mut out).map_err(|e| io_fail(&path, &e))?;
            out.flush().map_err(out_err)
        }
        Op::Ls { db, prefix } => {
            let store = open(&db, Options::new(), false)?;
            let view = store.view().map_err(|e| fail(db.db.display(), &e))?;
            let mut res = Ok(());
            view.for_each_path(&prefix, |p| {
                if res.is_ok() {
                    res = writeln!(out, "{p}");
                }
            })
            .map_err(|e| fail(db.db.display(), &e))?;
            res.map_err(out_err)
        }
        Op::Stat { db, path } => {
            let store = open(&db, Options::new(), false)?;
            let st = store.stat(&path).map_err(|e| fail(&path, &e))?;
            writeln!(
                out,
                "path: {path}\nversion: {}\nsize: {}\ntime: {}\nversions kept: {}\nchunks: {}\ncompression: {}",
                st.version,
                st.size,
                seconds(&st),
                st.versions,
                st.chunks,
                st.compression
            )
            .map_err(out_err)
        }
        Op::Rm { db, path } => {
            let store = open(&db, Options::new(), false)?;
            if store.delete(&path).map_err(|e| fail(&path, &e))? {
                Ok(())
            } else {
                Err(no_such_path(&path))
            }
        }
        Op::Export { db, path, version } => {
            let store = open(&db, Options::new(), false)?;
            store
                .export(&path, version, &mut out)
                .map_err(|e| fail(&path, &e))?;
            out.flush().map_err(out_err)
        }
        Op::Import { db, path } => {
            let store = open(&db, Options::new(), true)?;
            let st = store
                .import(&path, io::stdin().lock())
                .map_err(|e| fail(&path, &e))?;
            writeln!(out, "{path}\tversion {}\t{} bytes", st.version, st.size).map_err(out_err)
        }
        Op::Versions { db, path } => {
            let store = open(&db, Options::new(), false)?;
            let all = store.versions(&path).map_err(|e| fail(&path, &e))?;
            if all.is_empty() {
                return Err(no_such_path(&path));
            }
            for st in all {
                writeln!(out, "{}\t{}\t{}", st.version, st.size, seconds(&st)).map_err(out_err)?;
            }
            Ok(())
        }
    }
}
