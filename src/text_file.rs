//! Reading a text file a user names (a runbook, a template, a Markdown file, `incident.toml`)
//! whole, with a size cap: `/dev/zero` or a log given by mistake ends at once with a clear
//! message instead of filling memory, and a FIFO, a device, a socket or a directory is
//! refused at once instead of blocking or running away.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Far above any runbook, template, post-mortem or config anyone writes by hand.
pub const MAX_BYTES: u64 = 8 << 20;

/// The file's text; an error of kind `FileTooLarge` past [`MAX_BYTES`] (reading stops there),
/// `InvalidData` when it is not UTF-8.
pub fn read_whole(path: &Path) -> std::io::Result<String> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {} MiB, more than a file of this kind holds: is it the right file?", MAX_BYTES >> 20),
        ));
    }
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Opens a regular file (or a symlink to one) for reading; anything else is an error of kind
/// `InvalidInput` that says what it is. Opened without blocking: opening a FIFO nobody writes
/// to would otherwise wait forever before it could be refused.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let what = if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a file"
    };
    Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{what}, not a regular file: give a file")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What broke: `/dev/zero` given as a runbook, template or Markdown file was read until
    /// memory ran out.
    #[test]
    fn an_endless_device_is_refused_before_reading() {
        let started = std::time::Instant::now();
        let err = read_whole(Path::new("/dev/zero")).err().map(|e| (e.kind(), e.to_string()));
        assert_eq!(err.as_ref().map(|e| e.0), Some(std::io::ErrorKind::InvalidInput));
        assert!(err.is_some_and(|e| e.1.contains("a device, not a regular file")));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn a_file_past_the_cap_is_refused_once_past_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("big.yaml");
        std::fs::File::create(&path).and_then(|f| f.set_len(MAX_BYTES + 10)).expect("sparse file");
        let err = read_whole(&path).err().map(|e| (e.kind(), e.to_string()));
        assert_eq!(err.as_ref().map(|e| e.0), Some(std::io::ErrorKind::FileTooLarge));
        assert!(err.is_some_and(|e| e.1.contains("8 MiB")));
    }

    /// What broke: a FIFO given as a file blocked forever, in `open` before any read.
    #[test]
    fn a_fifo_nobody_writes_to_is_refused_without_blocking() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("runbook.yaml");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let err = read_whole(&fifo).err().map(|e| (e.kind(), e.to_string()));
        assert_eq!(err.as_ref().map(|e| e.0), Some(std::io::ErrorKind::InvalidInput));
        assert!(err.is_some_and(|e| e.1.contains("a FIFO")));
        let dir_err = read_whole(dir.path()).err().map(|e| e.to_string());
        assert!(dir_err.is_some_and(|e| e.contains("a directory")));
    }
}
