//! Reading a text file a user names (a runbook, a template, a Markdown file, `incident.toml`)
//! whole, with a size cap: `/dev/zero` or a log given by mistake ends at once with a clear
//! message instead of filling memory.

use std::io::Read;
use std::path::Path;

/// Far above any runbook, template, post-mortem or config anyone writes by hand.
pub const MAX_BYTES: u64 = 8 << 20;

/// The file's text; an error of kind `FileTooLarge` past [`MAX_BYTES`] (reading stops there),
/// `InvalidData` when it is not UTF-8.
pub fn read_whole(path: &Path) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What broke: `/dev/zero` given as a runbook, template or Markdown file was read until
    /// memory ran out.
    #[test]
    fn an_endless_file_is_refused_once_past_the_cap() {
        let started = std::time::Instant::now();
        let err = read_whole(Path::new("/dev/zero")).err().map(|e| (e.kind(), e.to_string()));
        assert_eq!(err.as_ref().map(|e| e.0), Some(std::io::ErrorKind::FileTooLarge));
        assert!(err.is_some_and(|e| e.1.contains("8 MiB")));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
