//! Folding text into search words, the same way for titles and queries, so
//! `Amélie.2001.1080p`, `amelie 2001` and `AMELIE_2001` meet on the same words.

/// The words of `text`: lower-case, accents folded to ASCII where a Latin
/// letter has an obvious base, split on anything that is not a letter or digit.
/// Apostrophes join (`Grey's` → `greys`, as the *arr apps send it), and dotted
/// acronyms also yield their joined form (`S.W.A.T.` → `s w a t swat`).
pub fn words(text: &str) -> Vec<String> {
    // Each word with the separator that ended it.
    let mut tokens: Vec<(String, char)> = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c == '\'' || c == '\u{2019}' || c == '`' {
            continue;
        }
        if c.is_alphanumeric() {
            fold_into(c, &mut cur);
        } else if !cur.is_empty() {
            tokens.push((std::mem::take(&mut cur), c));
        } else if let Some(last) = tokens.last_mut() {
            // A second separator in a row ("A. B") breaks an acronym.
            last.1 = ' ';
        }
    }
    if !cur.is_empty() {
        tokens.push((cur, ' '));
    }
    let mut out: Vec<String> = Vec::with_capacity(tokens.len() + 1);
    let mut run = String::new();
    let mut run_len = 0;
    let mut acronyms = Vec::new();
    for (w, sep) in tokens {
        if w.chars().count() == 1 {
            run.push_str(&w);
            run_len += 1;
            if sep == '.' {
                out.push(w);
                continue;
            }
        }
        if run_len >= 2 {
            acronyms.push(std::mem::take(&mut run));
        }
        run.clear();
        run_len = 0;
        out.push(w);
    }
    if run_len >= 2 {
        acronyms.push(run);
    }
    out.extend(acronyms);
    out
}

/// The distinct words of `text`, sorted (what an index stores per title).
pub fn word_set(text: &str) -> Vec<String> {
    let mut w = words(text);
    w.sort_unstable();
    w.dedup();
    w
}

/// Lower-cases `c` and folds Latin accents into `out`.
fn fold_into(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    match fold(lower) {
        Some(s) => out.push_str(s),
        None => out.push(lower),
    }
}

/// ASCII base of a lower-case accented Latin letter (Latin-1 Supplement and
/// Latin Extended-A, which cover the European titles a media library holds).
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_separators() {
        assert_eq!(
            words("Amélie.2001.1080p_BluRay-x264"),
            ["amelie", "2001", "1080p", "bluray", "x264"]
        );
        assert_eq!(words("  Straße / ÆON Flux!! "), ["strasse", "aeon", "flux"]);
        assert_eq!(words("Grey's Anatomy"), ["greys", "anatomy"]);
        assert_eq!(words("Law & Order"), ["law", "order"]);
        assert!(words("...---").is_empty());
    }

    #[test]
    fn dotted_acronyms_also_join() {
        assert_eq!(
            words("S.W.A.T.2017.S01E01"),
            ["s", "w", "a", "t", "2017", "s01e01", "swat"]
        );
        assert!(words("S.W.A.T. 2017").contains(&"swat".to_string()));
        // Lone letters that are not an acronym do not make one.
        assert_eq!(words("Plan B 2020"), ["plan", "b", "2020"]);
    }

    #[test]
    fn non_latin_scripts_are_kept_lower_case() {
        assert_eq!(words("Брат 2 (2000)"), ["брат", "2", "2000"]);
        assert_eq!(words("千と千尋の神隠し"), ["千と千尋の神隠し"]);
    }
}
