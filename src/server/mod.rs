//! `privateindexer server`: client API, admin API (and, as they land, Torznab,
//! tracker and admin panel) on one port over one store.

pub mod activity;
pub mod admin_api;
pub mod api;
pub mod config;
pub mod counters;
pub mod error;
pub mod filters;
pub mod ratelimit;
pub mod state;
pub mod upload;

use std::sync::Arc;

use anyhow::Context;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

use self::config::ServerArgs;
use self::state::AppState;
use crate::store::{RedbStore, Store};
use crate::torznab::SearchIndex;

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    let config = args.resolve()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config))
}

/// All routes of the server's one port.
pub fn routes(state: Arc<AppState>, search: Arc<SearchIndex>) -> BoxedFilter<(Response,)> {
    // Torznab's exact `/api` path goes before the client API's `/api/v1` group.
    crate::torznab::routes(state.clone(), search)
        .or(api::routes(state.clone()))
        .unify()
        .or(admin_api::routes(state.clone()))
        .unify()
        .or(crate::panel::routes(state))
        .unify()
        .or(warp::any()
            .map(|| error::ApiError::not_found("no such route"))
            .map(warp::Reply::into_response))
        .unify()
        .boxed()
}

async fn serve(mut config: config::ServerConfig) -> anyhow::Result<()> {
    let store: Arc<dyn Store> =
        Arc::new(RedbStore::open_dir(&config.data_dir).context("DATA_DIR")?);
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
    let search = {
        let store = store.clone();
        let started = std::time::Instant::now();
        let index = tokio::task::spawn_blocking(move || SearchIndex::build(&*store))
            .await
            .context("search index task failed")?
            .context("cannot build the search index from the store")?;
        tracing::info!(
            "search index: {} torrents in {} ms, ~{} MiB",
            index.len(),
            started.elapsed().as_millis(),
            index.heap_bytes() >> 20
        );
        Arc::new(index)
    };
    let mut state = AppState::new(store, config, secret);
    state.listeners.push(search.clone());
    let state = Arc::new(state);
    if needs_setup {
        // The one secret-like value ever logged, by design: whoever can read the
        // server's log owns the server, so only they can claim a fresh one.
        let token = state.setup_token.mint();
        tracing::warn!(
            "no admin password set: open {}/admin and enter the one-time setup token {token} \
             (or set ADMIN_PASSWORD, or run `privateindexer admin set-password --data-dir …`)",
            state.config.server_url
        );
    }

    let flusher = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(flush_every);
            tick.tick().await;
            loop {
                tick.tick().await;
                flush(&state).await;
            }
        })
    };

    tracing::info!(
        "listening on http://{local} (store {})",
        state.config.data_dir.display()
    );
    warp::serve(routes(state.clone(), search))
        .incoming(listener)
        .graceful(shutdown_signal())
        .run()
        .await;
    flusher.abort();
    flush(&state).await;
    tracing::info!("stopped");
    Ok(())
}

async fn flush(state: &Arc<AppState>) {
    let st = state.clone();
    let result = tokio::task::spawn_blocking(move || st.counters.flush(&*st.store)).await;
    match result {
        Ok(Ok(n)) if n > 0 => tracing::debug!("flushed counters of {n} members"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!("counter flush failed (kept for the next try): {e}"),
        Err(e) => tracing::error!("counter flush task failed: {e}"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
