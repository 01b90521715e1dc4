//! The main port's answer to a request target longer than hyper takes (see
//! `web::long_target`): a Torznab request gets Torznab XML (error 201, as the
//! *arr apps read only the XML), any other a JSON 414.

use crate::torznab::{render, TorznabError};
use crate::web::long_target::{self, MAX_TARGET};

/// The answer for an over-long target starting with `target`.
pub fn refusal(target: &[u8]) -> Vec<u8> {
    let path = target.split(|b| *b == b'?').next().unwrap_or_default();
    if path != b"/api" && path != b"/torznab/api" {
        return long_target::json_refusal(target);
    }
    let e = TorznabError::new(
        201,
        format!("Incorrect parameter: the request is longer than {MAX_TARGET} bytes"),
    );
    long_target::response(
        "200 OK",
        "application/xml; charset=utf-8",
        &render::error(&e),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torznab_paths_get_torznab_xml_and_others_json() {
        for path in ["/api?t=search&q=aaaa", "/torznab/api?q"] {
            let answer = String::from_utf8(refusal(path.as_bytes())).unwrap();
            assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
            assert!(answer.contains(r#"<error code="201""#), "{answer}");
        }
        let answer = String::from_utf8(refusal(b"/api/v1/x?aaaa")).unwrap();
        assert!(answer.starts_with("HTTP/1.1 414"), "{answer}");
        assert!(answer.contains(r#"{"error":"#), "{answer}");
    }
}
