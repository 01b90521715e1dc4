//! Bencoded tracker answers, written straight into one buffer (keys in sorted order).

use std::net::IpAddr;

use super::swarm::Picked;

fn int(out: &mut Vec<u8>, key: &str, v: u64) {
    bytes(out, key.as_bytes());
    out.push(b'i');
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    out.push(b'e');
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(itoa::Buffer::new().format(b.len()).as_bytes());
    out.push(b':');
    out.extend_from_slice(b);
}

/// `d14:failure reason…e`
pub fn failure(reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(reason.len() + 24);
    out.push(b'd');
    bytes(&mut out, b"failure reason");
    bytes(&mut out, reason.as_bytes());
    out.push(b'e');
    out
}

pub struct AnnounceReply<'a> {
    pub complete: u32,
    pub incomplete: u32,
    pub downloaded: u64,
    pub interval: u32,
    pub min_interval: u32,
    pub compact: bool,
    pub no_peer_id: bool,
    pub peers: &'a Picked,
}

pub fn announce(r: &AnnounceReply<'_>) -> Vec<u8> {
    let p = r.peers;
    let mut out =
        Vec::with_capacity(112 + p.compact4.len() + p.compact6.len() + p.dicts.len() * 80);
    out.push(b'd');
    int(&mut out, "complete", r.complete.into());
    int(&mut out, "downloaded", r.downloaded);
    int(&mut out, "incomplete", r.incomplete.into());
    int(&mut out, "interval", r.interval.into());
    int(&mut out, "min interval", r.min_interval.into());
    bytes(&mut out, b"peers");
    if r.compact {
        bytes(&mut out, &p.compact4);
        if !p.compact6.is_empty() {
            bytes(&mut out, b"peers6");
            bytes(&mut out, &p.compact6);
        }
    } else {
        out.push(b'l');
        for (ip, port, id) in &p.dicts {
            out.push(b'd');
            bytes(&mut out, b"ip");
            bytes(&mut out, ip_text(*ip).as_bytes());
            if !r.no_peer_id {
                bytes(&mut out, b"peer id");
                bytes(&mut out, id);
            }
            int(&mut out, "port", (*port).into());
            out.push(b'e');
        }
        out.push(b'e');
    }
    out.push(b'e');
    out
}

fn ip_text(ip: IpAddr) -> String {
    ip.to_string()
}

/// One `files` entry of a scrape: (info-hash as asked, complete, incomplete, downloaded).
pub fn scrape(files: &[([u8; 20], u32, u32, u64)]) -> Vec<u8> {
    let mut sorted: Vec<_> = files.to_vec();
    sorted.sort_by_key(|a| a.0);
    sorted.dedup_by(|a, b| a.0 == b.0);
    let mut out = Vec::with_capacity(16 + sorted.len() * 80);
    out.push(b'd');
    bytes(&mut out, b"files");
    out.push(b'd');
    for (ih, complete, incomplete, downloaded) in &sorted {
        bytes(&mut out, ih);
        out.push(b'd');
        int(&mut out, "complete", (*complete).into());
        int(&mut out, "downloaded", *downloaded);
        int(&mut out, "incomplete", (*incomplete).into());
        out.push(b'e');
    }
    out.push(b'e');
    out.push(b'e');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode::decode;

    #[test]
    fn failure_is_bencoded() {
        assert_eq!(failure("no"), b"d14:failure reason2:noe");
    }

    #[test]
    fn announce_replies_decode() {
        let mut picked = Picked::default();
        picked
            .compact4
            .extend_from_slice(&[127, 0, 0, 1, 0x1a, 0xe1]);
        picked.compact6.extend_from_slice(&[0; 18]);
        let r = AnnounceReply {
            complete: 1,
            incomplete: 2,
            downloaded: 3,
            interval: 1800,
            min_interval: 60,
            compact: true,
            no_peer_id: false,
            peers: &picked,
        };
        let enc = announce(&r);
        let n = decode(&enc).unwrap();
        assert_eq!(n.get("peers").unwrap().as_bytes().unwrap().len(), 6);
        assert_eq!(n.get("peers6").unwrap().as_bytes().unwrap().len(), 18);
        assert_eq!(n.get("min interval").unwrap().as_int(), Some(60));

        let mut picked = Picked::default();
        picked
            .dicts
            .push(("::1".parse().unwrap(), 6881, *b"-XX0000-abcdefghijkl"));
        let r = AnnounceReply {
            compact: false,
            peers: &picked,
            ..r
        };
        let enc = announce(&r);
        let n = decode(&enc).unwrap();
        let peer = &n.get("peers").unwrap().as_list().unwrap()[0];
        assert_eq!(peer.get("ip").unwrap().as_str(), Some("::1"));
        assert_eq!(peer.get("port").unwrap().as_int(), Some(6881));
        assert!(peer.get("peer id").is_some());
    }

    #[test]
    fn scrape_reply_decodes() {
        let enc = scrape(&[([2; 20], 1, 2, 3), ([1; 20], 0, 0, 0), ([2; 20], 1, 2, 3)]);
        let n = decode(&enc).unwrap();
        let files = n.get("files").unwrap();
        assert!(files.is_dict());
        assert_eq!(
            files
                .get("\u{2}".repeat(20).as_str())
                .and_then(|f| f.get("downloaded"))
                .and_then(|d| d.as_int()),
            Some(3)
        );
    }
}
