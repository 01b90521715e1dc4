//! The catalog service: every change to torrents and members writes the store
//! first, then tells the in-memory views (search index, tracker), so a torrent
//! deleted or a member disabled from any surface is gone from Torznab and
//! refused by the tracker at once. Surfaces parse, call one of these, and map
//! the answer. Each change then goes out on the change feed (`AppState::feed`)
//! by its ids, and a change heard from another instance is applied here
//! ([`Catalog::apply`]) the same way, from the record in the shared store.

use super::state::AppState;
use crate::core::catalog::{CatalogChange, CatalogListener};
use crate::core::clock::now;
use crate::members::{self, IssuedKeys, MemberError};
use crate::store::{PutOutcome, Store, StoreError, StoreResult, TorrentRecord};

/// A change to a member's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Enable,
    Disable,
    Delete,
}

/// The service over one `AppState` (`AppState::catalog`).
pub struct Catalog<'a> {
    state: &'a AppState,
}

impl AppState {
    pub fn catalog(&self) -> Catalog<'_> {
        Catalog { state: self }
    }
}

impl Catalog<'_> {
    fn notify(&self, f: impl Fn(&dyn CatalogListener)) {
        for l in &self.state.listeners {
            f(&**l);
        }
    }

    fn publish(&self, change: CatalogChange) {
        if let Some(feed) = &self.state.feed {
            feed.publish(change);
        }
    }

    /// Tells the listeners and the feed about member `id`.
    async fn member_changed(&self, id: u64) {
        // A failed read was logged and told as "gone"; the other instances read it themselves.
        let _ = self.refresh_member(id).await;
        self.publish(CatalogChange::Member(id));
    }

    /// Tells the listeners about member `id` with its record read back from the store.
    async fn refresh_member(&self, id: u64) -> StoreResult<()> {
        let (record, read) = match self.state.store_call(move |s| s.user(id)).await {
            Ok(r) => (r, Ok(())),
            Err(e) => {
                // Fail closed: without a fresh record the member cannot announce.
                tracing::error!(
                    member = id,
                    error = &e as &dyn std::error::Error,
                    "cannot read the member back"
                );
                (None, Err(e))
            }
        };
        self.notify(|l| l.member_changed(id, record.as_ref()));
        read
    }

    /// Applies a change another instance made: the listeners get the record as the
    /// store holds it now (a torrent gone from the store is removed). An error (the
    /// store unreachable) leaves the torrent views as they were, and the member
    /// refused, until the caller applies it again.
    pub async fn apply(&self, change: CatalogChange) -> StoreResult<()> {
        match change {
            CatalogChange::Member(id) => self.refresh_member(id).await,
            CatalogChange::Torrent {
                info_hash,
                info_hash_v2,
            } => {
                match self
                    .state
                    .store_call(move |s| s.torrent(&info_hash))
                    .await?
                {
                    Some(r) => self.notify(|l| l.torrent_stored(&r)),
                    None => self.notify(|l| l.torrent_removed(&info_hash, info_hash_v2.as_ref())),
                }
                Ok(())
            }
            // A torrent gone meanwhile: its removal is a change of its own.
            CatalogChange::Grab(info_hash) => {
                if let Some(r) = self
                    .state
                    .store_call(move |s| s.torrent(&info_hash))
                    .await?
                {
                    self.notify(|l| l.torrent_grabbed(&info_hash, r.grabs));
                }
                Ok(())
            }
        }
    }

    /// Runs a member call on the blocking pool.
    async fn members<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, MemberError> + Send + 'static,
    ) -> Result<T, MemberError> {
        let store = self.state.store.clone();
        tokio::task::spawn_blocking(move || f(&*store))
            .await
            .unwrap_or_else(|e| Err(StoreError::Backend(e.into()).into()))
    }

    /// Stores an upload (or the uploader's re-send); the listeners get the
    /// record as stored (a re-send keeps the first date and the counters).
    pub async fn upload(&self, record: TorrentRecord, torrent: Vec<u8>) -> StoreResult<PutOutcome> {
        let ih = record.info_hash;
        let (outcome, current) = self
            .state
            .store_call(move |s| {
                let outcome = s.put_torrent(&record, &torrent)?;
                let current = match outcome {
                    PutOutcome::Conflict => None,
                    _ => s.torrent(&ih)?,
                };
                Ok((outcome, current))
            })
            .await?;
        if let Some(current) = current {
            self.notify(|l| l.torrent_stored(&current));
            self.publish(CatalogChange::Torrent {
                info_hash: ih,
                info_hash_v2: current.info_hash_v2,
            });
        }
        Ok(outcome)
    }

    /// Counts a member's grab of a torrent; the listeners get the count read back.
    pub async fn grab(&self, info_hash: [u8; 20], grabber: u64) -> StoreResult<()> {
        let grabs = self
            .state
            .store_call(move |s| {
                s.record_grab(&info_hash, grabber)?;
                Ok(s.torrent(&info_hash)?.map(|r| r.grabs))
            })
            .await?;
        if let Some(grabs) = grabs {
            self.notify(|l| l.torrent_grabbed(&info_hash, grabs));
        }
        self.publish(CatalogChange::Grab(info_hash));
        Ok(())
    }

    /// Withdraws or deletes a torrent; the removed record, None when unknown.
    pub async fn remove_torrent(&self, info_hash: [u8; 20]) -> StoreResult<Option<TorrentRecord>> {
        let removed = self
            .state
            .store_call(move |s| s.delete_torrent(&info_hash))
            .await?;
        if let Some(r) = &removed {
            self.notify(|l| l.torrent_removed(&r.info_hash, r.info_hash_v2.as_ref()));
            self.publish(CatalogChange::Torrent {
                info_hash: r.info_hash,
                info_hash_v2: r.info_hash_v2,
            });
        }
        Ok(removed)
    }

    /// A new member with fresh keys (shown once).
    pub async fn create_member(&self, label: String) -> Result<IssuedKeys, MemberError> {
        let (secret, urls) = (self.state.secret, self.state.config.public_urls());
        let issued = self
            .members(move |s| members::create(s, &secret, &urls, &label, now()))
            .await?;
        self.member_changed(issued.id).await;
        Ok(issued)
    }

    /// New keys for a member; the old ones stop working at once. None: no such member.
    pub async fn rotate_member(&self, id: u64) -> Result<Option<IssuedKeys>, MemberError> {
        let (secret, urls) = (self.state.secret, self.state.config.public_urls());
        let issued = self
            .members(move |s| members::rotate(s, &secret, &urls, id))
            .await?;
        if issued.is_some() {
            self.member_changed(id).await;
        }
        Ok(issued)
    }

    /// Enables, disables or deletes a member; false when there is no such member.
    pub async fn change_member(&self, id: u64, change: MemberChange) -> StoreResult<bool> {
        let found = self
            .state
            .store_call(move |s| match change {
                MemberChange::Enable => s.set_user_enabled(id, true),
                MemberChange::Disable => s.set_user_enabled(id, false),
                MemberChange::Delete => s.delete_user(id),
            })
            .await?;
        if found {
            self.member_changed(id).await;
        }
        Ok(found)
    }
}
