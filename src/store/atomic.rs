//! Replacing a file whole: the one home of "temp file, fsync, rename, fsync the folder", so a
//! crash or a reader in between sees the old version or the new one, never half of either.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically and durably.
///
/// Fails, naming `path`, on any I/O error; the temporary file is removed then and `path` keeps
/// its old content.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_beside(path);
    let write = || -> std::io::Result<fs::File> {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        Ok(file)
    };
    let file = write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io("cannot write", path, &e)
    })?;
    publish(&file, &tmp, path)
}

/// Writes a file the user named (`-o FILE`): a regular file (or none yet) is replaced
/// atomically, through a symbolic link to its target so the link stays; anything else that
/// exists (`/dev/null`, `/dev/stdout`, a FIFO) is written into as it is, never replaced by a
/// rename (as root, a rename would swap `/dev/null` for a regular file).
pub fn write_named_output(path: &Path, bytes: &[u8]) -> Result<()> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(Error::usage(format!("{} is a directory", path.display()))),
        Ok(meta) if !meta.is_file() => fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut file| file.write_all(bytes))
            .map_err(|e| Error::io("cannot write", path, &e)),
        Ok(_) => {
            let target = fs::canonicalize(path).map_err(|e| Error::io("cannot resolve", path, &e))?;
            write_atomically(&target, bytes)
        }
        Err(_) => write_atomically(path, bytes),
    }
}

/// Makes a fully written temporary file durable and visible under `target` (same folder).
///
/// On failure the temporary file is removed and `target` is untouched.
pub(crate) fn publish(file: &fs::File, tmp: &Path, target: &Path) -> Result<()> {
    if let Err(e) = file.sync_all().and_then(|()| fs::rename(tmp, target)) {
        let _ = fs::remove_file(tmp);
        return Err(Error::io("cannot write", target, &e));
    }
    sync_dir(folder_of(target))
}

/// Makes a directory entry (a created or renamed file) durable.
pub(crate) fn sync_dir(path: &Path) -> Result<()> {
    fs::File::open(path).and_then(|dir| dir.sync_all()).map_err(|e| Error::io("cannot sync directory", path, &e))
}

/// A hidden name in the same folder (a rename across file systems would not be atomic), unique
/// to this process.
fn temp_beside(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    folder_of(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    /// `-o /dev/null` run as root once swapped the device for a regular file; a FIFO stands in
    /// for it here so that a regression cannot break the machine running the test.
    #[test]
    fn output_named_to_a_fifo_or_device_is_written_into_not_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("pipe");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from_raw_mode(0o600)).expect("mkfifo");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read_to_string(fifo).expect("read the fifo"))
        };
        write_named_output(&fifo, b"a post-mortem").expect("write into the fifo");
        assert_eq!(reader.join().expect("reader"), "a post-mortem");
        assert!(fs::symlink_metadata(&fifo).expect("still there").file_type().is_fifo(), "replaced by a file");
    }

    #[test]
    fn output_through_a_symbolic_link_replaces_its_target_and_keeps_the_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("real.md");
        fs::write(&target, "old").expect("write");
        let link = dir.path().join("link.md");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        write_named_output(&link, b"new").expect("write");
        assert!(fs::symlink_metadata(&link).expect("link").file_type().is_symlink(), "the link stays");
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
    }

    #[test]
    fn replacing_a_file_leaves_no_temporary_beside_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("current");
        write_atomically(&path, b"old\n").expect("first write");
        write_atomically(&path, b"new\n").expect("second write");
        assert_eq!(fs::read(&path).expect("read"), b"new\n");
        let names: Vec<_> = fs::read_dir(dir.path()).expect("list").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("current")]);
    }

    #[test]
    fn a_failed_write_names_the_file_and_keeps_the_old_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing-folder").join("file");
        let err = write_atomically(&path, b"x").expect_err("the folder does not exist");
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    }
}
