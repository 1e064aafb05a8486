//! The servers `bandwatch run` keeps (the dashboard and API, the `/metrics` port), each on a
//! thread and runtime of its own, so a flood of requests never delays sampling. The caller
//! binds the socket first (a port in use is its error to report); [`WebServer::stop`] ends
//! the server and joins its thread.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::state::WebState;

/// How long requests in flight get to finish at shutdown; a live stream never finishes by
/// itself, so it is cut after this.
const GRACE: Duration = Duration::from_secs(1);

/// Completes when the server is asked to stop.
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A running server; [`WebServer::stop`] (or dropping it) stops it and joins its thread.
#[derive(Debug)]
pub struct WebServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl WebServer {
    /// Serves the dashboard and the API on `listener` from a thread of its own.
    pub fn start(listener: std::net::TcpListener, state: WebState) -> io::Result<Self> {
        spawn("web", listener, move |l, stop| crate::serve(l, state, stop))
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, gives requests in flight a moment, and joins the thread.
    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!(addr = %self.addr, "a server thread panicked");
            }
        }
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Runs `serve` on `listener` on a new thread named `name`, with its own runtime.
pub(crate) fn spawn<F, Fut>(
    name: &str,
    listener: std::net::TcpListener,
    serve: F,
) -> io::Result<WebServer>
where
    F: FnOnce(TcpListener, Shutdown) -> Fut + Send + 'static,
    Fut: Future<Output = io::Result<()>>,
{
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (stop, stopped) = watch::channel(false);
    let what = name.to_string();
    let thread = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(server = %what, error = %e, "the server could not take its socket");
                        return;
                    }
                };
                let served = serve(listener, Box::pin(stop_requested(stopped.clone())));
                let cut = async move {
                    stop_requested(stopped).await;
                    tokio::time::sleep(GRACE).await;
                };
                tokio::select! {
                    result = served => {
                        if let Err(e) = result {
                            tracing::error!(server = %what, error = %e, "the server stopped");
                        }
                    }
                    () = cut => {}
                }
            });
            // Connections still open (live streams) are dropped with the runtime.
            runtime.shutdown_timeout(GRACE);
        })?;
    Ok(WebServer {
        addr,
        stop,
        thread: Some(thread),
    })
}

/// Completes once `true` is sent, or the sender is gone.
async fn stop_requested(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}
