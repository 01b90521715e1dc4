//! Stopping on Ctrl-C or SIGTERM (what `docker stop` and systemd send).

use std::future::Future;

use tokio::sync::watch;

/// Resolves on the first Ctrl-C or SIGTERM. The handlers are registered when
/// this is called, not when the future is first polled: a SIGTERM that comes
/// right after start-up (say, as soon as the "listening" line is out) must
/// stop the process cleanly rather than kill it.
pub fn signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async fn wait(s: Option<Signal>) {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        async move {
            tokio::select! {
                _ = wait(term) => {},
                _ = wait(interrupt) => {},
            }
            tracing::info!("shutting down");
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    }
}

/// A stop flag that turns true on the first signal, for several listeners to watch.
pub fn on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    let stop = signal();
    tokio::spawn(async move {
        stop.await;
        let _ = tx.send(true);
    });
    rx
}
