//! Panel torrent pages over a large catalogue: the page and its total as the
//! panel computed them before (every matching record read from the store, then
//! sorted) against the in-memory listing (page and total from memory, only the
//! page's 50 records read), over the same redb store in the same run.
//!
//! cargo bench --bench panel -- [--torrents 100000] [--runs 15]
//!
//! Results are printed as a Markdown table (see guides/bench-panel.md).

use std::time::Instant;

use privateindexer::core::swarm::{NoPeers, SwarmView};
use privateindexer::panel::listing::{Listing, Query, Sort};
use privateindexer::store::{AddedOrder, RedbStore, Store, TorrentFilter};

use testkit::catalog::{catalog, fill_store, record, Rng};

const PER_PAGE: usize = 50;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The panel's page before the listing: date orders paged by the store's index,
/// other orders read every match and sort it.
fn old_page(store: &dyn Store, filter: &TorrentFilter, sort: Sort, swarm: &dyn SwarmView) -> usize {
    let order = match sort {
        Sort::Newest => Some(AddedOrder::NewestFirst),
        Sort::Oldest => Some(AddedOrder::OldestFirst),
        _ => None,
    };
    if let Some(order) = order {
        let p = store.torrent_page(filter, order, 0, PER_PAGE).unwrap();
        return p.torrents.len() + p.matching as usize;
    }
    let all = store
        .torrent_page(filter, AddedOrder::NewestFirst, 0, usize::MAX)
        .unwrap();
    let mut counted: Vec<_> = all
        .torrents
        .into_iter()
        .map(|r| {
            let c = swarm.counts(&r.info_hash);
            (r, c)
        })
        .collect();
    match sort {
        Sort::Largest => counted.sort_by_key(|(r, _)| std::cmp::Reverse(r.size)),
        Sort::Smallest => counted.sort_by_key(|(r, _)| r.size),
        Sort::Seeders => counted.sort_by_key(|(_, c)| std::cmp::Reverse(c.seeders)),
        _ => counted.sort_by_key(|(r, _)| std::cmp::Reverse(r.grabs)),
    }
    counted.truncate(PER_PAGE);
    counted.len() + all.matching as usize
}

fn new_page(
    store: &dyn Store,
    listing: &Listing,
    query: &Query,
    sort: Sort,
    swarm: &dyn SwarmView,
) -> usize {
    let p = listing.page(query, sort, 0, PER_PAGE, swarm);
    store.torrents(&p.info_hashes).unwrap().len() + p.total
}

fn median_ms(runs: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut out = 0;
    for _ in 0..runs {
        let t = Instant::now();
        out = std::hint::black_box(f());
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], out)
}

fn main() {
    let n = arg("--torrents", 100_000);
    let runs = arg("--runs", 15).max(1);
    let mut rng = Rng(0x5EED_1234_ABCD_0002);
    let cat = catalog(&mut rng, n);
    let records: Vec<_> = (0..n)
        .map(|i| record(&mut rng, &cat, i, 1_600_000_000))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    fill_store(dir.path(), &records);
    drop(records);
    let store = RedbStore::open_dir(dir.path()).expect("reopen the store");
    let t = Instant::now();
    let listing = Listing::build(&store).unwrap();
    let built = t.elapsed();
    let swarm = NoPeers;

    let cases: [(&str, TorrentFilter, Sort); 7] = [
        ("newest, no filter", TorrentFilter::default(), Sort::Newest),
        (
            "newest, category TV",
            TorrentFilter {
                words: vec![],
                category: Some(5000),
            },
            Sort::Newest,
        ),
        (
            "newest, word \"1080p\"",
            TorrentFilter {
                words: vec!["1080p".into()],
                category: None,
            },
            Sort::Newest,
        ),
        (
            "largest, no filter",
            TorrentFilter::default(),
            Sort::Largest,
        ),
        (
            "largest, category Movies",
            TorrentFilter {
                words: vec![],
                category: Some(2000),
            },
            Sort::Largest,
        ),
        ("most seeders", TorrentFilter::default(), Sort::Seeders),
        ("most grabbed", TorrentFilter::default(), Sort::Grabs),
    ];
    println!(
        "{n} torrents, median of {runs} runs; listing built from the store in {:.0} ms\n",
        built.as_secs_f64() * 1000.0
    );
    println!("| page (50 rows + total) | before: store read + sort | after: listing + 50 records | speed-up |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, filter, sort) in cases {
        let query = Query {
            filter: filter.clone(),
            ..Query::default()
        };
        let (old, a) = median_ms(runs, || old_page(&store, &filter, sort, &swarm));
        let (new, b) = median_ms(runs, || new_page(&store, &listing, &query, sort, &swarm));
        assert_eq!(a, b, "{name}: both paths must find the same page and total");
        println!("| {name} | {old:.1} ms | {new:.2} ms | {:.0}× |", old / new);
    }
}
