//! redb's errors mapped onto `StoreError`, I/O failures told apart.

use super::{Cause, StoreError};

/// A backend error, with I/O failures told apart: after one, redb refuses every
/// later call until the file is reopened (`redb_reopen`).
pub(super) fn be<E: Into<Cause>>(e: E) -> StoreError {
    let cause: Cause = e.into();
    match storage_error(&*cause) {
        Some(redb::StorageError::Io(io)) if is_disk_full(io) => StoreError::DiskFull(cause),
        Some(redb::StorageError::Io(_) | redb::StorageError::PreviousIo) => {
            StoreError::Unwritable(cause)
        }
        _ if matches!(
            cause.downcast_ref::<redb::CommitError>(),
            Some(redb::CommitError::TransactionPoisoned)
        ) =>
        {
            StoreError::Unwritable(cause)
        }
        _ => StoreError::Backend(cause),
    }
}

/// The storage error inside any of redb's error types.
fn storage_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a redb::StorageError> {
    if let Some(s) = e.downcast_ref::<redb::StorageError>() {
        Some(s)
    } else if let Some(redb::TransactionError::Storage(s)) = e.downcast_ref() {
        Some(s)
    } else if let Some(redb::CommitError::Storage(s)) = e.downcast_ref() {
        Some(s)
    } else if let Some(redb::TableError::Storage(s)) = e.downcast_ref() {
        Some(s)
    } else if let Some(redb::DatabaseError::Storage(s)) = e.downcast_ref() {
        Some(s)
    } else {
        None
    }
}

fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
        || e.kind() == std::io::ErrorKind::QuotaExceeded
        || e.raw_os_error() == Some(libc::ENOSPC)
}
