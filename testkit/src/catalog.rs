//! Synthetic torrents with realistic names for the Torznab and panel
//! benchmarks: a deterministic generator, so every run searches the same library.

use std::path::Path;

use privateindexer::store::{RedbStore, TorrentMeta, TorrentRecord};

/// xorshift64*: deterministic, so every run searches the same library.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Skewed towards small values, like word frequencies in titles.
    pub fn skewed(&mut self, n: u64) -> u64 {
        let a = self.below(n);
        self.below(a + 1)
    }
    pub fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len() as u64) as usize]
    }
}

pub const COMMON: &[&str] = &[
    "The",
    "of",
    "and",
    "a",
    "in",
    "Man",
    "Love",
    "Night",
    "Dark",
    "World",
    "Last",
    "Life",
    "Day",
    "House",
    "Story",
    "Girl",
    "King",
    "Time",
    "Blood",
    "City",
    "War",
    "Dead",
    "Black",
    "Secret",
    "Lost",
    "Home",
    "Star",
    "Fire",
    "Lady",
    "Game",
    "Blue",
    "Red",
    "Wild",
    "Heart",
    "Moon",
    "Sea",
    "Ghost",
    "Family",
    "Little",
    "Big",
    "New",
    "Old",
    "American",
    "Street",
    "Road",
    "Queen",
    "Brother",
    "Sister",
    "Summer",
    "Winter",
    "Angel",
    "Devil",
    "Dream",
    "Shadow",
    "River",
    "Mountain",
    "Island",
    "Empire",
    "Legend",
    "Storm",
    "Silent",
    "Golden",
    "Iron",
    "Steel",
    "Crystal",
    "Hunter",
    "Doctor",
    "Detective",
    "Murder",
    "Mystery",
    "Escape",
    "Return",
    "Rise",
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ten", "dor", "vel", "an", "is", "bre", "sha", "mon", "tu", "el",
    "gar", "fi", "no", "zen", "qua", "ri", "sol", "ma", "ber", "ty", "lin", "cor", "ve", "ost",
    "ha", "pe", "dri", "ul", "xan", "yo", "wen", "ju", "ark", "ein", "ost", "ro",
];
const SOURCES: &[&str] = &["Bluray", "WEBDL", "WEBRip", "HDTV", "DVD", "Remux"];
const RESOLUTIONS: &[(&str, u32, u32)] = &[
    ("480p", 2030, 5030),
    ("720p", 2040, 5040),
    ("1080p", 2040, 5040),
    ("1080p", 2040, 5040),
    ("2160p", 2045, 5045),
];
const CODECS: &[&str] = &["x264", "x265", "h264", "HEVC", "AV1"];
const AUDIO: &[&str] = &["DTS", "AAC", "AC3", "EAC3 Atmos", "TrueHD", "FLAC", "Opus"];
const GROUPS: &[&str] = &[
    "NTb",
    "FLUX",
    "SPARKS",
    "GECKOS",
    "CMRG",
    "EDITH",
    "SiGMA",
    "RARBG",
    "NOGRP",
    "TEPES",
    "playWEB",
    "KOGi",
    "BLUTONiUM",
    "DON",
    "HiFi",
];

fn proper_noun(rng: &mut Rng) -> String {
    let n = 2 + rng.below(2);
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(rng.pick(SYLLABLES));
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

/// A name of a few words: common title words and invented proper nouns.
fn name(rng: &mut Rng) -> String {
    let words = 1 + rng.below(4);
    (0..words)
        .map(|_| {
            if rng.below(3) == 0 {
                proper_noun(rng)
            } else {
                COMMON[rng.skewed(COMMON.len() as u64) as usize].to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub struct Catalog {
    pub shows: Vec<(String, u32, u16)>,
    pub movies: Vec<(String, u32, u16)>,
    pub artists: Vec<(String, Vec<String>)>,
}

pub fn catalog(rng: &mut Rng, n: usize) -> Catalog {
    let shows = (0..(n / 50).max(10))
        .map(|i| (name(rng), 70_000 + i as u32, 1960 + rng.below(65) as u16))
        .collect();
    let movies = (0..(n / 5).max(10))
        .map(|i| {
            (
                name(rng),
                100_000 + i as u32 * 7,
                1930 + rng.below(95) as u16,
            )
        })
        .collect();
    let artists = (0..(n / 100).max(10))
        .map(|_| {
            let albums = (0..1 + rng.below(10)).map(|_| name(rng)).collect();
            (proper_noun(rng), albums)
        })
        .collect();
    Catalog {
        shows,
        movies,
        artists,
    }
}

pub fn record(rng: &mut Rng, cat: &Catalog, i: usize, base_time: i64) -> TorrentRecord {
    let mut ih = [0u8; 20];
    for chunk in ih.chunks_mut(8) {
        let v = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    let (res, movie_cat, tv_cat) = RESOLUTIONS[rng.below(RESOLUTIONS.len() as u64) as usize];
    let tags = format!(
        "[{}-{res}][{}][{}]-{}",
        rng.pick(SOURCES),
        rng.pick(AUDIO),
        rng.pick(CODECS),
        rng.pick(GROUPS)
    );
    let kind = rng.below(100);
    let mut meta = TorrentMeta {
        resolution: Some(res.to_string()),
        ..TorrentMeta::default()
    };
    let (title, size, files) = if kind < 60 {
        let (show, tvdb, year) = &cat.shows[rng.skewed(cat.shows.len() as u64) as usize];
        let season = rng.below(12) as u32 + u32::from(rng.below(20) != 0);
        meta.category = tv_cat;
        meta.tvdb_id = Some(*tvdb);
        meta.season = Some(season);
        meta.year = Some(*year);
        if kind < 52 {
            let ep = 1 + rng.below(24) as u32;
            meta.episode = Some(ep);
            (
                format!("{show} ({year}) - S{season:02}E{ep:02} {tags}"),
                300_000_000 + rng.below(3_000_000_000),
                1,
            )
        } else {
            (
                format!("{show} ({year}) - S{season:02} {tags}"),
                5_000_000_000 + rng.below(50_000_000_000),
                10 + rng.below(14) as u32,
            )
        }
    } else if kind < 90 {
        let (movie, imdb, year) = &cat.movies[rng.skewed(cat.movies.len() as u64) as usize];
        meta.category = movie_cat;
        meta.imdb_id = Some(*imdb);
        meta.tmdb_id = Some(imdb / 7);
        meta.year = Some(*year);
        (
            format!("{movie} ({year}) {tags}"),
            1_000_000_000 + rng.below(60_000_000_000),
            1,
        )
    } else {
        let (artist, albums) = &cat.artists[rng.below(cat.artists.len() as u64) as usize];
        let album = &albums[rng.below(albums.len() as u64) as usize];
        let year = 1960 + rng.below(65) as u16;
        let lossless = rng.below(2) == 0;
        meta.category = if lossless { 3040 } else { 3010 };
        meta.artist = Some(artist.clone());
        meta.album = Some(album.clone());
        meta.year = Some(year);
        meta.resolution = None;
        (
            format!(
                "{artist} - {album} ({year}) [{}]",
                if lossless { "FLAC" } else { "MP3-320" }
            ),
            50_000_000 + rng.below(1_000_000_000),
            8 + rng.below(12) as u32,
        )
    };
    meta.title = Some(title.clone());
    TorrentRecord {
        info_hash: ih,
        info_hash_v2: None,
        name: title,
        size,
        file_count: files,
        piece_length: 1 << 20,
        uploader: 1000 + rng.below(40),
        // One upload every ~30 s, oldest first.
        added: base_time + (i as i64) * 30,
        meta,
        grabs: rng.below(50),
        snatches: 0,
    }
}

/// Writes the records straight into the store's torrents table in large
/// transactions (the server's upload path commits one torrent at a time).
/// The table layout is the redb store's: info-hash → JSON record.
pub fn fill_store(dir: &Path, records: &[TorrentRecord]) {
    drop(RedbStore::open_dir(dir).expect("create store"));
    let db = redb::Database::create(dir.join(privateindexer::store::STORE_FILE)).unwrap();
    let table: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("torrents");
    for chunk in records.chunks(100_000) {
        let tx = db.begin_write().unwrap();
        {
            let mut t = tx.open_table(table).unwrap();
            for r in chunk {
                t.insert(&r.info_hash[..], serde_json::to_vec(r).unwrap().as_slice())
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
}
