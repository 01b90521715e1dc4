//! Release names the *arr parsers understand, and Torznab categories.
//!
//! `Title (Year) [Quality][HDR][Audio Channels][Codec]-GROUP`,
//! `Series (Year) - S01E02 - Episode Title [..]-GROUP`, `Series (Year) - S01 [..]-GROUP`,
//! `Artist - Album (Year) [FLAC]`.

use super::arr::{MediaFile, Quality};

/// `[Bluray-1080p][HDR10][DTS 5.1][x264]-GROUP` (parts the app does not know are left out).
pub fn tags(f: &MediaFile) -> String {
    let mut s = quality_tag(&f.quality);
    let mi = &f.media_info;
    if let Some(hdr) = &mi.dynamic_range {
        s.push_str(&format!("[{hdr}]"));
    }
    match (&mi.audio_codec, mi.audio_channels) {
        (Some(codec), Some(ch)) => s.push_str(&format!("[{codec} {ch:.1}]")),
        (Some(codec), None) => s.push_str(&format!("[{codec}]")),
        _ => {}
    }
    if let Some(v) = &mi.video_codec {
        s.push_str(&format!("[{v}]"));
    }
    if let Some(g) = &f.release_group {
        s.push('-');
        s.push_str(&clean(g));
    }
    s
}

fn quality_tag(q: &Quality) -> String {
    if q.proper {
        format!("[{} Proper]", q.name)
    } else {
        format!("[{}]", q.name)
    }
}

/// Removes characters that break one-line titles.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn with_year(title: &str, year: u32) -> String {
    if year > 0 {
        format!("{} ({year})", clean(title))
    } else {
        clean(title)
    }
}

pub fn movie(title: &str, year: u32, file: &MediaFile) -> String {
    format!("{} {}", with_year(title, year), tags(file))
}

/// `S01E02` or `S01E02-E03` for a multi-episode file.
pub fn episode_code(season: u32, episodes: &[u32]) -> String {
    let first = episodes.iter().min().copied().unwrap_or(0);
    let last = episodes.iter().max().copied().unwrap_or(0);
    if last > first {
        format!("S{season:02}E{first:02}-E{last:02}")
    } else {
        format!("S{season:02}E{first:02}")
    }
}

pub fn episode(
    series: &str,
    year: u32,
    season: u32,
    episodes: &[u32],
    episode_title: &str,
    file: &MediaFile,
) -> String {
    let mut s = format!(
        "{} - {}",
        with_year(series, year),
        episode_code(season, episodes)
    );
    if !episode_title.trim().is_empty() {
        s.push_str(" - ");
        s.push_str(&clean(episode_title));
    }
    format!("{s} {}", tags(file))
}

/// `first` stands for the whole pack (the files of a complete season normally share a release).
pub fn season_pack(
    series: &str,
    year: u32,
    season: u32,
    first: &MediaFile,
    same_group: bool,
) -> String {
    let mut f = first.clone();
    if !same_group {
        f.release_group = None;
    }
    format!("{} - S{season:02} {}", with_year(series, year), tags(&f))
}

pub fn album(artist: &str, album: &str, year: u32, q: &Quality) -> String {
    format!(
        "{} - {} {}",
        clean(artist),
        with_year(album, year),
        quality_tag(q)
    )
}

pub fn track(
    artist: &str,
    album: &str,
    year: u32,
    number: u32,
    title: &str,
    q: &Quality,
) -> String {
    let mut s = format!("{} - {}", clean(artist), with_year(album, year));
    if number > 0 {
        s.push_str(&format!(" - {number:02}"));
    }
    if !title.trim().is_empty() {
        s.push_str(" - ");
        s.push_str(&clean(title));
    }
    format!("{s} {}", quality_tag(q))
}

/// Torznab category and resolution label for video: 2045/5045 UHD, 2040/5040 HD, 2030/5030 SD.
pub fn video_category(parent: u32, resolution: u32) -> (u32, Option<String>) {
    let sub = match resolution {
        0 => 0,
        r if r >= 2160 => 45,
        r if r >= 720 => 40,
        _ => 30,
    };
    let label = (resolution > 0).then(|| format!("{resolution}p"));
    (parent + sub, label)
}

/// 3040 lossless, 3010 MP3, 3000 otherwise.
pub fn audio_category(q: &Quality) -> u32 {
    let n = q.name.to_ascii_uppercase();
    if ["FLAC", "ALAC", "APE", "WAVPACK", "WAV", "AIFF"]
        .iter()
        .any(|l| n.contains(l))
    {
        3040
    } else if n.contains("MP3") {
        3010
    } else {
        3000
    }
}

/// imdb ids as digits; the server takes `tt`-less numbers.
pub fn imdb_number(id: Option<&str>) -> Option<u32> {
    let s = id?.trim();
    let digits = s.strip_prefix("tt").unwrap_or(s);
    digits.parse().ok().filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::super::arr::MediaInfo;
    use super::*;

    fn file() -> MediaFile {
        MediaFile {
            quality: Quality {
                name: "WEBDL-2160p".into(),
                resolution: 2160,
                proper: false,
            },
            release_group: Some("NIMBUS".into()),
            media_info: MediaInfo {
                video_codec: Some("HEVC".into()),
                audio_codec: Some("EAC3 Atmos".into()),
                audio_channels: Some(5.1),
                dynamic_range: Some("HDR10".into()),
            },
            ..Default::default()
        }
    }

    #[test]
    fn names() {
        assert_eq!(
            movie("Paper Moons", 2023, &file()),
            "Paper Moons (2023) [WEBDL-2160p][HDR10][EAC3 Atmos 5.1][HEVC]-NIMBUS"
        );
        assert_eq!(
            episode("Show", 2021, 1, &[2, 3], "Pilot", &file()),
            "Show (2021) - S01E02-E03 - Pilot [WEBDL-2160p][HDR10][EAC3 Atmos 5.1][HEVC]-NIMBUS"
        );
        assert_eq!(
            season_pack("Show", 2021, 1, &file(), false),
            "Show (2021) - S01 [WEBDL-2160p][HDR10][EAC3 Atmos 5.1][HEVC]"
        );
        let flac = Quality {
            name: "FLAC".into(),
            ..Default::default()
        };
        assert_eq!(album("A", "B", 2016, &flac), "A - B (2016) [FLAC]");
        assert_eq!(audio_category(&flac), 3040);
        assert_eq!(video_category(5000, 720), (5040, Some("720p".into())));
        assert_eq!(video_category(2000, 0), (2000, None));
        assert_eq!(imdb_number(Some("tt0133093")), Some(133093));
        assert_eq!(imdb_number(Some("")), None);
    }
}
