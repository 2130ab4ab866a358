//! `coi-server [--root DIR] [--port N] [--host ADDR] [--coep POLICY] [--open]`: serve DIR with
//! cross-origin isolation headers (see the library docs). The first line on stdout is
//! `listening on http://HOST:PORT/` (tests and `cargo xtask serve` parse it).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use clap::Parser;
use coi_server::{Coep, Options};

#[derive(Parser)]
#[command(
    version,
    about = "Serve a directory with COOP/COEP/CORP headers (cross-origin isolated)",
    after_help = "Responses carry Cross-Origin-Opener-Policy: same-origin, \
Cross-Origin-Embedder-Policy (--coep) and Cross-Origin-Resource-Policy: same-origin. X.br / X.gz \
beside X are sent when the client accepts them. Ctrl-C or SIGTERM stops the server (exit code 0)."
)]
struct Args {
    /// Directory to serve; nothing outside it is ever sent.
    #[arg(long, default_value = "dist")]
    root: PathBuf,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Address to bind; the default accepts connections from this machine only.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Cross-Origin-Embedder-Policy to send.
    #[arg(long, value_enum, default_value_t = Coep::RequireCorp)]
    coep: Coep,
    /// Open the URL in the default browser ($BROWSER, else xdg-open / open / start).
    #[arg(long)]
    open: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let app = match coi_server::router(&args.root, Options { coep: args.coep }) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("coi-server: cannot serve {}: {e}", args.root.display());
            return ExitCode::FAILURE;
        }
    };
    let addr = SocketAddr::new(args.host, args.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("coi-server: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bound = listener.local_addr().expect("bound socket has an address");
    println!("listening on {}", coi_server::url_for(bound));
    let _ = std::io::stdout().flush();
    eprintln!(
        "coi-server: serving {} (Ctrl-C to stop)",
        args.root.display()
    );
    if args.open {
        open_browser(&coi_server::local_url_for(bound));
    }

    let (stopping_tx, stopping) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        coi_server::shutdown_signal().await;
        eprintln!("coi-server: stopping");
        let _ = stopping_tx.send(());
    };
    let serve = axum::serve(listener, app).with_graceful_shutdown(signal);
    // Graceful shutdown waits for every connection; one a client keeps open must not keep the
    // process alive after Ctrl-C.
    let deadline = async move {
        if stopping.await.is_ok() {
            tokio::time::sleep(coi_server::SHUTDOWN_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = serve => match served {
            Ok(()) => {
                eprintln!("coi-server: stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("coi-server: {e}");
                ExitCode::FAILURE
            }
        },
        () = deadline => {
            eprintln!(
                "coi-server: stopped; connections still open after {:?} were dropped",
                coi_server::SHUTDOWN_GRACE
            );
            ExitCode::SUCCESS
        }
    }
}

/// Starts the browser without waiting for it; a failure is only a warning, the server runs on.
fn open_browser(url: &str) {
    let mut cmd = match std::env::var("BROWSER") {
        // The convention xdg-open and Python's webbrowser also follow; tests use it too.
        Ok(browser) if !browser.trim().is_empty() => Command::new(browser.trim()),
        _ if cfg!(target_os = "macos") => Command::new("open"),
        _ if cfg!(windows) => {
            let mut c = Command::new("cmd");
            c.args(["/C", "start", ""]);
            c
        }
        _ => Command::new("xdg-open"),
    };
    cmd.arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let program = cmd.get_program().to_string_lossy().into_owned();
    let url = url.to_owned();
    match cmd.spawn() {
        Ok(mut child) => {
            // Reaped in the background so that it does not linger as a zombie.
            std::thread::spawn(move || {
                if !child.wait().is_ok_and(|s| s.success()) {
                    eprintln!("coi-server: warning: --open: {program} failed; open {url} yourself");
                }
            });
        }
        Err(e) => eprintln!(
            "coi-server: warning: --open: cannot start {program} ({e}); open {url} yourself"
        ),
    }
}
