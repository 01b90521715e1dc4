//! How a catalogue change looks on the Redis stream, apart from the I/O so hostile
//! entries can be tested. An entry carries ids only (the reader loads the record
//! from the store): `v` the version, `i` the writing instance, then `t` a torrent's
//! v1 hash (20 bytes, 52 with its v2 hash), `m` a member id (8 bytes, big-endian) or
//! `g` the v1 hash of a torrent grabbed (20 bytes).
//! Every entry read back is checked: another instance may run another version,
//! and anyone with access to Redis can write garbage.

use crate::core::catalog::CatalogChange;

/// The stream every instance appends its catalogue changes to.
pub const STREAM: &str = "pi:catalog";

const VERSION: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("catalog feed entry has {0} values, not field/value pairs")]
    Odd(usize),
    #[error("catalog feed entry has version {0:?}, this build knows 1")]
    Version(Option<u8>),
    #[error("catalog feed entry has a {0}-byte instance id, not 8")]
    Instance(usize),
    #[error("catalog feed entry has a {0}-byte torrent id, not 20 or 52")]
    Torrent(usize),
    #[error("catalog feed entry has a {0}-byte member id, not 8")]
    Member(usize),
    #[error("catalog feed entry has a {0}-byte grabbed torrent id, not 20")]
    Grab(usize),
    #[error("catalog feed entry names no torrent or member, or both")]
    Change,
}

/// The field/value pairs of `change` written by `instance`.
pub fn encode(instance: u64, change: &CatalogChange) -> [(&'static str, Vec<u8>); 3] {
    let what = match change {
        CatalogChange::Torrent {
            info_hash,
            info_hash_v2,
        } => {
            let mut v = info_hash.to_vec();
            if let Some(v2) = info_hash_v2 {
                v.extend_from_slice(v2);
            }
            ("t", v)
        }
        CatalogChange::Member(id) => ("m", id.to_be_bytes().to_vec()),
        CatalogChange::Grab(info_hash) => ("g", info_hash.to_vec()),
    };
    [
        ("v", vec![VERSION]),
        ("i", instance.to_be_bytes().to_vec()),
        what,
    ]
}

/// An entry's flat field/value list: (writing instance, the change).
pub fn decode(fields: &[Vec<u8>]) -> Result<(u64, CatalogChange), WireError> {
    if !fields.len().is_multiple_of(2) {
        return Err(WireError::Odd(fields.len()));
    }
    let (mut version, mut instance, mut change) = (None, None, None);
    for pair in fields.chunks_exact(2) {
        let value = pair[1].as_slice();
        match pair[0].as_slice() {
            b"v" => version = Some(value.first().copied().filter(|_| value.len() == 1)),
            b"i" => {
                let id: [u8; 8] = value
                    .try_into()
                    .map_err(|_| WireError::Instance(value.len()))?;
                instance = Some(u64::from_be_bytes(id));
            }
            b"t" | b"m" | b"g" if change.is_some() => return Err(WireError::Change),
            b"t" => change = Some(torrent(value)?),
            b"m" => {
                let id: [u8; 8] = value
                    .try_into()
                    .map_err(|_| WireError::Member(value.len()))?;
                change = Some(CatalogChange::Member(u64::from_be_bytes(id)));
            }
            b"g" => {
                let ih = value.try_into().map_err(|_| WireError::Grab(value.len()))?;
                change = Some(CatalogChange::Grab(ih));
            }
            // Fields a later version may add are left alone.
            _ => {}
        }
    }
    match version {
        Some(Some(VERSION)) => {}
        other => return Err(WireError::Version(other.flatten())),
    }
    let instance = instance.ok_or(WireError::Instance(0))?;
    Ok((instance, change.ok_or(WireError::Change)?))
}

fn torrent(value: &[u8]) -> Result<CatalogChange, WireError> {
    let bad = || WireError::Torrent(value.len());
    let (v1, v2) = match value.len() {
        20 => (value, None),
        52 => (
            &value[..20],
            Some(value[20..].try_into().map_err(|_| bad())?),
        ),
        _ => return Err(bad()),
    };
    Ok(CatalogChange::Torrent {
        info_hash: v1.try_into().map_err(|_| bad())?,
        info_hash_v2: v2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(pairs: &[(&str, Vec<u8>)]) -> Vec<Vec<u8>> {
        pairs
            .iter()
            .flat_map(|(k, v)| [k.as_bytes().to_vec(), v.clone()])
            .collect()
    }

    #[test]
    fn changes_round_trip() {
        for change in [
            CatalogChange::Torrent {
                info_hash: [7; 20],
                info_hash_v2: None,
            },
            CatalogChange::Torrent {
                info_hash: [7; 20],
                info_hash_v2: Some([9; 32]),
            },
            CatalogChange::Member(u64::MAX),
            CatalogChange::Member(3),
            CatalogChange::Grab([5; 20]),
        ] {
            let fields = flat(&encode(0x0102_0304_0506_0708, &change));
            assert_eq!(decode(&fields), Ok((0x0102_0304_0506_0708, change)));
        }
    }

    #[test]
    fn hostile_entries_are_refused() {
        let ok = |what: (&'static str, Vec<u8>)| {
            vec![("v", vec![1]), ("i", 5u64.to_be_bytes().to_vec()), what]
        };
        let cases: Vec<(Vec<Vec<u8>>, WireError)> = vec![
            (vec![b"v".to_vec()], WireError::Odd(1)),
            (flat(&[]), WireError::Version(None)),
            (
                flat(&[("v", vec![2]), ("i", vec![0; 8]), ("m", vec![0; 8])]),
                WireError::Version(Some(2)),
            ),
            (
                flat(&[("v", vec![1, 1]), ("i", vec![0; 8]), ("m", vec![0; 8])]),
                WireError::Version(None),
            ),
            (
                flat(&[("v", vec![1]), ("i", vec![0; 7]), ("m", vec![0; 8])]),
                WireError::Instance(7),
            ),
            (
                flat(&[("v", vec![1]), ("m", vec![0; 8])]),
                WireError::Instance(0),
            ),
            (flat(&ok(("t", vec![0; 19]))), WireError::Torrent(19)),
            (flat(&ok(("t", vec![0; 40]))), WireError::Torrent(40)),
            (flat(&ok(("t", Vec::new()))), WireError::Torrent(0)),
            (flat(&ok(("m", vec![0; 9]))), WireError::Member(9)),
            (flat(&ok(("g", vec![0; 52]))), WireError::Grab(52)),
            (flat(&ok(("g", vec![0; 19]))), WireError::Grab(19)),
            (flat(&ok(("x", vec![0; 8]))), WireError::Change),
        ];
        for (fields, want) in cases {
            assert_eq!(decode(&fields), Err(want), "{fields:?}");
        }
        let mut both = flat(&ok(("m", vec![0; 8])));
        both.extend(flat(&[("t", vec![0; 20])]));
        assert_eq!(decode(&both), Err(WireError::Change));
        let mut both = flat(&ok(("g", vec![0; 20])));
        both.extend(flat(&[("m", vec![0; 8])]));
        assert_eq!(decode(&both), Err(WireError::Change));
        // A field a later version adds is skipped.
        let mut more = flat(&ok(("m", 4u64.to_be_bytes().to_vec())));
        more.extend(flat(&[("z", b"later".to_vec())]));
        assert_eq!(decode(&more), Ok((5, CatalogChange::Member(4))));
    }
}
