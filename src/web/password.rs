//! Password hashes (argon2id, PHC strings) for every login surface: the admin
//! API, the admin panel and the client's qBittorrent API.
//!
//! A verification costs the stored hash's memory (19 MiB with argon2's default
//! parameters) and some 50 ms of a core, so a burst of logins must neither run
//! side by side without bound nor leave its memory behind: at most
//! [`PERMITS`] verifications run at once, off the async workers, each in a
//! memory block kept for its permit and reused (freed 19 MiB blocks would
//! otherwise stay in the allocator's per-thread arenas). The stored hash's
//! parameters are always the ones used.

use std::sync::{Mutex, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use tokio::sync::Semaphore;

/// Verifications that may run at once in this process.
pub const PERMITS: usize = 2;
/// Stored hashes asking for more memory than this (KiB) are refused as corrupt
/// rather than allocated.
const MAX_M_COST_KIB: u32 = 1 << 20;

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// A new argon2id hash of `password` with argon2's default parameters.
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| HashError(e.to_string()))?
        .to_string())
}

struct Verifier {
    permits: Semaphore,
    /// Memory blocks of finished verifications, at most one per permit.
    spare: Mutex<Vec<Vec<Block>>>,
}

fn verifier() -> &'static Verifier {
    static SHARED: OnceLock<Verifier> = OnceLock::new();
    SHARED.get_or_init(|| Verifier {
        permits: Semaphore::new(PERMITS),
        spare: Mutex::new(Vec::with_capacity(PERMITS)),
    })
}

/// Whether `password` matches the PHC string `phc`, waiting for a permit and
/// running the check on the blocking pool. False for a malformed hash.
pub async fn verify(phc: String, password: String) -> bool {
    let v = verifier();
    let Ok(permit) = v.permits.acquire().await else {
        return false;
    };
    // The permit moves with the work: a caller that goes away does not free it early.
    tokio::task::spawn_blocking(move || {
        let ok = v.check(&phc, &password);
        drop(permit);
        ok
    })
    .await
    .unwrap_or(false)
}

/// `verify` for start-up code outside the runtime (the permits do not apply).
pub fn verify_now(phc: &str, password: &str) -> bool {
    verifier().check(phc, password)
}

impl Verifier {
    fn check(&self, phc: &str, password: &str) -> bool {
        let mut memory = self
            .spare
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default();
        let ok = matches(phc, password, &mut memory);
        // Zeroed so no state derived from the password lingers between logins.
        memory.fill(Block::new());
        let mut spare = self.spare.lock().unwrap_or_else(|p| p.into_inner());
        if spare.len() < PERMITS {
            spare.push(memory);
        }
        ok
    }
}

fn matches(phc: &str, password: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST_KIB {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    memory.resize(params.block_count(), Block::new());
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    argon
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..])
        .is_ok()
        && super::session::same(&out, expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_with_the_stored_parameters_and_keeps_memory_per_permit() {
        let phc = hash("correct horse battery").unwrap();
        assert!(verify(phc.clone(), "correct horse battery".into()).await);
        assert!(!verify(phc.clone(), "wrong".into()).await);
        assert!(!verify("not a hash".into(), "x".into()).await);
        // A hash with other parameters (argon2i, t=3, m=8 MiB) checks with its own.
        let other = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(8192, 3, 1, None).unwrap(),
        )
        .hash_password(b"pw", &SaltString::encode_b64(b"0123456789abcdef").unwrap())
        .unwrap()
        .to_string();
        assert!(verify_now(&other, "pw"));
        assert!(!verify_now(&other, "pw2"));
        let all: Vec<_> = (0..8)
            .map(|_| tokio::spawn(verify(phc.clone(), "wrong".into())))
            .collect();
        for t in all {
            assert!(!t.await.unwrap());
        }
        let spare = verifier().spare.lock().unwrap();
        assert!(spare.len() <= PERMITS);
        assert!(spare
            .iter()
            .all(|m| m.iter().all(|b| b.as_ref().iter().all(|w| *w == 0))));
    }
}
