//! `--follow`: files watched after they were searched, as `tail -F` does. Each poll reads what
//! was appended, up to the last whole line, and searches it; a file replaced under its name
//! (rotation) is read to its end and the new one from its start; a file that shrank (truncated)
//! is read again from its start.
//!
//! A record is searched when its lines have arrived: one whose continuation lines come in a
//! later poll (a slowly written stack trace) is searched as two.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Flow, Hit, Matcher, Options, Summary};

/// How often the files are looked at.
pub const POLL: Duration = Duration::from_millis(200);
/// At most this much of a file is read per poll (a burst is taken over several polls).
const READ_LIMIT: u64 = 16 << 20;

/// One watched file.
pub struct Tail {
    path: PathBuf,
    file: Option<File>,
    identity: Option<(u64, u64)>,
    offset: u64,
    /// The end of the last line read, when it had no newline yet.
    partial: Vec<u8>,
}

impl Tail {
    /// Watches `path` from its current end (what is there was searched already); a path that
    /// does not exist yet is watched for.
    pub fn at_end(path: &Path) -> Tail {
        let mut tail = Tail { path: path.to_path_buf(), file: None, identity: None, offset: 0, partial: Vec::new() };
        if let Ok(file) = File::open(path)
            && let Ok(meta) = file.metadata()
        {
            tail.identity = Some((meta.dev(), meta.ino()));
            tail.offset = meta.len();
            tail.file = Some(file);
        }
        tail
    }

    /// What was appended since the last poll, in whole lines; follows rotation and truncation.
    fn poll(&mut self, warnings: &mut Vec<String>) -> Vec<u8> {
        let mut new = std::mem::take(&mut self.partial);
        let now = std::fs::metadata(&self.path).ok().map(|m| ((m.dev(), m.ino()), m.len()));
        match now {
            Some((identity, _)) if Some(identity) != self.identity => {
                // Rotated (or created): the rest of the old file first, then the new one whole.
                self.read_more(&mut new, u64::MAX);
                if self.identity.is_some() {
                    warnings.push("replaced (rotated?); following the new file".into());
                }
                self.file = File::open(&self.path).ok();
                self.identity = Some(identity);
                self.offset = 0;
                // A last line of the old file without its newline is complete: the writer moved on.
                if new.last().is_some_and(|&b| b != b'\n') {
                    new.push(b'\n');
                }
            }
            Some((_, len)) if len < self.offset => {
                warnings.push(format!("truncated from {} to {len} bytes; following from its start", self.offset));
                self.offset = 0;
                new.clear();
            }
            _ => {}
        }
        self.read_more(&mut new, READ_LIMIT);
        let whole = memchr::memrchr(b'\n', &new).map_or(0, |i| i + 1);
        self.partial = new.split_off(whole);
        new
    }

    fn read_more(&mut self, into: &mut Vec<u8>, limit: u64) {
        let Some(file) = self.file.as_mut() else { return };
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        if let Ok(n) = file.take(limit).read_to_end(into) {
            self.offset += n as u64;
        }
    }
}

/// Watches `tails` until `stop` says so or the sink stops: each poll's new lines are searched
/// and their hits handed to `sink`; then `after_poll` gets that poll's summary (to flush output
/// or record) and may stop too. Warnings go to `warn`.
pub fn follow(
    tails: &mut [Tail],
    matcher: &Matcher,
    options: &Options,
    stop: &dyn Fn() -> bool,
    sink: &mut dyn FnMut(&Hit) -> Flow,
    after_poll: &mut dyn FnMut(Summary) -> Flow,
    warn: &mut dyn FnMut(&Path, &str),
) {
    let mut options = options.clone();
    // Line numbers and --max count from where following began; a stream has no numbers.
    options.line_numbers = false;
    let mut left = options.max;
    while !stop() {
        let mut polled = Summary::default();
        let mut stopped = false;
        for tail in tails.iter_mut() {
            let mut warnings = Vec::new();
            let new = tail.poll(&mut warnings);
            for warning in warnings {
                warn(&tail.path, &warning);
            }
            if new.is_empty() || stopped {
                continue;
            }
            options.max = left;
            let found = super::search_stream(&tail.path, &mut new.as_slice(), matcher, &options, &mut |hit| {
                let flow = sink(hit);
                stopped |= flow == Flow::Stop;
                flow
            });
            left = left.map(|l| l.saturating_sub(found.matched));
            stopped |= found.hit_max;
            polled.absorb(Summary { files: Vec::new(), ..found });
        }
        if after_poll(polled) == Flow::Stop || stopped {
            return;
        }
        std::thread::sleep(POLL);
    }
}
