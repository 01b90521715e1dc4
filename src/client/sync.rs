//! Reconciliation with the server (`/api/v1/sync`): re-uploads what the server
//! lacks, withdraws what the server holds that this client no longer shares.

use std::collections::HashMap;

use super::queue::{Batch, ClientDb, Job, Status};
use super::server_client::{ServerClient, ServerError};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub reuploads: usize,
    pub withdrawals: usize,
}

/// `complete`: the last scan read every configured app. Only then can "the
/// client no longer has it" be trusted, so only then are orphans withdrawn.
#[tracing::instrument(name = "sync", skip_all, fields(complete))]
pub async fn reconcile(
    db: &ClientDb,
    server: &ServerClient,
    complete: bool,
) -> Result<SyncReport, ServerError> {
    let records = db
        .records()
        .map_err(|e| ServerError::Transient(format!("{e:#}")))?;
    // Queued torrents are listed too, so one already on the server is never
    // taken for an orphan; they are not re-queued, their upload is pending.
    let mut by_hash: HashMap<String, (String, bool)> = HashMap::new();
    for (key, rec) in &records {
        if matches!(rec.status, Status::Uploaded | Status::Queued) {
            let uploaded = rec.status == Status::Uploaded;
            by_hash.insert(rec.info_hash.clone(), (key.clone(), uploaded));
        }
    }
    let hashes: Vec<String> = by_hash.keys().cloned().collect();
    let answer = server.sync(&hashes).await?;
    let mut batch = Batch::default();
    let mut report = SyncReport::default();
    for ih in answer.missing {
        if let Some((key, true)) = by_hash.get(&ih.to_ascii_lowercase()) {
            batch.jobs.push(Job::Upload {
                key: key.clone(),
                info_hash: ih.to_ascii_lowercase(),
            });
            report.reuploads += 1;
        }
    }
    if complete {
        for ih in answer.orphaned {
            batch.jobs.push(Job::Withdraw { info_hash: ih });
            report.withdrawals += 1;
        }
    } else if !answer.orphaned.is_empty() {
        tracing::info!(
            "{} torrent(s) on the server are not in this client's records; kept until a complete scan",
            answer.orphaned.len()
        );
    }
    db.apply(batch)
        .map_err(|e| ServerError::Transient(format!("{e:#}")))?;
    Ok(report)
}
