//! The operator's password: argon2id, stored as a PHC string.

use crate::store::{Store, StoreError};
use crate::web::password;

const SETTING: &str = "admin_password";
pub const MIN_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the admin password must be at least {MIN_CHARS} characters")]
    TooShort,
    #[error(transparent)]
    Hash(#[from] password::HashError),
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
    let phc = password::hash(password)?;
    store.set_setting(SETTING, phc.as_bytes())?;
    Ok(())
}

pub fn is_set(store: &dyn Store) -> Result<bool, StoreError> {
    Ok(store.setting(SETTING)?.is_some())
}

/// Sets the password unless the stored hash already matches it (so a fixed
/// ADMIN_PASSWORD does not re-hash at every start).
pub fn ensure(store: &dyn Store, password: &str) -> Result<(), PasswordError> {
    if stored_hash(store)?.is_some_and(|phc| password::verify_now(&phc, password)) {
        return Ok(());
    }
    set(store, password)
}

/// The stored hash (a PHC string) to check a login against with
/// `web::password::verify`; None when no password is set.
pub fn stored_hash(store: &dyn Store) -> Result<Option<String>, StoreError> {
    store
        .setting(SETTING)?
        .map(|phc| String::from_utf8(phc).map_err(|_| StoreError::Corrupt(SETTING.into())))
        .transpose()
}
