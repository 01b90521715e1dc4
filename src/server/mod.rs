//! `privateindexer server`: client API, admin API (and, as they land, Torznab,
//! tracker and admin panel) on one port over one store.

pub mod admin_api;
#[cfg(feature = "redis")]
pub mod catalog_feed;
pub mod client_api;
pub mod health;
pub mod main_port;
pub mod metrics;
mod request_line;
pub mod upload;

use std::sync::Arc;

use anyhow::Context;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

use crate::app::config::{ServerArgs, ServerConfig};
use crate::app::state::AppState;
use crate::store::{Store, StoreConfig};
use crate::torznab::SearchIndex;
use crate::tracker::Tracker;

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    let config = args.resolve()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let served = runtime.block_on(serve(config));
    // Connections still open after the drain are closed here; a blocking
    // task (a store call, a password check) gets a moment to end.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    served
}

/// All routes of the server's one port.
pub fn routes(
    state: Arc<AppState>,
    search: Arc<SearchIndex>,
    tracker: Arc<Tracker>,
) -> BoxedFilter<(Response,)> {
    // Everything under URL_BASE. The tracker first: announces are most of the
    // traffic. Torznab's exact `/api` path goes before the client API's `/api/v1` group.
    let base = crate::web::filters::under(&state.config.url_base);
    let guard = Arc::new(crate::metrics::route::Guard::new(
        state.config.metrics_token.clone(),
        state.config.trusted_proxies.clone(),
    ));
    let metrics_route = {
        let (state, tracker) = (state.clone(), tracker.clone());
        crate::metrics::route::route(guard, move || {
            metrics::render(state.clone(), tracker.clone())
        })
    };
    let timed = state.clone();
    let all = crate::tracker::routes::routes(tracker, state.counters.clone())
        .or(crate::torznab::routes(state.clone(), search))
        .unify()
        .or(client_api::routes(state.clone()))
        .unify()
        .or(admin_api::routes(state.clone()))
        .unify()
        .or(metrics_route)
        .unify()
        .or(crate::panel::routes(state))
        .unify();
    base.and(all)
        .or(warp::any()
            .map(|| crate::web::json::ApiError::not_found("no such route"))
            .map(warp::Reply::into_response))
        .unify()
        .with(crate::web::filters::request_span())
        .with(warp::log::custom(move |info| {
            let path = info.path();
            let path = path.strip_prefix(&timed.config.url_base).unwrap_or(path);
            timed
                .latency
                .observe(crate::app::state::surface_of(path), info.elapsed());
        }))
        .map(warp::Reply::into_response)
        .boxed()
}

async fn serve(mut config: ServerConfig) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = crate::store::open(&config.store).context(match config.store {
        StoreConfig::Redb { .. } => "DATA_DIR",
        StoreConfig::Mysql(_) => "STORE_URL",
    })?;
    let needs_setup = match &config.admin_password {
        Some(p) => {
            crate::admin_password::ensure(&*store, p).context("ADMIN_PASSWORD")?;
            false
        }
        None => !crate::admin_password::is_set(&*store)?,
    };
    let secret = crate::keys::server_secret(&*store)?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("BIND: cannot listen on {}", config.bind))?;
    let local = listener.local_addr()?;
    config.set_bound_port(local.port());
    let flush_every = config.flush_interval;
    // Both views are built from a full scan of the store; running them side by
    // side keeps start-up at a million torrents short.
    let started = std::time::Instant::now();
    #[cfg(feature = "redis")]
    let feed_since = catalog_feed::since_ms();
    let search_task = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || SearchIndex::build(&*store))
    };
    let tracker_task = {
        let (store, tracker_config) = (store.clone(), config.tracker.clone());
        tokio::task::spawn_blocking(move || Tracker::new(store, tracker_config))
    };
    let listing_task = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || crate::panel::listing::Listing::build(&*store))
    };
    let index = search_task
        .await
        .context("search index task failed")?
        .context("cannot build the search index from the store")?;
    tracing::info!(
        "search index: {} torrents in {} ms, ~{} MiB",
        index.len(),
        started.elapsed().as_millis(),
        index.heap_bytes() >> 20
    );
    let search = Arc::new(index);
    let tracker = Arc::new(
        tracker_task
            .await
            .context("tracker load task failed")?
            .context("cannot load members and torrents for the tracker")?,
    );
    let tracker_listener = match config.tracker.bind {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("TRACKER_BIND: cannot listen on {addr}"))?,
        ),
        None => None,
    };
    let udp_socket = match config.tracker.udp_bind {
        Some(addr) => Some(
            tokio::net::UdpSocket::bind(addr)
                .await
                .with_context(|| format!("TRACKER_UDP_BIND: cannot listen on {addr}"))?,
        ),
        None => None,
    };
    let listing = Arc::new(
        listing_task
            .await
            .context("panel listing task failed")?
            .context("cannot build the panel's torrent list from the store")?,
    );
    let mut state = AppState::new(store, config, secret);
    #[cfg(feature = "redis")]
    let feed = tracker.config.peers.as_ref().map(|url| {
        let feed = catalog_feed::Feed::new();
        state.feed = Some(feed.clone());
        (feed, url)
    });
    state.listeners.push(search.clone());
    state.listeners.push(tracker.clone());
    state.listeners.push(listing.clone());
    state.listing = listing.clone();
    tracker.watch_liveness(search.clone());
    tracker.watch_liveness(listing);
    // Dead torrents are hidden before the first answer, not at the first sweep.
    let dead = tokio::task::spawn_blocking({
        let tracker = tracker.clone();
        move || tracker.sweep_dead()
    })
    .await
    .context("dead-torrent sweep failed")?;
    tracing::info!(
        changed = dead,
        "torrents without a seeder for STALE_THRESHOLD marked dead"
    );
    state.swarm = tracker.clone();
    state.activity = tracker.activity.clone();
    let state = Arc::new(state);
    if needs_setup {
        // The one secret-like value ever logged, by design: whoever can read the
        // server's log owns the server, so only they can claim a fresh one.
        let token = state.setup_token.mint();
        tracing::warn!(
            "no admin password set: open {}/admin and enter the one-time setup token {token} \
             (or set ADMIN_PASSWORD, or stop the server and run \
             `privateindexer admin --data-dir {} set-password`, which reads the password from stdin)",
            state.config.server_url,
            state.config.data_dir.display()
        );
    }
    let sweeper = crate::tracker::spawn_sweeper(tracker.clone());
    let prober = tracker.reachability.spawn();
    #[cfg(feature = "redis")]
    let peer_sync = match &tracker.config.peers {
        Some(url) => Some(crate::tracker::peers_redis::spawn(tracker.clone(), url)?),
        None => None,
    };
    #[cfg(feature = "redis")]
    let feed_tasks = match feed {
        Some((feed, url)) => Some(catalog_feed::spawn(state.clone(), feed, url, feed_since)?),
        None => None,
    };
    let udp = match udp_socket {
        Some(socket) => {
            tracing::info!("tracker UDP on udp://{}", socket.local_addr()?);
            Some(tokio::spawn(crate::tracker::udp::run(
                tracker.clone(),
                state.counters.clone(),
                socket,
                state.config.udp_announce_rate,
            )))
        }
        None => None,
    };
    let stop_rx = crate::web::shutdown::on_signal();
    let tracker_server = match tracker_listener {
        Some(l) => {
            tracing::info!("tracker also on http://{}", l.local_addr()?);
            Some(
                crate::tracker::http1::spawn_dedicated(
                    l.into_std()?,
                    tracker.clone(),
                    state.counters.clone(),
                    stop_rx.clone(),
                    state.config.limits,
                )
                .context("TRACKER_BIND: cannot start the tracker thread")?,
            )
        }
        None => None,
    };

    let flusher = {
        let state = state.clone();
        let tracker2 = tracker.clone();
        let stopped = crate::web::serve::stopped(stop_rx.clone());
        tokio::spawn(async move {
            tokio::pin!(stopped);
            let mut tick = tokio::time::interval(flush_every);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => flush(&state, &tracker2).await,
                    // A stop flushes before the drain, so a drain cut short loses nothing counted.
                    _ = &mut stopped => {
                        flush(&state, &tracker2).await;
                        return;
                    }
                }
            }
        })
    };

    tracing::info!("listening on http://{local} (store {})", state.config.store);
    if state.config.server_url_defaulted {
        tracing::warn!(
            "EXTERNAL_SERVER_URL is not set: Torznab, download and announce links point at {}, \
             which only this machine can reach; set it to the address members use",
            state.config.server_url
        );
    }
    main_port::serve(
        listener.into_std()?,
        routes(state.clone(), search, tracker.clone()),
        tracker.clone(),
        state.counters.clone(),
        stop_rx,
        state.config.limits,
    )
    .await
    .context("BIND: cannot serve the listener")?;
    if let Some(t) = tracker_server {
        let _ = tokio::task::spawn_blocking(move || t.join()).await;
    }
    sweeper.abort();
    if let Some(p) = prober {
        p.abort();
    }
    if let Some(u) = udp {
        u.abort();
    }
    #[cfg(feature = "redis")]
    {
        if let Some(task) = peer_sync {
            task.abort();
        }
        // What requests changed up to the stop reaches the other instances now.
        if let Some(tasks) = feed_tasks {
            tasks.stop(catalog_feed::AT_STOP).await;
        }
    }
    // The stop's first flush ends (not aborted mid-write), then what the drain counted.
    let _ = flusher.await;
    flush(&state, &tracker).await;
    tracing::info!("stopped");
    Ok(())
}

async fn flush(state: &Arc<AppState>, tracker: &Arc<Tracker>) {
    let (st, tr) = (state.clone(), tracker.clone());
    let result = tokio::task::spawn_blocking(move || {
        if let Err(e) = tr.flush(&*st.store) {
            tracing::error!(
                error = &e as &dyn std::error::Error,
                "snatch flush failed (kept for the next try)"
            );
        }
        st.counters.flush(&*st.store)
    })
    .await;
    match result {
        Ok(Ok(n)) if n > 0 => tracing::debug!("flushed counters of {n} members"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!(
            error = &e as &dyn std::error::Error,
            "counter flush failed (kept for the next try)"
        ),
        Err(e) => tracing::error!("counter flush task failed: {e}"),
    }
}
