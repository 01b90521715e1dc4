//! Works through the outbox in order: uploads and withdrawals, retried with
//! exponential backoff while the server is unreachable. Jobs leave the outbox
//! only once the server answered, so a restart resumes where it stopped.
//! A few jobs are sent at once (a first scan queues thousands, and one at a
//! time leaves both ends waiting on each other); jobs for the same info-hash
//! never run together, so their order holds.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::queue::{ClientDb, Job, Status};
use super::scan_board::ScanBoard;
use super::server_client::{ServerClient, ServerError, UploadOutcome};

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Jobs in flight at once.
const IN_FLIGHT: usize = 4;

pub struct Uploader {
    pub db: Arc<ClientDb>,
    pub server: ServerClient,
    /// Rung when new jobs are queued.
    pub wake: Arc<Notify>,
    /// Rung when the server took a torrent (or holds a friend's identical one): it can be seeded.
    pub stored: Arc<Notify>,
    /// Where the dashboard reads whether uploads are being retried, and why.
    pub board: Arc<ScanBoard>,
}

/// How a drain ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Drained {
    Empty,
    /// Gave up after this many failed attempts in a row; the jobs stay queued.
    GaveUp(u32),
}

impl Uploader {
    /// Runs forever (until the task is dropped).
    pub async fn run(&self) {
        let _ = self.work(None).await;
    }

    /// Works until the outbox is empty, or until `max_failures` transient failures in a row.
    pub async fn drain(&self, max_failures: u32) -> Drained {
        self.work(Some(max_failures)).await
    }

    async fn work(&self, max_failures: Option<u32>) -> Drained {
        let mut backoff = FIRST_BACKOFF;
        let mut failures = 0u32;
        loop {
            let mut jobs = match self.db.next_jobs(IN_FLIGHT) {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!("upload queue unreadable: {e:#}");
                    Vec::new()
                }
            };
            if jobs.is_empty() {
                if max_failures.is_some() {
                    return Drained::Empty;
                }
                // Also wake now and then in case a notification was missed.
                let _ = tokio::time::timeout(Duration::from_secs(60), self.wake.notified()).await;
                continue;
            }
            jobs.truncate(distinct_prefix(&jobs));
            let results = futures_util::future::join_all(
                jobs.iter().map(|(seq, job)| self.process(*seq, job)),
            )
            .await;
            match results.into_iter().find_map(Result::err) {
                None => {
                    backoff = FIRST_BACKOFF;
                    failures = 0;
                    self.board.uploads_ok();
                }
                Some(e) => {
                    failures += 1;
                    if max_failures.is_some_and(|m| failures >= m) {
                        return Drained::GaveUp(failures);
                    }
                    tracing::warn!(
                        "{e}; {} queued job(s) kept, retrying in {}s",
                        self.db.pending_jobs().unwrap_or(0),
                        backoff.as_secs()
                    );
                    self.board
                        .uploads_retrying(e.to_string(), failures, backoff);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Ok when the job is done with (sent, or refused for good); Err to retry.
    #[tracing::instrument(name = "upload", skip_all, fields(seq))]
    async fn process(&self, seq: u64, job: &Job) -> Result<(), ServerError> {
        let finish = |outcome: Option<(&str, &str, Status)>| {
            if let Err(e) = self.db.finish_job(seq, outcome) {
                tracing::error!("cannot update the upload queue: {e:#}");
            }
        };
        match job {
            Job::Upload { key, info_hash } => {
                let record = self.db.record(key).ok().flatten();
                let bytes = self.db.torrent(info_hash).ok().flatten();
                let (Some(rec), Some(bytes)) =
                    (record.filter(|r| &r.info_hash == info_hash), bytes)
                else {
                    // Superseded by a newer torrent for the same path, or removed.
                    finish(None);
                    return Ok(());
                };
                let mut meta = rec.meta.clone();
                meta.title = Some(rec.title.clone());
                match self.server.upload(bytes, &meta).await {
                    Ok(UploadOutcome::Stored(r)) => {
                        tracing::info!(info_hash = %r.info_hash, created = r.created, "uploaded {:?}", rec.title);
                        finish(Some((key, info_hash, Status::Uploaded)));
                        self.stored.notify_one();
                    }
                    Ok(UploadOutcome::Duplicate) => {
                        tracing::info!(info_hash = %info_hash, "{:?} is already shared by another member", rec.title);
                        finish(Some((key, info_hash, Status::Duplicate)));
                        self.stored.notify_one();
                    }
                    Err(ServerError::Refused { status, message }) => {
                        tracing::error!(info_hash = %info_hash, "server refused {:?} (HTTP {status}): {message}", rec.title);
                        finish(Some((key, info_hash, Status::Rejected(message))));
                    }
                    Err(e) => return Err(e),
                }
            }
            Job::Withdraw { info_hash } => match self.server.withdraw(info_hash).await {
                Ok(()) => {
                    tracing::info!(info_hash = %info_hash, "withdrawn");
                    finish(None);
                }
                Err(ServerError::Refused { status, message }) => {
                    tracing::warn!(info_hash = %info_hash, "withdrawal refused (HTTP {status}): {message}");
                    finish(None);
                }
                Err(e) => return Err(e),
            },
        }
        Ok(())
    }
}

/// How many of the oldest jobs can run together: up to the first one whose
/// info-hash an older job of the round already has.
fn distinct_prefix(jobs: &[(u64, Job)]) -> usize {
    jobs.iter()
        .enumerate()
        .position(|(i, (_, j))| {
            jobs[..i]
                .iter()
                .any(|(_, k)| k.info_hash() == j.info_hash())
        })
        .unwrap_or(jobs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(ih: &str) -> Job {
        Job::Upload {
            key: format!("/m/{ih}"),
            info_hash: ih.into(),
        }
    }

    #[test]
    fn jobs_for_one_info_hash_never_run_together() {
        let wd = |ih: &str| Job::Withdraw {
            info_hash: ih.into(),
        };
        let jobs: Vec<(u64, Job)> = [up("a"), wd("b"), up("c"), wd("a"), up("d")]
            .into_iter()
            .enumerate()
            .map(|(i, j)| (i as u64, j))
            .collect();
        assert_eq!(distinct_prefix(&jobs), 3);
        assert_eq!(distinct_prefix(&jobs[3..]), 2);
        assert_eq!(distinct_prefix(&[]), 0);
    }
}
