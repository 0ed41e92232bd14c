//! Other systems: no handlers (see the parent module).

use std::path::Path;

pub(crate) fn install() -> std::io::Result<()> {
    Ok(())
}

pub(crate) fn set_progress(_shown: bool) {}

#[must_use = "the path is unregistered when this is dropped"]
pub(crate) struct Registration(());

impl Registration {
    pub(crate) fn new(_path: &Path) -> Self {
        Self(())
    }
}

pub(crate) fn die_of_broken_pipe() -> ! {
    std::process::exit(3)
}
