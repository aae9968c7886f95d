//! Creating output files safely: every file sysreplay writes (traces from
//! `record`, `synth` and `import`, `.scap` exports, `--stats-json`) goes
//! through [`create_private`].
//!
//! The recorder runs as root and often writes into world-writable
//! directories such as /tmp, so:
//! - a symbolic link at the final component is never followed (an attacker's
//!   link to /dev/null or /etc/shadow is refused, its target untouched);
//! - anything that is not a regular file (device, fifo, directory) is refused;
//! - without `replace` the file is created exclusively (O_EXCL);
//! - with `replace` a new file is created exclusively beside the target (same
//!   directory) and renamed over it: a reader of the old file keeps reading
//!   the old file, and two writers never write into one inode;
//! - the file is mode 0600 whatever the umask: traces and stats hold command
//!   lines, file names and file contents.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::TraceError;

/// An output file created by [`create_private`].
#[derive(Debug)]
pub struct OutputFile {
    pub file: File,
    path: PathBuf,
    /// (st_dev, st_ino) of the file created.
    id: (u64, u64),
}

impl OutputFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Check that the path still names the file created (another writer
    /// with `--force` may have replaced it meanwhile: what this one wrote
    /// is then unreachable, and the caller must not report success).
    pub fn check_in_place(&self) -> Result<(), TraceError> {
        check_identity(&self.path, self.id)
    }

    /// The (st_dev, st_ino) pair, for [`check_identity`] after the file
    /// moved into another owner (the trace writer's thread).
    pub fn identity(&self) -> (u64, u64) {
        self.id
    }
}

/// Check that `path` names the file with identity `id` (see
/// [`OutputFile::check_in_place`]).
pub fn check_identity(path: &Path, id: (u64, u64)) -> Result<(), TraceError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if (m.dev(), m.ino()) == id => Ok(()),
        Ok(_) => Err(TraceError::io(
            path,
            "was replaced by another writer while this one wrote it; this output is not at that path",
            io::Error::from(io::ErrorKind::AlreadyExists),
        )),
        Err(e) => Err(TraceError::io(
            path,
            "was removed while being written; this output is not at that path",
            e,
        )),
    }
}

/// Refuse a path that must not be written: a symbolic link or anything but
/// a regular file, or (without `replace`) any existing file. Used before
/// slow work (loading the probe) so a bad path fails early; [`create_private`]
/// checks again.
pub fn check_target(path: &Path, replace: bool) -> Result<(), TraceError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => {
            let ft = m.file_type();
            if ft.is_symlink() {
                Err(TraceError::io(
                    path,
                    "is a symbolic link: refusing to write through it",
                    io::Error::from(io::ErrorKind::AlreadyExists),
                ))
            } else if !ft.is_file() {
                Err(TraceError::io(
                    path,
                    "exists and is not a regular file: refusing to write to it",
                    io::Error::from(io::ErrorKind::AlreadyExists),
                ))
            } else if !replace {
                Err(TraceError::io(
                    path,
                    "refusing to overwrite an existing file (use --force)",
                    io::Error::from(io::ErrorKind::AlreadyExists),
                ))
            } else {
                Ok(())
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(TraceError::io(path, "cannot check the output path", e)),
    }
}

/// Create `path` for writing, mode 0600 (see the module documentation).
/// With `replace`, an existing regular file is replaced atomically.
pub fn create_private(path: &Path, replace: bool) -> Result<OutputFile, TraceError> {
    check_target(path, replace)?;
    let file = match open_exclusive(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && replace => replace_via_rename(path)?,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // created between the check and the open: say what it is
            check_target(path, false)?;
            return Err(TraceError::io(path, "cannot create the output file", e));
        }
        Err(e) => return Err(TraceError::io(path, "cannot create the output file", e)),
    };
    finish(path, file)
}

/// O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 (the umask may only take bits away;
/// `finish` sets 0600 exactly).
fn open_exclusive(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Create a new file beside `path` and rename it over `path`.
fn replace_via_rename(path: &Path) -> Result<File, TraceError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| {
            TraceError::io(
                path,
                "has no file name",
                io::Error::from(io::ErrorKind::InvalidInput),
            )
        })?
        .to_string_lossy()
        .into_owned();
    let mut last = None;
    for attempt in 0..16u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = dir.join(format!(
            ".{name}.{}-{nanos:08x}{attempt}.tmp",
            std::process::id()
        ));
        match open_exclusive(&tmp) {
            Ok(f) => {
                // the old file may have become a symlink or a device since
                // the check: rename replaces the name itself, never what a
                // link points to, but refuse to replace those anyway
                if let Err(e) = check_target(path, true) {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e);
                }
                if let Err(e) = std::fs::rename(&tmp, path) {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(TraceError::io(
                        path,
                        format!("cannot move the new file {} into place", tmp.display()),
                        e,
                    ));
                }
                return Ok(f);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => {
                return Err(TraceError::io(
                    path,
                    format!("cannot create a new file beside it ({})", tmp.display()),
                    e,
                ))
            }
        }
    }
    Err(TraceError::io(
        path,
        "cannot create a new file beside it (every temporary name was taken)",
        last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)),
    ))
}

fn finish(path: &Path, file: File) -> Result<OutputFile, TraceError> {
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| TraceError::io(path, "cannot make the output file private (0600)", e))?;
    let m = file
        .metadata()
        .map_err(|e| TraceError::io(path, "cannot stat the output file", e))?;
    Ok(OutputFile {
        file,
        path: path.to_path_buf(),
        id: (m.dev(), m.ino()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::symlink;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn creates_exclusively_mode_0600() {
        // (the umask cases run in the CLI tests: umask is process-wide)
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.srt");
        let mut f = create_private(&p, false).unwrap();
        f.file.write_all(b"x").unwrap();
        assert_eq!(mode(&p), 0o600);
        let e = create_private(&p, false).unwrap_err();
        assert!(e.to_string().contains("use --force"), "{e}");
        f.check_in_place().unwrap();
    }

    #[test]
    fn symlinks_are_refused_with_or_without_replace() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("victim");
        std::fs::write(&target, b"precious").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = d.path().join("out.srt");
        symlink(&target, &link).unwrap();
        let dangling = d.path().join("dangling.srt");
        let nowhere = d.path().join("nowhere");
        symlink(&nowhere, &dangling).unwrap();
        for replace in [false, true] {
            let e = create_private(&link, replace).unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{e}");
            let e = create_private(&dangling, replace).unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{e}");
        }
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
        assert_eq!(mode(&target), 0o644);
        assert!(!nowhere.exists());
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn non_regular_files_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let sub = d.path().join("dir");
        std::fs::create_dir(&sub).unwrap();
        let e = create_private(&sub, true).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        // a fifo stands for a device node (never /dev/null itself: a
        // regression would chmod it)
        let fifo = d.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        for replace in [false, true] {
            let e = create_private(&fifo, replace).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
        assert_eq!(mode(&fifo), 0o644);
    }

    #[test]
    fn replace_renames_a_new_file_into_place() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.srt");
        std::fs::write(&p, b"old contents").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        // a reader of the old file
        let mut reader = File::open(&p).unwrap();
        let mut a = create_private(&p, true).unwrap();
        a.file.write_all(b"new").unwrap();
        assert_eq!(mode(&p), 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        let mut old = String::new();
        std::io::Read::read_to_string(&mut reader, &mut old).unwrap();
        assert_eq!(old, "old contents", "the old file's reader is not cut");
        a.check_in_place().unwrap();
        // a second writer replaces it: the first one is told
        let mut b = create_private(&p, true).unwrap();
        b.file.write_all(b"second").unwrap();
        let e = a.check_in_place().unwrap_err();
        assert!(e.to_string().contains("replaced by another writer"), "{e}");
        b.check_in_place().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        // no temporary file left behind
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("t.srt")]);
    }
}
