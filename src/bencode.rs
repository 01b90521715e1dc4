//! Strict bencode (BEP 3) decoding and canonical encoding.
//!
//! Decoding keeps the byte span of every value so the exact `info` bytes of an
//! uploaded torrent can be hashed and re-emitted untouched, whatever key order
//! the uploader's tool used.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

/// What one decode may build, so its CPU and memory stay linear in the input and
/// capped whatever the input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Containers nested deeper are refused: no real torrent needs it and it bounds recursion.
    pub max_depth: usize,
    /// Values in the whole input, dictionary keys included (48–64 bytes each decoded).
    pub max_values: usize,
}

impl Limits {
    /// Room for a torrent of [`crate::metainfo::MAX_FILES`] files (6 values each with a
    /// one-part path, 10 with five parts); a few tens of MiB decoded at most.
    pub const DEFAULT: Limits = Limits {
        max_depth: 64,
        max_values: 500_000,
    };
}

/// An i64 has at most 19 digits, and a sign.
const MAX_INT_CHARS: usize = 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BencodeError {
    #[error("unexpected end of data at byte {0}")]
    Truncated(usize),
    #[error("invalid bencode at byte {0}: {1}")]
    Invalid(usize, &'static str),
    #[error("trailing bytes after the bencoded value at byte {0}")]
    Trailing(usize),
    #[error("bencode nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("bencode holds more than {0} values")]
    TooManyValues(usize),
}

/// A decoded value borrowing from the input, with its span in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<'a> {
    pub value: Value<'a>,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Int(i64),
    Bytes(&'a [u8]),
    List(Vec<Node<'a>>),
    /// Keys in input order; duplicates are refused at decode time.
    Dict(Vec<(&'a [u8], Node<'a>)>),
}

impl<'a> Node<'a> {
    pub fn as_int(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self.value {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }
    pub fn as_list(&self) -> Option<&[Node<'a>]> {
        match &self.value {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
    pub fn is_dict(&self) -> bool {
        matches!(self.value, Value::Dict(_))
    }
    /// Looks a key up in a dictionary node.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match &self.value {
            Value::Dict(entries) => entries
                .iter()
                .find(|(k, _)| *k == key.as_bytes())
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Decodes exactly one value spanning the whole input, within [`Limits::DEFAULT`].
pub fn decode(input: &[u8]) -> Result<Node<'_>, BencodeError> {
    decode_with(input, Limits::DEFAULT)
}

/// Decodes exactly one value spanning the whole input, within `limits`.
pub fn decode_with(input: &[u8], limits: Limits) -> Result<Node<'_>, BencodeError> {
    let mut p = Parser {
        buf: input,
        pos: 0,
        limits,
        values: 0,
    };
    let node = p.value(0)?;
    if p.pos != input.len() {
        return Err(BencodeError::Trailing(p.pos));
    }
    Ok(node)
}

struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
    limits: Limits,
    /// Values decoded so far, keys included.
    values: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Result<u8, BencodeError> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or(BencodeError::Truncated(self.pos))
    }

    /// Counts one more value against the budget.
    fn count(&mut self) -> Result<(), BencodeError> {
        self.values += 1;
        if self.values > self.limits.max_values {
            return Err(BencodeError::TooManyValues(self.limits.max_values));
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, BencodeError> {
        if depth > self.limits.max_depth {
            return Err(BencodeError::TooDeep(self.limits.max_depth));
        }
        self.count()?;
        let start = self.pos;
        let value = match self.peek()? {
            b'i' => {
                self.pos += 1;
                Value::Int(self.integer(b'e')?)
            }
            b'l' => {
                self.pos += 1;
                let mut items = Vec::new();
                while self.peek()? != b'e' {
                    items.push(self.value(depth + 1)?);
                }
                self.pos += 1;
                Value::List(items)
            }
            b'd' => {
                self.pos += 1;
                Value::Dict(self.dict_entries(depth)?)
            }
            b'0'..=b'9' => Value::Bytes(self.string()?),
            _ => return Err(BencodeError::Invalid(self.pos, "unknown value type")),
        };
        Ok(Node {
            value,
            span: start..self.pos,
        })
    }

    /// A dictionary's entries up to its `e`. Duplicate keys are refused in linear time:
    /// canonical (sorted) keys need one comparison each; unsorted input, which some
    /// tools write and whose exact bytes we must keep, falls back to a hash set.
    fn dict_entries(&mut self, depth: usize) -> Result<Vec<(&'a [u8], Node<'a>)>, BencodeError> {
        let mut entries: Vec<(&'a [u8], Node<'a>)> = Vec::new();
        let mut seen: Option<HashSet<&'a [u8]>> = None;
        while self.peek()? != b'e' {
            let key_pos = self.pos;
            self.count()?;
            let key = self.string()?;
            let duplicate = match (&mut seen, entries.last()) {
                (Some(set), _) => !set.insert(key),
                (None, Some((prev, _))) if key > *prev => false,
                (None, Some(_)) => {
                    let mut set: HashSet<&'a [u8]> = entries.iter().map(|(k, _)| *k).collect();
                    let dup = !set.insert(key);
                    seen = Some(set);
                    dup
                }
                (None, None) => false,
            };
            if duplicate {
                return Err(BencodeError::Invalid(key_pos, "duplicate dictionary key"));
            }
            let v = self.value(depth + 1)?;
            entries.push((key, v));
        }
        self.pos += 1;
        Ok(entries)
    }

    /// Parses a canonical decimal integer up to `end`: no leading zeros, no `-0`.
    fn integer(&mut self, end: u8) -> Result<i64, BencodeError> {
        let start = self.pos;
        // Only an i64's worth of characters is looked at, so a run of digits costs nothing.
        let window = &self.buf[start..self.buf.len().min(start + MAX_INT_CHARS + 1)];
        let rel = match window.iter().position(|&b| b == end) {
            Some(rel) => rel,
            None if start + window.len() == self.buf.len() => {
                return Err(BencodeError::Truncated(self.buf.len()))
            }
            None => return Err(BencodeError::Invalid(start, "integer out of range")),
        };
        let digits = &self.buf[start..start + rel];
        let (neg, body) = match digits.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, digits),
        };
        if body.is_empty() || !body.iter().all(u8::is_ascii_digit) {
            return Err(BencodeError::Invalid(start, "malformed integer"));
        }
        if (body.len() > 1 && body[0] == b'0') || (neg && body == b"0") {
            return Err(BencodeError::Invalid(start, "non-canonical integer"));
        }
        // Digits are ASCII, so the slice is valid UTF-8; overflow is refused by parse.
        let text = std::str::from_utf8(digits)
            .map_err(|_| BencodeError::Invalid(start, "malformed integer"))?;
        let n = text
            .parse::<i64>()
            .map_err(|_| BencodeError::Invalid(start, "integer out of range"))?;
        self.pos = start + rel + 1;
        Ok(n)
    }

    fn string(&mut self) -> Result<&'a [u8], BencodeError> {
        let start = self.pos;
        if !self.peek()?.is_ascii_digit() {
            return Err(BencodeError::Invalid(start, "expected a byte string"));
        }
        let len = self.integer(b':')?;
        let len = usize::try_from(len)
            .map_err(|_| BencodeError::Invalid(start, "negative string length"))?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.buf.len())
            .ok_or(BencodeError::Truncated(self.buf.len()))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
}

/// An owned value for building bencode; dictionaries encode with sorted keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    Int(i64),
    Bytes(Vec<u8>),
    List(Vec<Owned>),
    Dict(BTreeMap<Vec<u8>, Owned>),
    /// Already-encoded bencode written verbatim (e.g. the exact `info` bytes of an upload).
    Raw(Vec<u8>),
}

impl Owned {
    pub fn str(s: &str) -> Owned {
        Owned::Bytes(s.as_bytes().to_vec())
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Owned::Int(i) => {
                out.push(b'i');
                out.extend_from_slice(i.to_string().as_bytes());
                out.push(b'e');
            }
            Owned::Bytes(b) => write_bytes(out, b),
            Owned::List(items) => {
                out.push(b'l');
                for item in items {
                    item.encode_into(out);
                }
                out.push(b'e');
            }
            Owned::Dict(map) => {
                out.push(b'd');
                for (k, v) in map {
                    write_bytes(out, k);
                    v.encode_into(out);
                }
                out.push(b'e');
            }
            Owned::Raw(raw) => out.extend_from_slice(raw),
        }
    }
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(b.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(b);
}

/// Builds a dictionary from `(key, value)` pairs.
pub fn dict<I: IntoIterator<Item = (&'static str, Owned)>>(pairs: I) -> Owned {
    Owned::Dict(
        pairs
            .into_iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_nested_values_with_spans() {
        let input = b"d1:ai-3e1:bl2:xye1:cd1:di0eee";
        let n = decode(input).unwrap();
        assert_eq!(n.get("a").unwrap().as_int(), Some(-3));
        assert_eq!(
            n.get("b").unwrap().as_list().unwrap()[0].as_bytes(),
            Some(&b"xy"[..])
        );
        let c = n.get("c").unwrap();
        assert_eq!(&input[c.span.clone()], b"d1:di0ee");
    }

    #[test]
    fn keeps_unsorted_keys_and_exact_span() {
        let input = b"d1:zi1e1:ai2ee";
        let n = decode(input).unwrap();
        assert_eq!(n.span, 0..input.len());
        assert_eq!(n.get("a").unwrap().as_int(), Some(2));
    }

    #[test]
    fn refuses_malformed_input() {
        let bad: &[&[u8]] = &[
            b"",
            b"i12",
            b"i-0e",
            b"i03e",
            b"ie",
            b"i1x2e",
            b"5:abc",
            b"-1:a",
            b"l",
            b"d1:a",
            b"d1:ai1e1:ai2ee",
            b"di1ei2ee",
            b"x",
            b"i1ei2e",
            b"i99999999999999999999e",
            b"18446744073709551616:x",
        ];
        for b in bad {
            assert!(
                decode(b).is_err(),
                "accepted {:?}",
                String::from_utf8_lossy(b)
            );
        }
    }

    #[test]
    fn refuses_deep_nesting() {
        let mut v = vec![b'l'; 1000];
        v.extend(vec![b'e'; 1000]);
        assert_eq!(decode(&v), Err(BencodeError::TooDeep(64)));
    }

    /// `d` + `n` keys (sorted or reversed) each holding `i0e`, + `e`.
    fn dict_of(n: usize, sorted: bool) -> Vec<u8> {
        let mut out = b"d".to_vec();
        for i in 0..n {
            let k = if sorted { i } else { n - 1 - i };
            out.extend_from_slice(format!("8:{k:08}i0e").as_bytes());
        }
        out.push(b'e');
        out
    }

    #[test]
    fn duplicate_keys_are_found_sorted_or_not() {
        for input in [
            &b"d1:ai1e1:ai2ee"[..],
            b"d1:bi1e1:ai2e1:bi3ee",
            b"d1:ai1e1:bi1e1:ai2ee",
        ] {
            assert_eq!(
                decode(input),
                Err(BencodeError::Invalid(
                    input.len() - 7,
                    "duplicate dictionary key"
                )),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        let n = decode(b"d1:bi1e1:ai2e1:ci3ee").unwrap();
        assert_eq!(n.get("c").unwrap().as_int(), Some(3));
    }

    #[test]
    fn counts_every_key_and_item_against_the_budget() {
        let limits = Limits {
            max_depth: 64,
            max_values: 7,
        };
        // The dict, three keys, three values: seven.
        let seven = dict_of(3, true);
        assert!(decode_with(&seven, limits).is_ok());
        assert_eq!(
            decode_with(&dict_of(4, false), limits),
            Err(BencodeError::TooManyValues(7))
        );
        assert_eq!(
            decode_with(b"li1ei2ei3ei4ei5ei6ei7ee", limits),
            Err(BencodeError::TooManyValues(7))
        );
        // The default budget holds 249,999 keys with their values, not 250,000.
        assert!(decode(&dict_of(249_999, false)).is_ok());
        assert_eq!(
            decode(&dict_of(250_000, true)),
            Err(BencodeError::TooManyValues(500_000))
        );
    }

    #[test]
    fn long_integers_are_refused_without_scanning_on() {
        let mut digits = b"i".to_vec();
        digits.extend(vec![b'1'; 1_000_000]);
        digits.push(b'e');
        assert_eq!(
            decode(&digits),
            Err(BencodeError::Invalid(1, "integer out of range"))
        );
        assert_eq!(decode(b"i12"), Err(BencodeError::Truncated(3)));
        assert_eq!(
            decode(b"i-9223372036854775808e").unwrap().as_int(),
            Some(i64::MIN)
        );
        assert_eq!(
            decode(b"i-92233720368547758080e"),
            Err(BencodeError::Invalid(1, "integer out of range"))
        );
    }

    #[test]
    fn encodes_sorted_and_round_trips() {
        let v = dict([("b", Owned::Int(1)), ("a", Owned::str("x"))]);
        let enc = v.encode();
        assert_eq!(enc, b"d1:a1:x1:bi1ee");
        assert_eq!(decode(&enc).unwrap().span, 0..enc.len());
    }
}
