//! Naming a torrent client from its peer id (BEP 20's Azureus style and a few
//! others), for the panel's peer lists.

/// Two-letter Azureus-style codes of the clients members are likely to run.
const AZUREUS: &[(&[u8; 2], &str)] = &[
    (b"qB", "qBittorrent"),
    (b"TR", "Transmission"),
    (b"DE", "Deluge"),
    (b"lt", "libtorrent"),
    (b"LT", "libtorrent"),
    (b"UT", "µTorrent"),
    (b"BI", "BiglyBT"),
    (b"AZ", "Vuze"),
    (b"rQ", "librqbit"),
    (b"PI", "PrivateIndexer"),
    (b"KT", "KTorrent"),
    (b"RT", "rTorrent"),
    (b"WW", "WebTorrent"),
];

/// `qBittorrent 4.6.5` from `-qB4650-…`; otherwise the id's printable start.
pub fn name(peer_id: &[u8; 20]) -> String {
    if peer_id[0] == b'-' && peer_id[7] == b'-' {
        let code = [peer_id[1], peer_id[2]];
        if let Some((_, client)) = AZUREUS.iter().find(|(c, _)| **c == code) {
            let v = &peer_id[3..7];
            if v.iter().all(u8::is_ascii_alphanumeric) {
                let digits: Vec<String> = v
                    .iter()
                    .take(3)
                    .map(|&d| match d {
                        b'0'..=b'9' => (d - b'0').to_string(),
                        _ => (d as char).to_string(),
                    })
                    .collect();
                return format!("{client} {}", digits.join("."));
            }
            return client.to_string();
        }
    }
    // aria2: `A2-1-37-0-…`.
    if peer_id.starts_with(b"A2-") {
        let rest: String = peer_id[3..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'-')
            .map(|&b| b as char)
            .collect();
        let version = rest.trim_end_matches('-').replace('-', ".");
        return format!("aria2 {version}");
    }
    let printable: String = peer_id
        .iter()
        .take(8)
        .take_while(|b| b.is_ascii_graphic())
        .map(|&b| b as char)
        .collect();
    if printable.is_empty() {
        "unknown".into()
    } else {
        printable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &[u8]) -> [u8; 20] {
        let mut p = [b'x'; 20];
        p[..s.len()].copy_from_slice(s);
        p
    }

    #[test]
    fn names_common_clients() {
        assert_eq!(name(&id(b"-qB4650-")), "qBittorrent 4.6.5");
        assert_eq!(name(&id(b"-TR4060-")), "Transmission 4.0.6");
        assert_eq!(name(&id(b"-LT2090-")), "libtorrent 2.0.9");
        assert_eq!(name(&id(b"-PI0100-")), "PrivateIndexer 0.1.0");
        assert_eq!(name(&id(b"A2-1-37-0-")), "aria2 1.37.0");
        assert_eq!(name(&id(b"-ZZ1234-")), "-ZZ1234-");
        assert_eq!(name(&[0; 20]), "unknown");
    }
}
