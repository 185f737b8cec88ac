//! `ksa-server`: see README.md for flags and the endpoint contract.

use ksa_server::{api::DEMO_USERS, app, Config, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = match Config::from_args_and_env(std::env::args().skip(1), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let listener = tokio::net::TcpListener::bind(&config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let test_endpoints = config.test_endpoints;
    let app = app(config).await?;
    println!("ksa-server listening on http://{}/", listener.local_addr()?);
    println!("session store: {}", app.store_kind);
    for (email, password) in DEMO_USERS {
        println!("demo login: {email} / {password}");
    }
    if test_endpoints {
        println!("test endpoints enabled: /api/test/counters, /api/test/reset, /api/test/clock, /api/test/faults");
    }
    ksa_server::serve_app(app, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
