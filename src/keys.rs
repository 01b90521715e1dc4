//! Member keys: minted at random, stored only as hashes.
//!
//! The passkey is derived from the API key with a server secret, so the server
//! can write a member's announce URL into a download (authenticated by the API
//! key) without ever storing either key in the clear.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::store::{KeyHash, Store, StoreError};

const SECRET_SETTING: &str = "server_secret";

pub type Secret = [u8; 32];

/// A freshly minted pair of keys, to be shown once.
pub struct MintedKeys {
    pub api_key: String,
    pub passkey: String,
}

impl MintedKeys {
    pub fn api_key_hash(&self) -> KeyHash {
        hash_key(&self.api_key)
    }
    pub fn passkey_hash(&self) -> KeyHash {
        hash_key(&self.passkey)
    }
}

/// 32 random bytes as lower-case hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn mint(secret: &Secret) -> MintedKeys {
    let api_key = random_token();
    let passkey = passkey_for(secret, &api_key);
    MintedKeys { api_key, passkey }
}

pub fn passkey_for(secret: &Secret, api_key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"passkey:");
    mac.update(api_key.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn hash_key(key: &str) -> KeyHash {
    Sha256::digest(key.as_bytes()).into()
}

/// Keys are 64 hex characters; anything else is refused before a store lookup.
pub fn well_formed(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The server's secret, created on first use.
pub fn server_secret(store: &dyn Store) -> Result<Secret, StoreError> {
    if let Some(s) = store.setting(SECRET_SETTING)? {
        return s
            .try_into()
            .map_err(|_| StoreError::Corrupt(SECRET_SETTING.into()));
    }
    let mut s = [0u8; 32];
    rand::rng().fill_bytes(&mut s);
    store.set_setting(SECRET_SETTING, &s)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_passkey_is_derived() {
        let secret = [7u8; 32];
        let a = mint(&secret);
        let b = mint(&secret);
        assert_ne!(a.api_key, b.api_key);
        assert!(well_formed(&a.api_key) && well_formed(&a.passkey));
        assert_eq!(passkey_for(&secret, &a.api_key), a.passkey);
        assert_ne!(passkey_for(&[8u8; 32], &a.api_key), a.passkey);
    }
}
