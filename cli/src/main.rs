//! `secstream`: pack files into checksummed, optionally compressed and sealed containers
//! (wire contract section 4), and check, inspect and unpack them.
//!
//! ```text
//! secstream keygen key.hex --format hex
//! secstream pack big.iso --compress lz4 --key-file key.hex   # writes big.iso.sst
//! secstream verify big.iso.sst                               # checksums and structure, no key
//! secstream verify big.iso.sst --key-file key.hex            # authenticity too
//! secstream unpack big.iso.sst --key-env SECSTREAM_KEY       # writes big.iso
//! secstream unpack big.iso.sst -c --key-file key.hex | head  # to stdout
//! secstream inspect big.iso.sst
//! secstream cat big.iso.sst --range 1M:4K --key-file key.hex # 4 KiB at 1 MiB
//! secstream pack notes.txt --passphrase                      # asks twice, no echo
//! secstream unpack notes.txt.sst --passphrase-file pass.txt
//! ```
//!
//! One concept per module: [`names`] (default output names), [`output`] (where output
//! goes: stdout, written through, or [`atomic_file`]), [`signals`] (interrupted runs
//! leave nothing behind), [`keys`], [`passphrase`] (and [`tty`], its prompt),
//! [`progress`], [`exit`] (exit codes), and one module
//! per command.
//!
//! Errors are one line on stderr, `secstream: <what>: <why>`, with an exit code that
//! says what happened ([`exit::TABLE`], also in `--help`).

mod atomic_file;
mod cat;
mod exit;
mod input;
mod inspect;
mod keys;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod mapped;
mod names;
mod options;
mod output;
mod pack;
mod passphrase;
mod progress;
mod signals;
mod store;
mod tty;
mod unpack;
mod verify;

/// `eprintln!` that does not panic when stderr is closed: a message nobody can read
/// is dropped, and the exit code still tells what happened.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}
pub(crate) use note;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::Result;
use crate::progress::Verbosity;

#[derive(Parser)]
#[command(
    name = "secstream",
    version,
    about = "Pack files into checksummed, compressed and sealed secstream containers",
    after_help = exit::TABLE
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print no progress and no summary (errors only)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Say more: the options used, the temporary file, a summary even for stdout
    #[arg(short, long, global = true)]
    verbose: bool,
}

/// The subcommands, one module each. (`store`, in `store.rs`, hooks in here.)
#[derive(Subcommand)]
enum Command {
    /// Write a new random 32-byte master key to a file (mode 0600)
    Keygen {
        /// The key file to create
        key_file: PathBuf,
        /// The key file's format
        #[arg(long, value_enum, default_value_t)]
        format: keys::KeyFormat,
        /// Overwrite the key file if it exists
        #[arg(short, long)]
        force: bool,
    },
    /// Pack a file (or stdin) into a container: FILE -> FILE.sst
    Pack(pack::PackArgs),
    /// Unpack a container: FILE.sst -> FILE; nothing is left behind on failure
    Unpack(unpack::UnpackArgs),
    /// Check a container: checksums and structure; with a key also authenticity
    Verify(verify::VerifyArgs),
    /// Show a container's header, frame count and frame sizes (checks checksums too)
    Inspect(inspect::InspectArgs),
    /// Write a container's data, or a range of it (--range OFFSET:LEN), to stdout
    Cat(cat::CatArgs),
    /// The encrypted, versioned store: put|get|ls|stat|rm|versions|export|import DB PATH
    Store(store::StoreCmd),
}

fn main() -> ExitCode {
    // Bugs must not print a backtrace at the user either: one line, like every error.
    // A panic the store catches (its engine on a damaged file) is reported by
    // the error that follows it, not here.
    std::panic::set_hook(Box::new(|info| {
        if secstream_store::in_guarded_engine_call() {
            return;
        }
        crate::note!("secstream: internal error: {info}");
    }));
    let cli = Cli::parse();
    if let Err(e) = signals::install() {
        crate::note!("secstream: cannot install signal handlers: {e}");
        return ExitCode::from(exit::Exit::Other.code());
    }
    let v = if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    match run(cli.command, v) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) if f.is_broken_pipe() => signals::die_of_broken_pipe(),
        Err(f) => {
            crate::note!("{f}");
            ExitCode::from(f.exit().code())
        }
    }
}

fn run(cmd: Command, v: Verbosity) -> Result<()> {
    match cmd {
        Command::Keygen {
            key_file,
            format,
            force,
        } => keys::keygen(&key_file, format, force, v == Verbosity::Quiet),
        Command::Pack(a) => pack::pack(&a, v),
        Command::Unpack(a) => unpack::unpack(&a, v),
        Command::Verify(a) => verify::verify(&a, v),
        Command::Inspect(a) => inspect::inspect(&a, v),
        Command::Cat(a) => cat::cat(&a, v),
        Command::Store(cmd) => store::run(cmd),
    }
}
