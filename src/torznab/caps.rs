//! `t=caps`: what this indexer can search, in the shape Prowlarr reads.

use std::io;

use quick_xml::Writer;

use super::query::{DEFAULT_LIMIT, MAX_LIMIT};
use super::render::{declaration, xml_safe};
use crate::app::config::ServerConfig;
use crate::categories;

/// Search modes with their parameters; books are not carried.
const MODES: &[(&str, bool, &str)] = &[
    ("search", true, "q"),
    ("tv-search", true, "q,season,ep,imdbid,tvdbid,tmdbid"),
    ("movie-search", true, "q,imdbid,tmdbid"),
    ("music-search", true, "q,artist,album"),
    ("audio-search", true, "q,artist,album"),
    ("book-search", false, "q"),
];

pub fn caps(config: &ServerConfig) -> io::Result<Vec<u8>> {
    let mut w = Writer::new(declaration());
    let site = xml_safe(&config.site_name);
    let url = format!("{}/", config.server_url);
    w.create_element("caps").write_inner_content(|w| {
        w.create_element("server")
            .with_attribute(("version", "1.0"))
            .with_attribute(("title", site.as_ref()))
            .with_attribute(("strapline", "Private swarm of friends' media libraries"))
            .with_attribute(("url", url.as_str()))
            .write_empty()?;
        w.create_element("limits")
            .with_attribute(("default", DEFAULT_LIMIT.to_string().as_str()))
            .with_attribute(("max", MAX_LIMIT.to_string().as_str()))
            .write_empty()?;
        w.create_element("registration")
            .with_attribute(("available", "no"))
            .with_attribute(("open", "no"))
            .write_empty()?;
        w.create_element("searching").write_inner_content(|w| {
            for (mode, available, params) in MODES {
                w.create_element(*mode)
                    .with_attribute(("available", if *available { "yes" } else { "no" }))
                    .with_attribute(("supportedParams", *params))
                    .write_empty()?;
            }
            Ok(())
        })?;
        w.create_element("categories").write_inner_content(|w| {
            for parent in categories::ALL
                .iter()
                .filter(|c| categories::is_parent(c.id))
            {
                w.create_element("category")
                    .with_attribute(("id", parent.id.to_string().as_str()))
                    .with_attribute(("name", parent.name))
                    .write_inner_content(|w| {
                        for sub in categories::subcategories(parent.id) {
                            w.create_element("subcat")
                                .with_attribute(("id", sub.id.to_string().as_str()))
                                .with_attribute(("name", sub.name))
                                .write_empty()?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(w.into_inner())
}
