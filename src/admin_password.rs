//! The operator's password: argon2id, stored as a PHC string.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;

use crate::store::{Store, StoreError};

const SETTING: &str = "admin_password";
pub const MIN_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the admin password must be at least {MIN_CHARS} characters")]
    TooShort,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `ADMIN_PASSWORD`, else the first line of `ADMIN_PASSWORD_FILE` (a
/// docker/compose secret); an empty `ADMIN_PASSWORD=` means unset.
pub fn from_env_or_file(
    password: Option<String>,
    file: Option<&std::path::Path>,
) -> anyhow::Result<Option<String>> {
    use anyhow::Context;
    Ok(match (password.filter(|p| !p.is_empty()), file) {
        (Some(p), _) => Some(p),
        (None, Some(path)) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("ADMIN_PASSWORD_FILE: cannot read {}", path.display()))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        ),
        (None, None) => None,
    })
}

pub fn set(store: &dyn Store, password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let phc = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| PasswordError::Hash(e.to_string()))?
        .to_string();
    store.set_setting(SETTING, phc.as_bytes())?;
    Ok(())
}

pub fn is_set(store: &dyn Store) -> Result<bool, StoreError> {
    Ok(store.setting(SETTING)?.is_some())
}

/// Sets the password unless the stored hash already matches it (so a fixed
/// ADMIN_PASSWORD does not re-hash at every start).
pub fn ensure(store: &dyn Store, password: &str) -> Result<(), PasswordError> {
    if verify(store, password)? {
        return Ok(());
    }
    set(store, password)
}

/// Constant-time check through argon2; false when no password is set.
pub fn verify(store: &dyn Store, password: &str) -> Result<bool, StoreError> {
    let Some(phc) = store.setting(SETTING)? else {
        return Ok(false);
    };
    let phc = String::from_utf8(phc).map_err(|_| StoreError::Corrupt(SETTING.into()))?;
    let parsed = PasswordHash::new(&phc).map_err(|_| StoreError::Corrupt(SETTING.into()))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}
