//! The wrappers container runtimes put around each line a container writes: Docker's json-file
//! driver (`{"log":"msg\n","stream":"stdout","time":"…"}`), CRI's files under `/var/log/pods`
//! (`2026-11-24T06:00:00.123456789Z stdout F msg`) and what `docker logs --timestamps` and
//! `kubectl logs --timestamps` print (`2026-11-24T06:00:00.123456789Z msg`).

use std::borrow::Cow;

use crate::logsearch::stamp::Micros;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    DockerJson,
    Cri,
    /// `docker logs -t` / `kubectl logs --timestamps`: the time, a space, the line.
    Timestamped,
}

impl Wrapper {
    pub fn name(self) -> &'static str {
        match self {
            Wrapper::DockerJson => "docker json-file",
            Wrapper::Cri => "CRI",
            Wrapper::Timestamped => "timestamped stream",
        }
    }

    /// The wrapper of a file, from its first line; only the two file formats are recognised
    /// (a plain log whose lines start with RFC 3339 stamps is not a container's).
    pub fn detect(sample: &[u8]) -> Option<Wrapper> {
        let first = sample.split(|&b| b == b'\n').next()?;
        if first.starts_with(b"{") && decode_docker(first).is_some() {
            Some(Wrapper::DockerJson)
        } else if decode_cri(first).is_some() {
            Some(Wrapper::Cri)
        } else {
            None
        }
    }

    /// One line of the file, unwrapped; `None` when it is not in this wrapper.
    pub fn decode(self, line: &[u8]) -> Option<Entry<'_>> {
        match self {
            Wrapper::DockerJson => decode_docker(line),
            Wrapper::Cri => decode_cri(line),
            Wrapper::Timestamped => {
                let (time, message) = split_word(line)?;
                Some(Entry { time: rfc3339(time)?, partial: false, message: Cow::Borrowed(message) })
            }
        }
    }
}

/// One line the container wrote (or a part of one: `partial`, to be joined with what follows).
#[derive(Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub time: Micros,
    pub partial: bool,
    pub message: Cow<'a, [u8]>,
}

#[derive(serde::Deserialize)]
struct DockerLine {
    log: String,
    #[allow(dead_code)]
    stream: String,
    time: String,
}

fn decode_docker(line: &[u8]) -> Option<Entry<'static>> {
    let parsed: DockerLine = serde_json::from_slice(line).ok()?;
    let time = rfc3339(parsed.time.as_bytes())?;
    // Docker splits lines longer than 16 KiB; only the last part ends with the newline.
    let mut message = parsed.log.into_bytes();
    let partial = message.last() != Some(&b'\n');
    if !partial {
        message.pop();
        if message.last() == Some(&b'\r') {
            message.pop();
        }
    }
    Some(Entry { time, partial, message: Cow::Owned(message) })
}

fn decode_cri(line: &[u8]) -> Option<Entry<'_>> {
    let (time, rest) = split_word(line)?;
    let (stream, rest) = split_word(rest)?;
    if stream != b"stdout" && stream != b"stderr" {
        return None;
    }
    // The tag is `P` (partial) or `F` (full), possibly with more flags after a colon.
    let (tag, message) = match split_word(rest) {
        Some(parts) => parts,
        None => (rest, &b""[..]),
    };
    let partial = match tag.first() {
        Some(b'P') => true,
        Some(b'F') => false,
        _ => return None,
    };
    Some(Entry { time: rfc3339(time)?, partial, message: Cow::Borrowed(message) })
}

fn split_word(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = memchr::memchr(b' ', line)?;
    Some((&line[..space], &line[space + 1..]))
}

fn rfc3339(text: &[u8]) -> Option<Micros> {
    let text = std::str::from_utf8(text).ok()?;
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-24T06:00:00Z in microseconds.
    const SIX: Micros = 1_795_500_000_000_000;

    #[test]
    fn docker_lines_give_the_message_without_its_newline_and_the_wrappers_time() {
        let line = br#"{"log":"GET /health 200\n","stream":"stdout","time":"2026-11-24T06:00:00.123456789Z"}"#;
        assert_eq!(Wrapper::detect(line), Some(Wrapper::DockerJson));
        let entry = Wrapper::DockerJson.decode(line).unwrap();
        assert_eq!(entry, Entry { time: SIX + 123_456, partial: false, message: Cow::Borrowed(b"GET /health 200") });
        let part =
            Wrapper::DockerJson.decode(br#"{"log":"first half","stream":"stderr","time":"2026-11-24T06:00:00Z"}"#);
        assert!(part.unwrap().partial);
    }

    #[test]
    fn cri_lines_give_the_message_and_say_when_a_line_is_partial() {
        let line = b"2026-11-24T06:00:00.5+00:00 stderr P half of a long";
        assert_eq!(Wrapper::detect(line), Some(Wrapper::Cri));
        let entry = Wrapper::Cri.decode(line).unwrap();
        assert_eq!(entry, Entry { time: SIX + 500_000, partial: true, message: Cow::Borrowed(b"half of a long") });
        let empty = Wrapper::Cri.decode(b"2026-11-24T06:00:00Z stdout F").unwrap();
        assert_eq!(empty.message.as_ref(), b"");
    }

    #[test]
    fn plain_logs_with_iso_stamps_are_not_taken_for_container_logs() {
        assert_eq!(Wrapper::detect(b"2026-11-24T06:00:00Z INFO started\n"), None);
        assert_eq!(Wrapper::detect(br#"{"time":"2026-11-24T06:00:00Z","msg":"x"}"#), None);
    }
}
