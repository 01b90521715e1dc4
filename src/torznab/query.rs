//! Torznab request parameters: parsed and checked before anything is searched,
//! so every bad value becomes a Torznab error naming the parameter.

use super::normalize::words;
use super::TorznabError;

/// Most items one page may ask for (announced in caps).
pub const MAX_LIMIT: usize = 1000;
/// Longest search text taken (bytes); titles are far shorter, longer is refused with 201.
pub const MAX_Q: usize = 1024;
/// Items per page when `limit` is absent (announced in caps).
pub const DEFAULT_LIMIT: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Search,
    Tv,
    Movie,
    Music,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Function {
    Caps,
    Search(Box<SearchParams>),
}

/// A checked search: every field already normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchParams {
    pub mode: Mode,
    /// Normalised words of `q` (plus a daily episode's date words); all must match.
    pub words: Vec<String>,
    pub artist: Vec<String>,
    pub album: Vec<String>,
    /// Category ids as asked; a parent id also selects its subcategories.
    pub cats: Vec<u32>,
    pub imdb: Option<u32>,
    pub tmdb: Option<u32>,
    pub tvdb: Option<u32>,
    pub season: Option<u32>,
    pub episode: Option<u32>,
    pub limit: usize,
    pub offset: usize,
    pub include_mine: bool,
}

impl SearchParams {
    /// Nothing narrows the search: the RSS feed.
    pub fn is_feed(&self) -> bool {
        self.words.is_empty()
            && self.artist.is_empty()
            && self.album.is_empty()
            && self.imdb.is_none()
            && self.tmdb.is_none()
            && self.tvdb.is_none()
            && self.season.is_none()
            && self.episode.is_none()
    }
}

/// The request's parameters (first value wins), without the API key.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw_query: &str) -> Params {
        Params(
            url::form_urlencoded::parse(raw_query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// A parameter's trimmed value; an empty value counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

fn incorrect(name: &str, why: &str) -> TorznabError {
    TorznabError::new(201, format!("Incorrect parameter: {name} ({why})"))
}

fn number(p: &Params, name: &str) -> Result<Option<u32>, TorznabError> {
    p.get(name)
        .map(|v| {
            v.parse::<u32>()
                .map_err(|_| incorrect(name, "must be a whole number"))
        })
        .transpose()
}

/// `tt0111161`, `0111161` or `111161` → 111161.
fn imdb(p: &Params) -> Result<Option<u32>, TorznabError> {
    p.get("imdbid")
        .map(|v| {
            let digits = v
                .strip_prefix("tt")
                .or_else(|| v.strip_prefix("TT"))
                .unwrap_or(v);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(incorrect("imdbid", "must be tt followed by digits"));
            }
            digits
                .parse::<u32>()
                .map_err(|_| incorrect("imdbid", "too large"))
        })
        .transpose()
}

/// Parses the function and, for searches, every search parameter.
pub fn parse(p: &Params) -> Result<Function, TorznabError> {
    let t = p
        .get("t")
        .ok_or_else(|| TorznabError::new(200, "Missing parameter (t)"))?;
    let mode = match t.to_ascii_lowercase().as_str() {
        "caps" => return Ok(Function::Caps),
        "search" => Mode::Search,
        "tvsearch" | "tv-search" => Mode::Tv,
        "movie" | "movie-search" | "moviesearch" => Mode::Movie,
        "music" | "audio" | "music-search" | "audio-search" | "musicsearch" => Mode::Music,
        "book" | "book-search" | "booksearch" => {
            return Err(TorznabError::new(
                203,
                "Function not available: this indexer has no books",
            ))
        }
        _ => return Err(TorznabError::new(202, format!("No such function ({t})"))),
    };

    let mut cats = Vec::new();
    if let Some(list) = p.get("cat") {
        for part in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            cats.push(
                part.parse::<u32>()
                    .map_err(|_| incorrect("cat", "must be category ids separated by commas"))?,
            );
        }
    }
    let limit = match p.get("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| incorrect("limit", "must be a whole number"))?
            .min(MAX_LIMIT),
    };
    let offset = match p.get("offset") {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| incorrect("offset", "must be a whole number"))?,
    };

    if p.get("q").is_some_and(|q| q.len() > MAX_Q) {
        return Err(incorrect("q", &format!("longer than {MAX_Q} bytes")));
    }
    let mut q_words = p.get("q").map(words).unwrap_or_default();
    let season = number(p, "season")?;
    // Sonarr asks for daily shows as season=2024&ep=05/21: those are title words.
    let (season, episode) = match p.get("ep") {
        Some(ep) if ep.contains('/') => {
            let parts: Vec<&str> = ep.split('/').collect();
            if parts.len() != 2
                || parts
                    .iter()
                    .any(|s| s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(incorrect("ep", "must be a number or MM/DD"));
            }
            if let Some(year) = season {
                q_words.push(year.to_string());
            }
            q_words.extend(parts.iter().map(|s| format!("{s:0>2}")));
            (None, None)
        }
        _ => (season, number(p, "ep")?),
    };

    // An id of 0 means "unknown" to some callers: treat it as absent.
    let nonzero = |v: Option<u32>| v.filter(|&n| n != 0);
    Ok(Function::Search(Box::new(SearchParams {
        mode,
        words: q_words,
        artist: p.get("artist").map(words).unwrap_or_default(),
        album: p.get("album").map(words).unwrap_or_default(),
        cats,
        imdb: nonzero(imdb(p)?),
        tmdb: nonzero(number(p, "tmdbid")?),
        tvdb: nonzero(number(p, "tvdbid")?),
        season,
        episode,
        limit,
        offset,
        include_mine: matches!(
            p.get("include_my_uploads")
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("1" | "true" | "yes")
        ),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(q: &str) -> Result<SearchParams, TorznabError> {
        match parse(&Params::parse(q))? {
            Function::Search(s) => Ok(*s),
            Function::Caps => panic!("caps"),
        }
    }

    #[test]
    fn parses_the_apps_test_requests() {
        let s = search("t=tvsearch&cat=5030,5040&extended=1&offset=0&limit=100").unwrap();
        assert_eq!(s.mode, Mode::Tv);
        assert_eq!(s.cats, [5030, 5040]);
        assert!(s.is_feed());
        let s = search("t=search&extended=1").unwrap();
        assert_eq!(s.limit, DEFAULT_LIMIT);
        assert!(s.cats.is_empty());
    }

    #[test]
    fn rejects_bad_values_with_201() {
        for q in [
            "t=search&cat=abc",
            "t=search&limit=-1",
            "t=tvsearch&season=x",
            "t=tvsearch&ep=1x",
            "t=movie&imdbid=ttabc",
            "t=search&offset=-5",
            "t=tvsearch&tvdbid=12a",
        ] {
            assert_eq!(search(q).unwrap_err().code, 201, "{q}");
        }
        assert_eq!(search("t=nope").unwrap_err().code, 202);
        assert_eq!(search("t=book").unwrap_err().code, 203);
        assert_eq!(search("q=x").unwrap_err().code, 200);
    }

    #[test]
    fn normalises_ids_and_episodes() {
        let s = search("t=movie&imdbid=tt0111161").unwrap();
        assert_eq!(s.imdb, Some(111161));
        assert_eq!(search("t=movie&imdbid=0111161").unwrap().imdb, Some(111161));
        let s = search("t=tvsearch&season=00&ep=03").unwrap();
        assert_eq!((s.season, s.episode), (Some(0), Some(3)));
        let s = search("t=tvsearch&q=Daily&season=2024&ep=5/21").unwrap();
        assert_eq!(s.words, ["daily", "2024", "05", "21"]);
        assert_eq!((s.season, s.episode), (None, None));
        assert_eq!(search("t=search&limit=5000").unwrap().limit, MAX_LIMIT);
        let long = format!("t=search&q={}", "a".repeat(MAX_Q + 1));
        assert_eq!(search(&long).unwrap_err().code, 201);
        assert!(search(&format!("t=search&q={}", "a".repeat(MAX_Q))).is_ok());
    }
}
