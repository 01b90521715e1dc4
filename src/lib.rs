//! PrivateIndexer: a private BitTorrent swarm for friends' media libraries.

pub mod bencode;
pub mod create;
pub mod metainfo;
pub mod store;
