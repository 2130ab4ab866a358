//! `coi-server [--root DIR] [--port N] [--host ADDR]`: serve DIR with cross-origin isolation
//! headers. The first line on stdout is `listening on http://HOST:PORT/` (tests parse it).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    version,
    about = "Serve a directory with COOP/COEP/CORP headers (cross-origin isolated)"
)]
struct Args {
    /// Directory to serve.
    #[arg(long, default_value = "dist")]
    root: PathBuf,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let app = match coi_server::router(&args.root) {
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
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(coi_server::shutdown_signal())
        .await;
    match served {
        Ok(()) => {
            eprintln!("coi-server: stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("coi-server: {e}");
            ExitCode::FAILURE
        }
    }
}
