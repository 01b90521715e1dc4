//! One peer connection: handshake, then a loop that reads the peer's
//! messages and sends the blocks it asked for while it holds an upload slot.
//! Any protocol violation ends the connection; nothing here can panic on input.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tracing::Instrument;

use super::batch::Batch;
use super::peers::PeerInfo;
use super::pieces::PieceError;
use super::registry::{BadRequest, Torrent};
use super::wire::{self, Block, Handshake, Message, HANDSHAKE_LEN};
use super::Shared;

/// The handshake must arrive this soon after the connection.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const KEEP_ALIVE: Duration = Duration::from_secs(90);
const TICK: Duration = Duration::from_secs(5);
/// Requests a peer may have queued; announced as `reqq`. libtorrent keeps up
/// to 500 in flight (its `max_out_request_queue`) when a peer allows it.
pub const REQQ: u32 = 500;
/// Bytes gathered into one socket write.
const WRITE_BATCH: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
enum PeerError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("protocol: {0}")]
    Wire(#[from] wire::WireError),
    #[error("protocol: {0}")]
    Protocol(&'static str),
    #[error("handshake timed out")]
    HandshakeTimeout,
    #[error("unknown or unserved info-hash")]
    UnknownTorrent,
    #[error("too many connections for this torrent")]
    TorrentFull,
    #[error("silent for {}s", .0.as_secs())]
    Idle(Duration),
    #[error("the peer is a seeder too")]
    AlsoSeeder,
    #[error("torrent stopped: {0}")]
    Stopped(String),
}

/// Serves one accepted connection to its end; errors are logged at debug.
pub async fn serve(stream: TcpStream, addr: SocketAddr, shared: Arc<Shared>) {
    let id = shared.next_peer_id();
    let span = tracing::debug_span!("peer", %addr, id);
    async move {
        match run(stream, addr, id, shared).await {
            Ok(()) => tracing::debug!("closed"),
            Err(e) => tracing::debug!("dropped: {e}"),
        }
    }
    .instrument(span)
    .await
}

/// Counts a connection against its torrent's cap while it lives.
struct Slot {
    torrent: Arc<Torrent>,
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.torrent.peers.fetch_sub(1, Ordering::Relaxed);
        self.torrent.peer_list.leave(self.id);
        self.shared.choker.leave(self.id);
    }
}

async fn run(
    mut stream: TcpStream,
    addr: SocketAddr,
    id: u64,
    shared: Arc<Shared>,
) -> Result<(), PeerError> {
    let _ = stream.set_nodelay(true);
    let mut hs = [0u8; HANDSHAKE_LEN];
    tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.read_exact(&mut hs))
        .await
        .map_err(|_| PeerError::HandshakeTimeout)??;
    let theirs = Handshake::parse(&hs)?;
    let torrent = shared
        .registry
        .get(&theirs.info_hash)
        .filter(|t| t.serving())
        .ok_or(PeerError::UnknownTorrent)?;
    if torrent.peers.fetch_add(1, Ordering::Relaxed) >= shared.caps.peers_per_torrent {
        torrent.peers.fetch_sub(1, Ordering::Relaxed);
        return Err(PeerError::TorrentFull);
    }
    let waker = shared.choker.join(id);
    let info = torrent.peer_list.join(id, addr);
    let _slot = Slot {
        torrent: torrent.clone(),
        shared: shared.clone(),
        id,
    };
    tracing::debug!(info_hash = %torrent.hex(), "handshake");

    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(&Handshake::encode(&torrent.info_hash, &shared.peer_id));
    if theirs.extensions {
        wire::extended_handshake(&mut out, super::CLIENT_NAME, REQQ);
    }
    let withheld = torrent.withheld();
    if theirs.fast && withheld.is_empty() {
        wire::have_all(&mut out);
    } else {
        wire::bitfield(&mut out, &torrent.bitfield());
    }
    let (mut rd, wr) = stream.into_split();
    let mut conn = Conn {
        shared,
        torrent,
        info,
        id,
        fast: theirs.fast,
        unchoked: false,
        queue: VecDeque::new(),
        current: None,
        ahead: None,
        batch: Batch::default(),
        out,
        wr,
        last_recv: Instant::now(),
        last_send: Instant::now(),
    };
    conn.flush().await?;

    let mut rbuf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut tick = tokio::time::interval(TICK);
    loop {
        let mut used = 0;
        while let Some((msg, n)) = wire::parse(&rbuf[used..])? {
            used += n;
            conn.handle(msg)?;
        }
        rbuf.drain(..used);
        conn.flush().await?;
        let can_send = conn.unchoked && !conn.queue.is_empty();
        tokio::select! {
            biased;
            r = rd.read_buf(&mut rbuf) => {
                if r? == 0 {
                    return Ok(());
                }
                conn.last_recv = Instant::now();
            }
            _ = waker.notified() => conn.slot_changed(),
            _ = tick.tick() => conn.tick()?,
            _ = std::future::ready(()), if can_send => conn.send_blocks().await?,
        }
    }
}

/// A piece being read and verified off the async threads.
type Load = tokio::task::JoinHandle<Result<Bytes, PieceError>>;

struct Conn {
    shared: Arc<Shared>,
    torrent: Arc<Torrent>,
    /// What the dashboard shows of this peer.
    info: Arc<PeerInfo>,
    id: u64,
    fast: bool,
    unchoked: bool,
    queue: VecDeque<Block>,
    /// The piece being served, verified.
    current: Option<(u32, Bytes)>,
    /// The next piece the queue asks for, read and verified while the
    /// current one is written.
    ahead: Option<(u32, Load)>,
    /// Blocks gathered for the next write.
    batch: Batch,
    /// Messages other than blocks waiting to be written, reused.
    out: Vec<u8>,
    wr: OwnedWriteHalf,
    last_recv: Instant,
    last_send: Instant,
}

impl Conn {
    async fn flush(&mut self) -> Result<(), PeerError> {
        if !self.out.is_empty() {
            self.wr.write_all(&self.out).await?;
            self.out.clear();
            self.last_send = Instant::now();
        }
        Ok(())
    }

    /// Answers a request this seeder will not serve: a reject where the peer
    /// speaks BEP 6, silence otherwise (it times the request out).
    fn refuse(&mut self, b: Block) {
        if self.fast {
            wire::reject(&mut self.out, b);
        }
    }

    fn choke(&mut self) {
        self.unchoked = false;
        wire::choke(&mut self.out);
        // With BEP 6 a choke does not cancel requests: each gets its reject.
        for b in std::mem::take(&mut self.queue) {
            self.refuse(b);
        }
    }

    fn handle(&mut self, msg: Message<'_>) -> Result<(), PeerError> {
        match msg {
            Message::Interested => {
                if self.shared.choker.interested(self.id) && !self.unchoked {
                    self.unchoked = true;
                    wire::unchoke(&mut self.out);
                }
            }
            Message::NotInterested => {
                self.shared.choker.not_interested(self.id);
                if self.unchoked {
                    self.choke();
                }
            }
            Message::Request(b) => match self.torrent.check_request(b) {
                Err(BadRequest::OutOfRange) => {
                    return Err(PeerError::Protocol("request outside the torrent"))
                }
                Err(BadRequest::Withheld) => self.refuse(b),
                Ok(()) if !self.unchoked || self.queue.len() >= REQQ as usize => self.refuse(b),
                Ok(()) => self.queue.push_back(b),
            },
            Message::Cancel(b) => {
                if let Some(at) = self.queue.iter().position(|q| *q == b) {
                    self.queue.remove(at);
                    self.refuse(b);
                }
            }
            Message::Bitfield(bits) => {
                if wire::bitfield_is_full(bits, self.torrent.piece_count())? {
                    return Err(PeerError::AlsoSeeder);
                }
                self.info.bitfield(bits);
            }
            Message::Have(i) => self.info.have(i, self.torrent.piece_count()),
            Message::Extended { id: 0, payload } => self.info.extension_handshake(payload),
            Message::HaveAll => return Err(PeerError::AlsoSeeder),
            Message::Piece { .. } => return Err(PeerError::Protocol("sent a piece to a seeder")),
            // A leecher's own state and the extensions we do not use.
            Message::KeepAlive
            | Message::Choke
            | Message::Unchoke
            | Message::Port(_)
            | Message::Suggest(_)
            | Message::HaveNone
            | Message::Reject(_)
            | Message::AllowedFast(_)
            | Message::Extended { .. }
            | Message::Unknown(_) => {}
        }
        Ok(())
    }

    fn slot_changed(&mut self) {
        let now = self.shared.choker.is_unchoked(self.id);
        if now && !self.unchoked {
            self.unchoked = true;
            wire::unchoke(&mut self.out);
        } else if !now && self.unchoked {
            self.choke();
        }
    }

    fn tick(&mut self) -> Result<(), PeerError> {
        let now = Instant::now();
        if let Some(reason) = self.torrent.not_served() {
            return Err(PeerError::Stopped(reason));
        }
        if now.duration_since(self.last_recv) > self.shared.caps.peer_idle {
            return Err(PeerError::Idle(self.shared.caps.peer_idle));
        }
        if self.unchoked && self.shared.choker.rotate(self.id, now) {
            self.choke();
        }
        if self.out.is_empty() && now.duration_since(self.last_send) > KEEP_ALIVE {
            wire::keep_alive(&mut self.out);
        }
        Ok(())
    }

    fn load(&self, index: u32) -> Load {
        let shared = self.shared.clone();
        let t = self.torrent.clone();
        tokio::task::spawn_blocking(move || shared.pieces.load(&t, index))
    }

    /// Starts reading the first piece the queue asks for beyond the current
    /// one, unless it is under way already.
    fn read_ahead(&mut self) {
        let current = self.current.as_ref().map(|c| c.0);
        let Some(next) = self
            .queue
            .iter()
            .map(|b| b.index)
            .find(|&i| Some(i) != current)
        else {
            return;
        };
        if self.ahead.as_ref().is_some_and(|a| a.0 == next) {
            return;
        }
        // A load no longer wanted is left to finish into the piece cache.
        self.ahead = Some((next, self.load(next)));
    }

    /// The verified piece `index`: held, read ahead, or read now.
    async fn piece(&mut self, index: u32) -> Result<Option<Bytes>, PeerError> {
        if let Some((i, p)) = &self.current {
            if *i == index {
                return Ok(Some(p.clone()));
            }
        }
        let load = match self.ahead.take() {
            Some((i, load)) if i == index => load,
            other => {
                self.ahead = other;
                self.load(index)
            }
        };
        let loaded = load
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        match loaded {
            Ok(p) => {
                self.current = Some((index, p.clone()));
                Ok(Some(p))
            }
            Err(PieceError::Damaged(i)) => {
                if self.torrent.withhold(i) {
                    tracing::warn!(
                        info_hash = %self.torrent.hex(),
                        piece = i,
                        "{:?}: piece {i} does not match its SHA-1 (damaged on disk?); withheld, the other pieces keep flowing",
                        self.torrent.name
                    );
                }
                Ok(None)
            }
            Err(PieceError::File(e)) => {
                let reason = e.to_string();
                self.torrent.stop_serving(reason.clone());
                Err(PeerError::Stopped(reason))
            }
        }
    }

    /// Sends queued blocks, up to [`WRITE_BATCH`] bytes in one vectored write,
    /// while the next piece is read ahead.
    async fn send_blocks(&mut self) -> Result<(), PeerError> {
        while !self.batch.is_full(WRITE_BATCH) {
            let Some(b) = self.queue.pop_front() else {
                break;
            };
            let Some(piece) = self.piece(b.index).await? else {
                // Withheld now: every queued request of that piece is refused.
                self.refuse(b);
                let (drop, keep): (VecDeque<Block>, VecDeque<Block>) =
                    self.queue.drain(..).partition(|q| q.index == b.index);
                self.queue = keep;
                drop.into_iter().for_each(|q| self.refuse(q));
                continue;
            };
            self.shared.limit.take(b.len as usize).await;
            self.batch.push(b, &piece);
            self.torrent.add_uploaded(u64::from(b.len));
            self.info.add_sent(u64::from(b.len));
        }
        self.read_ahead();
        // This batch's rejects, then its blocks.
        self.flush().await?;
        self.batch.write_to(&mut self.wr).await?;
        self.last_send = Instant::now();
        Ok(())
    }
}
