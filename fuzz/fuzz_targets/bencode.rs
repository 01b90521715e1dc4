//! Strict bencode: any bytes either decode to values whose spans lie inside the
//! input, or are refused; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privateindexer::bencode::{decode, Node, Value};

fn check(n: &Node<'_>, len: usize) {
    assert!(n.span.start < n.span.end && n.span.end <= len);
    match &n.value {
        Value::List(items) => items.iter().for_each(|i| check(i, len)),
        Value::Dict(entries) => entries.iter().for_each(|(_, v)| check(v, len)),
        Value::Int(_) | Value::Bytes(_) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = decode(data) {
        assert_eq!(root.span, 0..data.len());
        check(&root, data.len());
    }
});
