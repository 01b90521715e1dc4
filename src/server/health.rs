//! `GET /api/v1/health`: 200 while the server can store what members send,
//! 503 with the reason when it cannot (a store that refuses writes, a full
//! disk). The check writes one small setting, at most once every few seconds
//! however often the route is asked (it needs no key).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use warp::http::StatusCode;
use warp::reply::Response;
use warp::Reply;

use crate::app::state::AppState;
use crate::store::StoreError;

const PROBE_EVERY: Duration = Duration::from_secs(5);
/// Less free space than this on the data dir's filesystem counts as full:
/// an upload would fail there even when a tiny probe still fits.
const MIN_FREE_BYTES: u64 = 1 << 20;
const PROBE_KEY: &str = "health_probe";

/// The last probe's outcome, shared by every health request.
#[derive(Default)]
pub struct Health {
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Health {
    pub async fn answer(self: Arc<Self>, state: Arc<AppState>) -> Response {
        let outcome = match self.fresh() {
            Some(o) => o,
            None => {
                let probed = tokio::task::spawn_blocking(move || probe(&state))
                    .await
                    .unwrap_or_else(|_| Err("the store check failed".into()));
                *self.last.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((Instant::now(), probed.clone()));
                probed
            }
        };
        let (status, body) = match outcome {
            Ok(()) => (StatusCode::OK, serde_json::json!({"status": "ok"})),
            Err(reason) => (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"status": "error", "reason": reason}),
            ),
        };
        warp::reply::with_status(warp::reply::json(&body), status).into_response()
    }

    fn fresh(&self) -> Option<Result<(), String>> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.as_ref()
            .filter(|(at, _)| at.elapsed() < PROBE_EVERY)
            .map(|(_, o)| o.clone())
    }
}

fn probe(state: &AppState) -> Result<(), String> {
    if free_bytes(&state.config.data_dir).is_some_and(|free| free < MIN_FREE_BYTES) {
        return Err("the disk holding the store (DATA_DIR) is full".into());
    }
    let now = crate::core::clock::now().to_be_bytes();
    state.store.set_setting(PROBE_KEY, &now).map_err(|e| {
        tracing::warn!(
            error = &e as &dyn std::error::Error,
            "health: store write probe failed"
        );
        match e {
            StoreError::DiskFull(_) => "the disk holding the store (DATA_DIR) is full".into(),
            StoreError::Unwritable(_) => "the store cannot write (an I/O error)".into(),
            StoreError::Unavailable(_) => "the database (STORE_URL) is unreachable".into(),
            _ => "the store cannot write".into(),
        }
    })
}

/// Bytes an unprivileged writer may still use on `dir`'s filesystem.
#[allow(clippy::useless_conversion)] // the field types differ between platforms
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a valid C string and `st` a writable statvfs.
    if unsafe { libc::statvfs(path.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(u64::from(st.f_bavail).saturating_mul(u64::from(st.f_frsize)))
}
