//! Member management shared by the admin HTTP API and the offline admin CLI.

use crate::display_text::{self, TextError};
use crate::keys::{self, Secret};
use crate::store::{Store, StoreError, User};
pub use crate::wire::{IssuedKeys, MemberView};

const MAX_LABEL_CHARS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("label {0}")]
    BadLabel(TextError),
    #[error("a member labelled {0:?} already exists")]
    DuplicateLabel(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn announce_url(tracker_url: &str, passkey: &str) -> String {
    format!("{}/announce/{passkey}", tracker_url.trim_end_matches('/'))
}

/// A label as stored: trimmed, and fit to show (display_text checks, at most 64 characters).
pub fn clean_label(label: &str) -> Result<String, MemberError> {
    let label = label.trim();
    display_text::check(label, MAX_LABEL_CHARS).map_err(MemberError::BadLabel)?;
    Ok(label.to_string())
}

/// The public base URLs written into issued keys (no trailing slash).
#[derive(Debug, Clone)]
pub struct PublicUrls {
    /// The server as members reach it (EXTERNAL_SERVER_URL + URL_BASE).
    pub server: String,
    pub tracker: String,
}

pub fn create(
    store: &dyn Store,
    secret: &Secret,
    urls: &PublicUrls,
    label: &str,
    now: i64,
) -> Result<IssuedKeys, MemberError> {
    let label = clean_label(label)?;
    if store
        .users()?
        .iter()
        .any(|u| u.label.eq_ignore_ascii_case(&label))
    {
        return Err(MemberError::DuplicateLabel(label));
    }
    let keys = keys::mint(secret);
    let user = store.create_user(&label, keys.api_key_hash(), keys.passkey_hash(), now)?;
    Ok(issued(&user, keys, urls))
}

/// New keys for a member; the old ones stop working in the same transaction.
pub fn rotate(
    store: &dyn Store,
    secret: &Secret,
    urls: &PublicUrls,
    id: u64,
) -> Result<Option<IssuedKeys>, MemberError> {
    let Some(user) = store.user(id)? else {
        return Ok(None);
    };
    let keys = keys::mint(secret);
    if !store.set_user_keys(id, keys.api_key_hash(), keys.passkey_hash())? {
        return Ok(None);
    }
    Ok(Some(issued(&user, keys, urls)))
}

fn issued(user: &User, keys: keys::MintedKeys, urls: &PublicUrls) -> IssuedKeys {
    IssuedKeys {
        id: user.id,
        label: user.label.clone(),
        announce_url: announce_url(&urls.tracker, &keys.passkey),
        server_url: urls.server.clone(),
        api_key: keys.api_key,
        passkey: keys.passkey,
    }
}

pub fn list(store: &dyn Store) -> Result<Vec<MemberView>, MemberError> {
    Ok(store.users()?.iter().map(MemberView::from).collect())
}
