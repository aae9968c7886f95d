//! Errors that name the file, the byte offset and what was expected.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct TraceError {
    pub path: PathBuf,
    /// Byte offset in the file where the problem was found, if it has one.
    pub offset: Option<u64>,
    pub what: String,
    pub source: Option<std::io::Error>,
}

impl TraceError {
    pub fn at(path: &Path, offset: u64, what: impl Into<String>) -> Self {
        TraceError {
            path: path.to_path_buf(),
            offset: Some(offset),
            what: what.into(),
            source: None,
        }
    }
    pub fn io(path: &Path, what: impl Into<String>, e: std::io::Error) -> Self {
        TraceError {
            path: path.to_path_buf(),
            offset: None,
            what: what.into(),
            source: Some(e),
        }
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(o) = self.offset {
            write!(f, ": at byte offset {o}")?;
        }
        write!(f, ": {}", self.what)?;
        // A bare io::ErrorKind only carries the kind for the exit code: its
        // text ("entity already exists") would repeat `what` in other words.
        // Any other cause (an OS error, std's "failed to write whole
        // buffer") is said.
        let bare = |e: &std::io::Error| e.to_string() == std::io::Error::from(e.kind()).to_string();
        if let Some(e) = self.source.as_ref().filter(|e| !bare(e)) {
            write!(f, ": {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TraceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}
