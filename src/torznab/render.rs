//! Torznab XML: result feeds and errors, written with quick-xml so every
//! title, name and URL is escaped.

use std::borrow::Cow;
use std::io;

use quick_xml::events::BytesText;
use quick_xml::Writer;

use super::TorznabError;
use crate::categories;
use crate::core::swarm::PeerCounts;
use crate::metainfo::hex_hash;
use crate::store::TorrentRecord;

pub const TORZNAB_NS: &str = "http://torznab.com/schemas/2015/feed";

pub fn declaration() -> Vec<u8> {
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_vec()
}

/// `s` without the characters XML 1.0 forbids even escaped (control characters
/// other than tab and newlines, U+FFFE, U+FFFF), which strict parsers reject.
pub fn xml_safe(s: &str) -> Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    };
    if s.chars().any(bad) {
        Cow::Owned(s.chars().filter(|&c| !bad(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

pub fn error(e: &TorznabError) -> Vec<u8> {
    let mut w = Writer::new(declaration());
    let code = e.code.to_string();
    let description = xml_safe(&e.description);
    // Writing to a Vec cannot fail.
    let _ = w
        .create_element("error")
        .with_attribute(("code", code.as_str()))
        .with_attribute(("description", description.as_ref()))
        .write_empty();
    w.into_inner()
}

/// One result with the live figures of its swarm.
pub struct Item {
    pub record: TorrentRecord,
    pub peers: PeerCounts,
}

/// A page of results as the caller will see it.
pub struct Feed<'a> {
    pub server_url: &'a str,
    pub site_name: &'a str,
    /// The caller's API key, written into their download links.
    pub api_key: &'a str,
    pub offset: usize,
    pub total: usize,
    pub items: Vec<Item>,
}

/// RFC 822 date as RSS wants it (`Wed, 25 Nov 2026 13:08:16 +0000`).
pub fn rfc822(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc2822)
                .ok()
        })
        .unwrap_or_else(|| "Thu, 01 Jan 1970 00:00:00 +0000".to_string())
}

fn attr<W: io::Write>(w: &mut Writer<W>, name: &str, value: &str) -> io::Result<()> {
    w.create_element("torznab:attr")
        .with_attribute(("name", name))
        .with_attribute(("value", value))
        .write_empty()?;
    Ok(())
}

fn text<W: io::Write>(w: &mut Writer<W>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_safe(value)))?;
    Ok(())
}

pub fn feed(f: &Feed) -> io::Result<Vec<u8>> {
    let mut w = Writer::new(declaration());
    let api_url = format!("{}/api", f.server_url);
    let key: String = url::form_urlencoded::byte_serialize(f.api_key.as_bytes()).collect();
    w.create_element("rss")
        .with_attribute(("version", "2.0"))
        .with_attribute(("xmlns:atom", "http://www.w3.org/2005/Atom"))
        .with_attribute(("xmlns:torznab", TORZNAB_NS))
        .write_inner_content(|w| {
            w.create_element("channel").write_inner_content(|w| {
                w.create_element("atom:link")
                    .with_attribute(("href", api_url.as_str()))
                    .with_attribute(("rel", "self"))
                    .with_attribute(("type", "application/rss+xml"))
                    .write_empty()?;
                text(w, "title", f.site_name)?;
                text(
                    w,
                    "description",
                    "Private swarm of friends' media libraries",
                )?;
                text(w, "link", &format!("{}/", f.server_url))?;
                text(w, "language", "en-us")?;
                w.create_element("torznab:response")
                    .with_attribute(("offset", f.offset.to_string().as_str()))
                    .with_attribute(("total", f.total.to_string().as_str()))
                    .write_empty()?;
                for item in &f.items {
                    write_item(w, f, &key, item)?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(w.into_inner())
}

fn write_item<W: io::Write>(w: &mut Writer<W>, f: &Feed, key: &str, item: &Item) -> io::Result<()> {
    let r = &item.record;
    let m = &r.meta;
    let ih = hex_hash(&r.info_hash);
    let link = format!(
        "{}/api/v1/torrents/{ih}/download?apikey={key}",
        f.server_url
    );
    let size = r.size.to_string();
    let leaf = m.category;
    let parent = categories::parent(leaf);
    let mut cats = vec![leaf.to_string()];
    if parent != leaf {
        cats.push(parent.to_string());
    }
    w.create_element("item").write_inner_content(|w| {
        text(w, "title", r.title())?;
        w.create_element("guid")
            .with_attribute(("isPermaLink", "false"))
            .write_text_content(BytesText::new(&ih))?;
        text(w, "link", &link)?;
        // The member page authenticates like the download link.
        text(
            w,
            "comments",
            &format!("{}/view/{ih}?apikey={key}", f.server_url),
        )?;
        text(w, "pubDate", &rfc822(r.added))?;
        text(w, "size", &size)?;
        for c in &cats {
            text(w, "category", c)?;
        }
        w.create_element("enclosure")
            .with_attribute(("url", link.as_str()))
            .with_attribute(("length", size.as_str()))
            .with_attribute(("type", "application/x-bittorrent"))
            .write_empty()?;
        for c in &cats {
            attr(w, "category", c)?;
        }
        let PeerCounts { seeders, leechers } = item.peers;
        for (name, value) in [
            ("size", r.size),
            ("files", u64::from(r.file_count)),
            ("grabs", r.grabs),
            ("seeders", u64::from(seeders)),
            ("leechers", u64::from(leechers)),
            ("peers", u64::from(seeders) + u64::from(leechers)),
        ] {
            attr(w, name, &value.to_string())?;
        }
        attr(w, "infohash", &ih)?;
        // A private swarm: whatever is downloaded counts, and no magnet link is given.
        attr(w, "downloadvolumefactor", "1")?;
        attr(w, "uploadvolumefactor", "1")?;
        if let Some(imdb) = m.imdb_id {
            attr(w, "imdb", &format!("{imdb:07}"))?;
            attr(w, "imdbid", &format!("tt{imdb:07}"))?;
        }
        let numbers = [
            ("tmdbid", m.tmdb_id),
            ("tvdbid", m.tvdb_id),
            ("season", m.season),
            ("episode", m.episode),
            ("year", m.year.map(u32::from)),
        ];
        for (name, value) in numbers {
            if let Some(v) = value {
                attr(w, name, &v.to_string())?;
            }
        }
        for (name, value) in [("artist", &m.artist), ("album", &m.album)] {
            if let Some(v) = value {
                attr(w, name, &xml_safe(v))?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_unsafe_characters() {
        assert_eq!(rfc822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(xml_safe("a\u{1}b\tc"), "ab\tc");
        let e = String::from_utf8(error(&TorznabError::new(201, "bad \"x\" & <y>"))).unwrap();
        assert!(
            e.contains(r#"<error code="201" description="bad &quot;x&quot; &amp; &lt;y&gt;"/>"#),
            "{e}"
        );
    }
}
