//! The private tracker: announce and scrape for enabled members and
//! registered torrents, peers in memory, accounting flushed in batches.

pub mod accounting;
pub mod announce;
pub mod config;
pub mod http1;
pub mod liveness;
pub mod member_log;
pub mod peer_client;
mod peer_view;
#[cfg(feature = "redis")]
pub mod peers_redis;
pub mod peers_url;
pub mod reachability;
pub mod registry;
pub mod response;
pub mod routes;
pub mod swarm;
pub mod udp;

use crate::core::activity::Activity;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use self::announce::{Announce, Event, ParamError};
pub use self::config::{TrackerArgs, TrackerConfig};
use self::registry::Registry;
use self::swarm::{PeerUpdate, Picked, SwarmError, Swarms};
use crate::core::catalog::CatalogListener;
use crate::core::counters::Counters;
use crate::core::swarm::{PeerCounts, SwarmFigures, SwarmView};
use crate::store::{Store, StoreResult, TorrentRecord, User};
use crate::web::client_ip::{canonical_ip, Origin};

/// Why an announce or scrape is refused; the text goes out as `failure reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("missing passkey: use your personal announce URL")]
    NoPasskey,
    #[error("unknown passkey: download the .torrent again for your current announce URL")]
    UnknownPasskey,
    #[error("your membership is disabled")]
    Disabled,
    #[error("torrent not registered with this tracker")]
    Unregistered,
    #[error("full scrape is not allowed; name the info_hash values")]
    FullScrape,
    #[error("{0}")]
    Param(#[from] ParamError),
    #[error("{0}")]
    Swarm(#[from] SwarmError),
}

pub struct Tracker {
    pub config: TrackerConfig,
    registry: Registry,
    swarms: Swarms,
    accounting: accounting::Pending,
    started: Instant,
    /// Per-minute announce counts, shared with the panel's overview.
    pub activity: Arc<Activity>,
    /// Handshake probes of members' announced ports.
    pub reachability: Arc<reachability::Reachability>,
    /// Announces answered and refused (HTTP and UDP), for `/metrics`.
    pub announces: crate::metrics::Outcomes,
    /// Who hears that a torrent died or came back (the search index, the panel).
    liveness_watchers: liveness::Watchers,
    /// Each member's last announces and refusals, for the panel.
    pub member_log: member_log::MemberLog,
}

impl Tracker {
    /// Loads members and torrents from the store.
    pub fn new(store: Arc<dyn Store>, config: TrackerConfig) -> StoreResult<Tracker> {
        let registry = Registry::load(&*store)?;
        let swarms = match config.peers {
            // Other instances count a peer as long as this one does.
            Some(_) => Swarms::shared(config.peer_stale.as_secs() as i64),
            None => Swarms::default(),
        };
        Ok(Tracker {
            config,
            registry,
            swarms,
            accounting: accounting::Pending::default(),
            started: Instant::now(),
            activity: Arc::default(),
            reachability: Arc::default(),
            announces: Default::default(),
            liveness_watchers: liveness::Watchers::default(),
            member_log: member_log::MemberLog::default(),
        })
    }

    /// Seconds since start: the tracker's clock for peer ages.
    pub fn now(&self) -> u32 {
        self.started.elapsed().as_secs() as u32
    }

    /// `interval` spread by ±ANNOUNCE_JITTER_PERCENT.
    pub fn interval(&self) -> u32 {
        let base = self.config.interval;
        let spread = base * self.config.jitter_percent / 100;
        if spread == 0 {
            return base;
        }
        let v = rand::random_range(base - spread..=base + spread);
        v.max(self.config.min_interval)
    }

    /// The member a passkey belongs to, if enabled.
    pub fn authenticate(&self, passkey: Option<&str>) -> Result<u64, Refusal> {
        let passkey = passkey.ok_or(Refusal::NoPasskey)?;
        if !crate::keys::well_formed(passkey) {
            return Err(Refusal::UnknownPasskey);
        }
        let m = self
            .registry
            .member(&crate::keys::hash_key(passkey))
            .ok_or(Refusal::UnknownPasskey)?;
        if !m.enabled {
            return Err(Refusal::Disabled);
        }
        Ok(m.id)
    }

    /// [`Self::authenticate`] for an announce over either protocol: a disabled
    /// member is known, so their page shows the refusal.
    pub fn authenticate_announce(
        &self,
        passkey: Option<&str>,
        req: &Announce,
    ) -> Result<u64, Refusal> {
        self.authenticate(passkey).inspect_err(|r| {
            if let (Refusal::Disabled, Some(m)) = (
                r,
                passkey.and_then(|p| self.registry.member(&crate::keys::hash_key(p))),
            ) {
                self.member_log.record(
                    m.id,
                    member_log::Note {
                        at: crate::core::clock::now(),
                        info_hash: req.info_hash,
                        event: "",
                        left: req.left,
                        refused: Some(r.to_string()),
                    },
                );
            }
        })
    }

    /// The peer's address: see [`TrustedProxies::client_ip`]; a trusted proxy's
    /// `ip` parameter comes first.
    pub fn peer_ip(&self, origin: &Origin, ip_param: Option<IpAddr>) -> Option<IpAddr> {
        let proxies = &self.config.trusted_proxies;
        match ip_param {
            Some(ip) if proxies.trusts(origin.remote?) => Some(canonical_ip(ip)),
            _ => proxies.client_ip(origin),
        }
    }

    /// Handles a parsed announce from member `user` at address `ip`.
    pub fn announce(
        &self,
        user: u64,
        req: &Announce,
        ip: IpAddr,
        counters: &Counters,
        picked: &mut Picked,
    ) -> Result<swarm::Outcome, Refusal> {
        self.activity.record_announce();
        let result = self.announce_registered(user, req, ip, counters, picked);
        self.member_log.record(
            user,
            member_log::Note {
                at: crate::core::clock::now(),
                info_hash: req.info_hash,
                event: match req.event {
                    Event::None => "",
                    Event::Started => "started",
                    Event::Completed => "completed",
                    Event::Stopped => "stopped",
                },
                left: req.left,
                refused: result.as_ref().err().map(Refusal::to_string),
            },
        );
        result
    }

    fn announce_registered(
        &self,
        user: u64,
        req: &Announce,
        ip: IpAddr,
        counters: &Counters,
        picked: &mut Picked,
    ) -> Result<swarm::Outcome, Refusal> {
        let wall = crate::core::clock::now();
        let reg = self
            .registry
            .torrent(&req.info_hash)
            .ok_or(Refusal::Unregistered)?;
        let up = PeerUpdate {
            peer_id: req.peer_id,
            user,
            ip,
            port: req.port,
            uploaded: req.uploaded,
            downloaded: req.downloaded,
            left: req.left,
            key: req.key,
            event: req.event,
            numwant: if req.event == Event::Stopped {
                0
            } else {
                req.numwant
            },
            wall,
        };
        let out =
            self.swarms
                .announce(&reg.swarm, reg.base(), &up, self.now(), req.compact, picked)?;
        self.accounting.record(counters, user, &reg, &out, wall);
        if out.revived {
            self.liveness_watchers.tell(&reg.swarm, false);
        }
        if req.event != Event::Stopped {
            self.reachability.observe(user, ip, req.port, req.info_hash);
        }
        Ok(out)
    }

    /// The whole HTTP announce: passkey, parameters, answer (always bencode).
    pub fn http_announce(
        &self,
        path_passkey: Option<&str>,
        query: &str,
        origin: &Origin,
        counters: &Counters,
    ) -> Vec<u8> {
        let answer = self.try_http_announce(path_passkey, query, origin, counters);
        self.announces.record(answer.is_ok());
        match answer {
            Ok(body) => body,
            Err(r) => response::failure(&r.to_string()),
        }
    }

    fn try_http_announce(
        &self,
        path_passkey: Option<&str>,
        query: &str,
        origin: &Origin,
        counters: &Counters,
    ) -> Result<Vec<u8>, Refusal> {
        let req = announce::parse_announce(query)?;
        let passkey = path_passkey.or(req.passkey.as_deref());
        let user = self.authenticate_announce(passkey, &req)?;
        let ip = self
            .peer_ip(origin, req.ip)
            .ok_or(Refusal::Param(ParamError::Missing("peer address")))?;
        let mut picked = Picked::default();
        let out = self.announce(user, &req, ip, counters, &mut picked)?;
        Ok(response::announce(&response::AnnounceReply {
            complete: out.complete,
            incomplete: out.incomplete,
            downloaded: out.downloaded,
            interval: self.interval(),
            min_interval: self.config.min_interval,
            compact: req.compact,
            no_peer_id: req.no_peer_id,
            peers: &picked,
        }))
    }

    /// (complete, incomplete, downloaded) of a registered torrent under any of its hashes.
    pub fn scrape_one(&self, ih: &[u8; 20]) -> Option<(u32, u32, u64)> {
        let reg = self.registry.torrent(ih)?;
        Some(
            self.swarms
                .scrape(&reg.swarm)
                .unwrap_or((0, 0, reg.stored_snatches)),
        )
    }

    pub fn http_scrape(&self, path_passkey: Option<&str>, query: &str) -> Vec<u8> {
        let result = announce::parse_scrape(query)
            .map_err(Refusal::from)
            .and_then(|s| {
                self.authenticate(path_passkey.or(s.passkey.as_deref()))?;
                if s.info_hashes.is_empty() {
                    return Err(Refusal::FullScrape);
                }
                let files: Vec<_> = s
                    .info_hashes
                    .iter()
                    .filter_map(|ih| self.scrape_one(ih).map(|(c, i, d)| (*ih, c, i, d)))
                    .collect();
                Ok(response::scrape(&files))
            });
        result.unwrap_or_else(|r| response::failure(&r.to_string()))
    }

    /// Marks stale peers and drops timed-out ones.
    pub fn sweep(&self) -> usize {
        self.swarms.sweep(
            self.now(),
            self.config.peer_stale.as_secs() as u32,
            self.config.peer_timeout.as_secs() as u32,
        )
    }

    /// How often the sweeper runs: often enough that stale and dead marks lag little.
    pub fn sweep_every(&self) -> Duration {
        (self.config.peer_stale.min(self.config.dead_after) / 8)
            .clamp(Duration::from_secs(1), Duration::from_secs(60))
    }

    /// Writes pending per-torrent completions and last-seeded times to the store.
    pub fn flush(&self, store: &dyn Store) -> StoreResult<usize> {
        let seeded = self.flush_seeded(store);
        let snatches = self.accounting.flush(store)?;
        Ok(snatches + seeded?)
    }

    /// The swarms, for the shared peer store's syncer.
    pub fn swarms(&self) -> &Swarms {
        &self.swarms
    }

    /// What the swarm of a registered torrent starts from; `None` if not registered.
    pub fn base_of(&self, info_hash: &[u8; 20]) -> Option<swarm::Base> {
        self.registry.torrent(info_hash).map(|r| r.base())
    }

    pub fn registered_torrents(&self) -> usize {
        self.registry.torrent_count()
    }
}

impl CatalogListener for Tracker {
    fn torrent_stored(&self, record: &TorrentRecord) {
        let new_here = self.registry.torrent(&record.info_hash).is_none();
        self.registry.add_torrent(record);
        if new_here {
            self.swarms.want_remote(&record.info_hash);
        }
    }

    fn torrent_removed(&self, info_hash: &[u8; 20], info_hash_v2: Option<&[u8; 32]>) {
        self.registry.remove_torrent(info_hash, info_hash_v2);
        self.swarms.remove(info_hash);
    }

    fn member_changed(&self, user_id: u64, user: Option<&User>) {
        self.registry.refresh_member(user_id, user);
        if user.is_none() {
            self.member_log.forget(user_id);
        }
        if !user.is_some_and(|u| u.enabled) {
            self.swarms.remove_member(user_id);
        }
    }

    fn member_peers(&self, user_id: u64) -> Option<(u64, u64)> {
        let p = self.swarms.member_peers(user_id);
        Some((u64::from(p.seeding), u64::from(p.leeching)))
    }

    fn member_activity(&self, user_id: u64) -> Option<crate::core::swarm::MemberActivity> {
        Some(self.activity_of(user_id))
    }

    fn member_reachability(&self, user_id: u64) -> Option<reachability::Probe> {
        self.reachability.result(user_id)
    }

    fn swarm_figures(&self) -> Option<SwarmFigures> {
        let t = self.swarms.totals();
        Some(SwarmFigures {
            peers: t.seeders + t.leechers,
            seeders: t.seeders,
            leechers: t.leechers,
        })
    }
}

impl SwarmView for Tracker {
    fn counts(&self, info_hash: &[u8; 20]) -> PeerCounts {
        match self.scrape_one(info_hash) {
            Some((seeders, leechers, _)) => PeerCounts { seeders, leechers },
            None => PeerCounts::default(),
        }
    }

    fn dead(&self, info_hash: &[u8; 20]) -> bool {
        self.is_dead(info_hash)
    }

    fn peers(&self, info_hash: &[u8; 20]) -> Vec<crate::core::swarm::PeerInfo> {
        self.peers_of(info_hash)
    }
}

/// Runs the sweeper until the process ends.
pub fn spawn_sweeper(tracker: Arc<Tracker>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(tracker.sweep_every());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let t = tracker.clone();
            match tokio::task::spawn_blocking(move || (t.sweep(), t.sweep_dead())).await {
                Ok((dropped, changed)) if dropped + changed > 0 => tracing::debug!(
                    dropped,
                    liveness_changed = changed,
                    "tracker swept timed-out peers and dead torrents"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!("tracker sweep failed: {e}"),
            }
        }
    })
}
