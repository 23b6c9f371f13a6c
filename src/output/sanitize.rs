//! Text that cannot drive a terminal: the one sanitiser every printer's output passes through.
//!
//! Recorded and external text (notes, titles, command output, log lines, runbook lines, notes
//! synced from other clones) may hold escape sequences: a note could clear the screen, write
//! the clipboard (OSC 52) or hide what follows it. Printing shows every control character as a
//! visible escape (`\e[2J`, `\a`, `\x01`, `\u{9b}`) and neutralises bidi overrides the same way,
//! so what a responder reads is what was written. The timeline keeps the bytes verbatim: it is
//! evidence; only what is printed is changed.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The escape sequences `Output::paint` writes: our own colours, kept when a stream takes colour.
const OWN_COLOURS: [&str; 7] = ["\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m"];

/// Text safe for a terminal. With `keep_own_colours`, the colour sequences `Output::paint`
/// writes pass through; every other control character and escape is made visible.
pub fn terminal_safe(text: &str, keep_own_colours: bool) -> Cow<'_, str> {
    let own_colour = |rest: &str| OWN_COLOURS.iter().find(|own| rest.starts_with(**own)).map(|own| own.len());
    neutralise(text, &|rest| if keep_own_colours { own_colour(rest) } else { None }, false)
}

/// A running command's output as it is shown live: like [`terminal_safe`], but what makes
/// interactive output readable passes through: colour (SGR, `ESC [ digits m`) and a lone
/// carriage return (a progress bar redrawing its line). Nothing that moves the cursor
/// elsewhere, clears the screen, sets a title or writes the clipboard does.
pub fn terminal_safe_live(text: &str) -> Cow<'_, str> {
    neutralise(text, &|rest| colour_sequence(rest).map(str::len), true)
}

/// Every character a terminal acts on made visible, but the escape sequences `kept` measures
/// at their start, and a carriage return ending a line (or any, with `any_cr`).
fn neutralise<'a>(text: &'a str, kept: &dyn Fn(&str) -> Option<usize>, any_cr: bool) -> Cow<'a, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b'
            && let Some(len) = kept(rest)
        {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        // A CR that ends a line (CRLF) moves nothing a reader would miss.
        if c == '\r' && (any_cr || rest[1..].starts_with('\n')) {
            out.push('\r');
        } else {
            push_visible(&mut out, c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// The colour sequence `text` starts with (`ESC [ 1;31 m`, `ESC [ 38;5;208 m`), if it does.
fn colour_sequence(text: &str) -> Option<&str> {
    let params = text.strip_prefix("\x1b[")?;
    let len = params.bytes().take(64).take_while(|b| b.is_ascii_digit() || *b == b';' || *b == b':').count();
    (params.as_bytes().get(len) == Some(&b'm')).then(|| &text[..2 + len + 1])
}

/// Bytes (possibly not UTF-8) safe for a terminal: [`terminal_safe`] without colours, and every
/// byte that is not UTF-8 shown as `\xNN`.
pub fn terminal_safe_bytes(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return terminal_safe(text, false);
    }
    let mut out = String::with_capacity(bytes.len() + 16);
    for chunk in bytes.utf8_chunks() {
        out.push_str(&terminal_safe(chunk.valid(), false));
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    Cow::Owned(out)
}

/// JSON text whose strings hold no character a terminal acts on: serde_json escapes C0 controls
/// but writes DEL, C1 controls and bidi overrides raw; they become `\uXXXX`, which decodes to
/// the same string, so the JSON means what it meant.
pub fn json_safe(json: String) -> String {
    if !json.chars().any(|c| c != '\n' && needs_escape(c)) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c != '\n' && needs_escape(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Control characters other than newline and tab (C0, DEL, C1) and bidi overrides.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
}

/// Embeddings, overrides and isolates: they reorder how the text around them is displayed.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\x1b' => out.push_str("\\e"),
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\r' => out.push_str("\\r"),
        c if needs_escape(c) && u32::from(c) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_not_executed() {
        assert_eq!(terminal_safe("a\x1b[2Jb", false), "a\\e[2Jb");
        assert_eq!(terminal_safe("\x1b]52;c;aGk=\x07", false), "\\e]52;c;aGk=\\a");
        assert_eq!(terminal_safe("x\u{9b}2J", false), "x\\u{9b}2J");
        assert_eq!(terminal_safe("over\rwrite", false), "over\\rwrite");
        assert_eq!(terminal_safe("\x7f\x01", false), "\\x7f\\x01");
    }

    #[test]
    fn bidi_overrides_cannot_reorder_what_follows() {
        assert_eq!(terminal_safe("ok \u{202e}gnp.exe", false), "ok \\u{202e}gnp.exe");
        assert_eq!(terminal_safe("\u{2066}x\u{2069}", false), "\\u{2066}x\\u{2069}");
    }

    #[test]
    fn plain_text_newlines_tabs_and_crlf_are_untouched() {
        assert!(matches!(terminal_safe("a\tb\nc — ü", false), Cow::Borrowed(_)));
        assert_eq!(terminal_safe("a\r\nb\x1b", false), "a\r\nb\\e");
    }

    #[test]
    fn only_our_own_colours_survive_and_only_when_asked() {
        let painted = "\x1b[31mCRITICAL\x1b[0m \x1b[2J\x1b[38;5;1m";
        assert_eq!(terminal_safe(painted, true), "\x1b[31mCRITICAL\x1b[0m \\e[2J\\e[38;5;1m");
        assert_eq!(terminal_safe(painted, false), "\\e[31mCRITICAL\\e[0m \\e[2J\\e[38;5;1m");
    }

    #[test]
    fn live_output_keeps_colours_and_progress_redraws_but_nothing_that_drives_the_screen() {
        let live = "\x1b[1;31mFAIL\x1b[0m 50%\r60%\x1b[2J\x1b]52;c;aGk=\x07\x1b[38;5;208mx\x1b[5A";
        assert_eq!(
            terminal_safe_live(live),
            "\x1b[1;31mFAIL\x1b[0m 50%\r60%\\e[2J\\e]52;c;aGk=\\a\x1b[38;5;208mx\\e[5A"
        );
        assert_eq!(terminal_safe_live("\x1b["), "\\e[");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        assert_eq!(terminal_safe_bytes(b"a\x9b2J\xffz\x1b"), "a\\x9b2J\\xffz\\e");
    }

    #[test]
    fn json_stays_json_and_decodes_to_the_same_string() {
        let json = serde_json::to_string(&"a\u{9b}\u{202e}\x7f\x1b").unwrap_or_default();
        let safe = json_safe(json);
        assert!(!safe.chars().any(|c| c.is_control() || is_bidi_control(c)), "{safe}");
        let back: String = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back, "a\u{9b}\u{202e}\x7f\x1b");
    }
}
