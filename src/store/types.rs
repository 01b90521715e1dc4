//! Records kept in the store.

use serde::{Deserialize, Serialize};

/// SHA-256 of a key; keys are 256-bit random values, so a fast hash is safe here.
pub type KeyHash = [u8; 32];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct User {
    pub id: u64,
    pub label: String,
    #[serde(with = "hex::serde")]
    pub api_key_hash: KeyHash,
    #[serde(with = "hex::serde")]
    pub passkey_hash: KeyHash,
    pub created: i64,
    #[serde(default)]
    pub last_seen: i64,
    pub enabled: bool,
    #[serde(default)]
    pub uploaded: u64,
    #[serde(default)]
    pub downloaded: u64,
    /// Torrents this member grabbed.
    #[serde(default)]
    pub grabs: u64,
    /// Torrents this member uploaded.
    #[serde(default)]
    pub uploads: u64,
    /// Grabs of this member's uploads by others.
    #[serde(default)]
    pub popularity: u64,
    /// Completed downloads reported by the tracker.
    #[serde(default)]
    pub snatches: u64,
}

impl User {
    /// A new member: enabled, no activity, every counter at zero.
    pub fn new(
        id: u64,
        label: String,
        api_key_hash: KeyHash,
        passkey_hash: KeyHash,
        now: i64,
    ) -> User {
        User {
            id,
            label,
            api_key_hash,
            passkey_hash,
            created: now,
            last_seen: 0,
            enabled: true,
            uploaded: 0,
            downloaded: 0,
            grabs: 0,
            uploads: 0,
            popularity: 0,
            snatches: 0,
        }
    }
}

/// Bytes uploaded and downloaded by all `users`. Saturating: a sum past u64::MAX
/// (16 EiB) stays there, where a plain `sum` wraps (stats once said 1 byte) or panics.
pub fn transfer_totals(users: &[User]) -> (u64, u64) {
    users.iter().fold((0u64, 0u64), |(up, down), u| {
        (
            up.saturating_add(u.uploaded),
            down.saturating_add(u.downloaded),
        )
    })
}

/// Counter changes for one member, applied in batches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserDelta {
    pub uploaded: u64,
    pub downloaded: u64,
    pub snatches: u64,
    /// Latest activity time seen; 0 leaves last_seen alone.
    pub last_seen: i64,
}

/// Descriptive fields an uploader sends with a torrent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TorrentMeta {
    /// Torznab category id (2000 Movies, 2040 Movies/HD, 5040 TV/HD, 3040 Audio/Lossless, …).
    pub category: u32,
    /// Release name shown in search results; the torrent name when absent.
    #[serde(default)]
    pub title: Option<String>,
    /// Digits only; `"tt0133093"` and `133093` are both accepted on input.
    #[serde(default, deserialize_with = "imdb::deserialize")]
    pub imdb_id: Option<u32>,
    #[serde(default)]
    pub tmdb_id: Option<u32>,
    #[serde(default)]
    pub tvdb_id: Option<u32>,
    #[serde(default)]
    pub season: Option<u32>,
    #[serde(default)]
    pub episode: Option<u32>,
    #[serde(default)]
    pub artist: Option<String>,
    #[serde(default)]
    pub album: Option<String>,
    #[serde(default)]
    pub year: Option<u16>,
    /// e.g. "1080p", "2160p"
    #[serde(default)]
    pub resolution: Option<String>,
    /// Hide the uploader's label on the torrent page.
    #[serde(default)]
    pub anonymous: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TorrentRecord {
    #[serde(with = "hex::serde")]
    pub info_hash: [u8; 20],
    #[serde(default, with = "opt_hex32")]
    pub info_hash_v2: Option<[u8; 32]>,
    /// `info.name` of the torrent.
    pub name: String,
    pub size: u64,
    pub file_count: u32,
    pub piece_length: u64,
    pub uploader: u64,
    /// Unix seconds of the first upload.
    pub added: i64,
    pub meta: TorrentMeta,
    #[serde(default)]
    pub grabs: u64,
    #[serde(default)]
    pub snatches: u64,
}

impl TorrentRecord {
    /// The title searches and feeds show.
    pub fn title(&self) -> &str {
        self.meta.title.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    /// Same uploader re-sent it: metadata replaced, counters kept.
    Updated,
    /// Someone else already shared it.
    Conflict,
}

mod opt_hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(h) => s.serialize_some(&hex::encode(h)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| {
            let mut out = [0u8; 32];
            hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
            Ok(out)
        })
        .transpose()
    }
}

mod imdb {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Num(u32),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        match Option::<Raw>::deserialize(d)? {
            None => Ok(None),
            Some(Raw::Num(n)) => Ok(Some(n)),
            Some(Raw::Text(s)) => {
                let digits = s.strip_prefix("tt").unwrap_or(&s);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(serde::de::Error::custom(format!("not an IMDb id: {s:?}")));
                }
                digits.parse().map(Some).map_err(serde::de::Error::custom)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(uploaded: u64, downloaded: u64) -> User {
        User {
            id: 1,
            label: "m".into(),
            api_key_hash: [0; 32],
            passkey_hash: [0; 32],
            created: 0,
            last_seen: 0,
            enabled: true,
            uploaded,
            downloaded,
            grabs: 0,
            uploads: 0,
            popularity: 0,
            snatches: 0,
        }
    }

    #[test]
    fn transfer_totals_saturate_instead_of_wrapping() {
        let users = [member(u64::MAX, 5), member(2, 7)];
        assert_eq!(transfer_totals(&users), (u64::MAX, 12));
        assert_eq!(transfer_totals(&[]), (0, 0));
    }
}

/// Which torrents a page holds: all of them, or those of a category (a parent
/// category takes its subcategories) whose title or name holds every word.
#[derive(Debug, Clone, Default)]
pub struct TorrentFilter {
    /// Lowercase words, each of which the title or name must contain.
    pub words: Vec<String>,
    pub category: Option<u32>,
}

impl TorrentFilter {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.category.is_none()
    }

    pub fn matches(&self, rec: &TorrentRecord) -> bool {
        self.keeps(rec.meta.category, || search_text(rec))
    }

    /// [`matches`](Self::matches) on a torrent's category and its [`search_text`]
    /// (made only when words are asked for).
    pub fn keeps<S: AsRef<str>>(&self, category: u32, text: impl FnOnce() -> S) -> bool {
        if let Some(c) = self.category {
            let ok = if crate::categories::is_parent(c) {
                crate::categories::parent(category) == c
            } else {
                category == c
            };
            if !ok {
                return false;
            }
        }
        if self.words.is_empty() {
            return true;
        }
        let hay = text();
        self.words.iter().all(|w| hay.as_ref().contains(w.as_str()))
    }
}

/// What a filter's words are looked for in: title and name, lowercase.
pub fn search_text(rec: &TorrentRecord) -> String {
    format!("{} {}", rec.title(), rec.name).to_lowercase()
}

/// The order of a page by upload time; uploads of the same second (a client's
/// first sync) by title, ascending when newest first, descending when oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddedOrder {
    NewestFirst,
    OldestFirst,
}

/// One page of torrents and how many match the filter in all.
#[derive(Debug, Clone, Default)]
pub struct TorrentPage {
    pub torrents: Vec<TorrentRecord>,
    pub matching: u64,
}

/// The catalogue's size, kept by the store as torrents come and go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TorrentTotals {
    pub count: u64,
    pub bytes: u64,
}
