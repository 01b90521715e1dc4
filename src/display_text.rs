//! The one check for every text the server shows people (torrent names and file
//! names, upload metadata, member labels): one line, nothing invisible that changes how
//! the rest reads, and a length a page or a feed can hold.

/// Characters of Unicode's `Bidi_Control` property: with them `evil\u{202E}vkm.exe`
/// reads as `evilexe.mkv`, so a listing would lie about what a file is.
const BIDI_CONTROLS: &[char] = &[
    '\u{061C}', // ARABIC LETTER MARK
    '\u{200E}', // LEFT-TO-RIGHT MARK
    '\u{200F}', // RIGHT-TO-LEFT MARK
    '\u{202A}', // LEFT-TO-RIGHT EMBEDDING
    '\u{202B}', // RIGHT-TO-LEFT EMBEDDING
    '\u{202C}', // POP DIRECTIONAL FORMATTING
    '\u{202D}', // LEFT-TO-RIGHT OVERRIDE
    '\u{202E}', // RIGHT-TO-LEFT OVERRIDE
    '\u{2066}', // LEFT-TO-RIGHT ISOLATE
    '\u{2067}', // RIGHT-TO-LEFT ISOLATE
    '\u{2068}', // FIRST STRONG ISOLATE
    '\u{2069}', // POP DIRECTIONAL ISOLATE
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {0} characters")]
    TooLong(usize),
    /// C0/C1 controls and DEL (CR, LF, tab, escape…), and the Unicode line and
    /// paragraph separators.
    #[error("holds a control character or line break (U+{0:04X})")]
    Control(u32),
    #[error("holds a bidirectional control character (U+{0:04X})")]
    Bidi(u32),
}

/// Checks `s` as a text shown to people: not empty, at most `max_chars` characters,
/// no control characters, line breaks or bidirectional controls.
pub fn check(s: &str, max_chars: usize) -> Result<(), TextError> {
    if s.is_empty() {
        return Err(TextError::Empty);
    }
    for (i, c) in s.chars().enumerate() {
        if i == max_chars {
            return Err(TextError::TooLong(max_chars));
        }
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            return Err(TextError::Control(c.into()));
        }
        if BIDI_CONTROLS.contains(&c) {
            return Err(TextError::Bidi(c.into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_line_of_any_script() {
        for ok in [
            "Movie (2020) [Bluray-1080p]-GRP",
            "Amélie (2001)",
            "千と千尋の神隠し",
            "שלום עולם",
            "Björk – Homogenic 👩‍🎤",
        ] {
            assert_eq!(check(ok, 300), Ok(()), "{ok}");
        }
        assert_eq!(check(&"é".repeat(300), 300), Ok(()));
    }

    #[test]
    fn refuses_what_would_mislead_a_reader() {
        let cases = [
            ("", TextError::Empty),
            ("a\nb", TextError::Control(0x0A)),
            ("a\rb", TextError::Control(0x0D)),
            ("tab\tbed", TextError::Control(0x09)),
            ("esc\u{1b}[31m", TextError::Control(0x1B)),
            ("nul\0", TextError::Control(0)),
            ("del\u{7f}", TextError::Control(0x7F)),
            ("c1\u{85}", TextError::Control(0x85)),
            ("line\u{2028}sep", TextError::Control(0x2028)),
            ("evil\u{202E}vkm.exe", TextError::Bidi(0x202E)),
            ("\u{2066}isolate", TextError::Bidi(0x2066)),
            ("mark\u{200F}", TextError::Bidi(0x200F)),
        ];
        for (s, want) in cases {
            assert_eq!(check(s, 300), Err(want), "{s:?}");
        }
        assert_eq!(check(&"a".repeat(301), 300), Err(TextError::TooLong(300)));
        // The length stops the scan: a 100 KB name costs 300 characters of work.
        assert_eq!(
            check(&format!("{}\n", "a".repeat(100_000)), 300),
            Err(TextError::TooLong(300))
        );
    }
}
