//! Blocks gathered for one vectored write: each a `piece` header and a slice
//! of its verified piece, so the bytes sent are the bytes that were hashed,
//! with no copy in between.

use std::io::IoSlice;

use bytes::Bytes;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::wire::{self, Block};

/// Blocks one batch holds at most: two slices each, and Linux takes 1024
/// slices per `writev`.
const MAX_FRAMES: usize = 256;

struct Frame {
    header: [u8; wire::PIECE_HEADER],
    /// The block: a view into its verified piece.
    block: Bytes,
}

#[derive(Default)]
pub struct Batch {
    frames: Vec<Frame>,
    bytes: usize,
}

impl Batch {
    /// Adds block `b` of `piece`; the request was checked to lie inside it.
    pub fn push(&mut self, b: Block, piece: &Bytes) {
        let begin = b.begin as usize;
        self.bytes += wire::PIECE_HEADER + b.len as usize;
        self.frames.push(Frame {
            header: wire::piece_header(b),
            block: piece.slice(begin..begin + b.len as usize),
        });
    }

    /// Whether `max` bytes (or the slice limit) are gathered.
    pub fn is_full(&self, max: usize) -> bool {
        self.bytes >= max || self.frames.len() >= MAX_FRAMES
    }

    /// Writes every block in order, then empties the batch.
    pub async fn write_to<W: AsyncWrite + Unpin>(&mut self, w: &mut W) -> std::io::Result<()> {
        {
            let mut slices = Vec::with_capacity(self.frames.len() * 2);
            for f in &self.frames {
                slices.push(IoSlice::new(&f.header));
                slices.push(IoSlice::new(&f.block));
            }
            let mut rest = &mut slices[..];
            while !rest.is_empty() {
                let n = w.write_vectored(rest).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                IoSlice::advance_slices(&mut rest, n);
            }
        }
        self.frames.clear();
        self.bytes = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// More than a socket buffer through a real loopback socket, so writes
    /// come back partial; every block arrives whole, in order.
    #[tokio::test]
    async fn partial_writes_deliver_every_block_in_order() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let reader = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut all = Vec::new();
            s.read_to_end(&mut all).await.unwrap();
            all
        });
        let pieces: Vec<Bytes> = (0..2u8)
            .map(|p| (0..1 << 20).map(|i| (i % 251) as u8 ^ p).collect())
            .collect();
        let mut sent = Vec::new();
        let mut w = tokio::net::TcpStream::connect(addr).await.unwrap();
        for round in 0..8u32 {
            let mut batch = Batch::default();
            // Odd sizes too: a block of 1 byte, blocks ending a piece.
            for k in 0..MAX_FRAMES as u32 {
                let len = [16384, 1, 777][k as usize % 3];
                let begin = (k * 4099 + round) % ((1 << 20) - len);
                let b = Block {
                    index: k % 2,
                    begin,
                    len,
                };
                batch.push(b, &pieces[b.index as usize]);
                sent.push(b);
            }
            assert!(batch.is_full(usize::MAX), "the slice limit fills a batch");
            batch.write_to(&mut w).await.unwrap();
            assert!(!batch.is_full(1), "emptied");
        }
        drop(w);
        let all = reader.await.unwrap();
        let mut at = 0;
        for b in &sent {
            let (m, n) = wire::parse(&all[at..]).unwrap().unwrap();
            assert_eq!(
                m,
                wire::Message::Piece {
                    index: b.index,
                    begin: b.begin
                }
            );
            let (s, e) = (b.begin as usize, (b.begin + b.len) as usize);
            assert_eq!(
                &all[at + wire::PIECE_HEADER..at + n],
                &pieces[b.index as usize][s..e]
            );
            at += n;
        }
        assert_eq!(at, all.len(), "nothing more");
    }
}
