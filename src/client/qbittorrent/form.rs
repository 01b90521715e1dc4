//! Request parameters as qBittorrent reads them: the query string, an
//! urlencoded body or a multipart body, all bounded.

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;

/// Largest body accepted (several .torrent files in one add).
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// Largest text field.
const MAX_FIELD: usize = 64 * 1024;
/// Most parts in one multipart body, and most names in one list parameter.
pub const MAX_ITEMS: usize = 1000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormError {
    #[error("request body too large")]
    TooLarge,
    #[error("malformed multipart body: {0}")]
    Multipart(String),
    #[error("too many parts or values")]
    TooMany,
    #[error("{0}")]
    Bad(String),
}

#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
    /// Contents of the file parts (`torrents`).
    pub files: Vec<Vec<u8>>,
}

impl Params {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.values.get(k).map(String::as_str)
    }

    pub fn flag(&self, k: &str) -> bool {
        self.get(k)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }

    fn put(&mut self, k: String, v: String) -> Result<(), FormError> {
        if v.len() > MAX_FIELD || self.values.len() >= MAX_ITEMS {
            return Err(FormError::TooMany);
        }
        self.values.insert(k, v);
        Ok(())
    }

    fn urlencoded(&mut self, raw: &[u8]) -> Result<(), FormError> {
        for (k, v) in form_urlencoded::parse(raw) {
            self.put(k.into_owned(), v.into_owned())?;
        }
        Ok(())
    }

    /// The parameters of a request: query first, then the body's fields.
    pub async fn parse(
        query: &str,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<Params, FormError> {
        let mut p = Params::default();
        p.urlencoded(query.as_bytes())?;
        let ct = content_type.unwrap_or("");
        if ct.starts_with("multipart/form-data") {
            let boundary =
                multer::parse_boundary(ct).map_err(|e| FormError::Multipart(e.to_string()))?;
            let stream =
                futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
            let mut mp = multer::Multipart::new(stream, boundary);
            let mut parts = 0;
            while let Some(field) = mp
                .next_field()
                .await
                .map_err(|e| FormError::Multipart(e.to_string()))?
            {
                parts += 1;
                if parts > MAX_ITEMS {
                    return Err(FormError::TooMany);
                }
                let name = field.name().unwrap_or("").to_string();
                // qBittorrent takes every file part as a torrent, whatever its
                // field name (qbittorrent-api names them `torrent__N`).
                let is_file = name == "torrents" || field.file_name().is_some();
                let data = field
                    .bytes()
                    .await
                    .map_err(|e| FormError::Multipart(e.to_string()))?;
                if is_file {
                    p.files.push(data.to_vec());
                } else {
                    let v = String::from_utf8(data.to_vec())
                        .map_err(|_| FormError::Bad(format!("field {name:?} is not UTF-8")))?;
                    p.put(name, v)?;
                }
            }
        } else if !body.is_empty() {
            p.urlencoded(&body)?;
        }
        Ok(p)
    }
}

/// `hashes`: `all`, or `h1|h2|…` in any case; `None` for `all`.
pub fn hashes(raw: Option<&str>) -> Result<Option<BTreeSet<String>>, FormError> {
    let raw = raw.map(str::trim).unwrap_or("");
    if raw.eq_ignore_ascii_case("all") {
        return Ok(None);
    }
    if raw.is_empty() {
        return Err(FormError::Bad("missing hashes".into()));
    }
    let mut out = BTreeSet::new();
    for h in raw.split('|') {
        out.insert(one_hash(h)?);
        if out.len() > MAX_ITEMS {
            return Err(FormError::TooMany);
        }
    }
    Ok(Some(out))
}

/// One v1 info-hash, lower-cased.
pub fn one_hash(h: &str) -> Result<String, FormError> {
    let h = h.trim();
    if h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(h.to_ascii_lowercase())
    } else {
        Err(FormError::Bad(format!(
            "not an info-hash: {:?}",
            h.chars().take(60).collect::<String>()
        )))
    }
}

/// The *arr apps' (and qBittorrent's) category-name rule: no `\`, no `//`,
/// no leading or trailing `/`; `a/b` nests.
pub fn category_name(name: &str) -> Result<&str, FormError> {
    let bad = name.is_empty()
        || name.len() > 255
        || name.contains('\\')
        || name.contains("//")
        || name.starts_with('/')
        || name.ends_with('/')
        || name.chars().any(char::is_control)
        || name.split('/').any(|c| c == "." || c == "..");
    if bad {
        Err(FormError::Bad(format!(
            "invalid category name {:?}: no \\, no //, no leading or trailing /, no . or .. parts",
            name.chars().take(60).collect::<String>()
        )))
    } else {
        Ok(name)
    }
}

/// `tags`: comma-separated names; empty ones dropped.
pub fn tag_list(raw: Option<&str>) -> Result<BTreeSet<String>, FormError> {
    let mut out = BTreeSet::new();
    for t in raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if t.len() > 255 || t.chars().any(char::is_control) {
            return Err(FormError::Bad("invalid tag name".into()));
        }
        out.insert(t.to_string());
        if out.len() > MAX_ITEMS {
            return Err(FormError::TooMany);
        }
    }
    Ok(out)
}

/// A number parameter; absent → `None`.
pub fn number<T: std::str::FromStr>(p: &Params, k: &str) -> Result<Option<T>, FormError> {
    p.get(k)
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| FormError::Bad(format!("{k}: not a number")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_any_case_in_lower_out() {
        let h = "AB".repeat(20);
        let set = hashes(Some(&format!("{h}|{}", "cd".repeat(20))))
            .unwrap()
            .unwrap();
        assert!(set.contains(&"ab".repeat(20)) && set.len() == 2);
        assert_eq!(hashes(Some("all")).unwrap(), None);
        assert_eq!(hashes(Some("ALL")).unwrap(), None);
        assert!(hashes(Some("xyz")).is_err());
        assert!(hashes(None).is_err());
        assert!(hashes(Some(&format!("{h}|../etc"))).is_err());
    }

    #[test]
    fn category_rule() {
        for ok in ["radarr", "tv-sonarr", "a/b", "Movies 4K"] {
            assert!(category_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/a", "a/", "a//b", "a\\b", "../x", "a/../b", "a\nb"] {
            assert!(category_name(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn bodies_parse_and_are_bounded() {
        let p = Params::parse(
            "a=1",
            Some("application/x-www-form-urlencoded"),
            Bytes::from("b=2&c=x%20y"),
        )
        .await
        .unwrap();
        assert_eq!(
            (p.get("a"), p.get("b"), p.get("c")),
            (Some("1"), Some("2"), Some("x y"))
        );
        let big = format!("k={}", "x".repeat(MAX_FIELD + 1));
        assert_eq!(
            Params::parse("", None, Bytes::from(big)).await.unwrap_err(),
            FormError::TooMany
        );
        let mp = "--XX\r\nContent-Disposition: form-data; name=\"torrents\"; filename=\"a.torrent\"\r\n\r\nd4:infoe\r\n--XX\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\nradarr\r\n--XX--\r\n";
        let p = Params::parse(
            "",
            Some("multipart/form-data; boundary=XX"),
            Bytes::from(mp),
        )
        .await
        .unwrap();
        assert_eq!(p.files, vec![b"d4:infoe".to_vec()]);
        assert_eq!(p.get("category"), Some("radarr"));
        assert!(Params::parse(
            "",
            Some("multipart/form-data; boundary=XX"),
            Bytes::from("--XX\r\ngarbage")
        )
        .await
        .is_err());
    }
}
