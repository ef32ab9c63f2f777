//! The `larch` binary: the server (`larch serve`) and the client commands people expect
//! (`groups`, `streams`, `tail`, `ingest`, `query`, `keys`).
//!
//! # Layout
//! - `config`: serve configuration (flags > env > TOML file > defaults).
//! - `serve`: starts storage, the query engine and the HTTP server; graceful shutdown.
//! - `keys`: `larch keys create|list|delete`.
//! - `client/`: a small signed CloudWatch Logs client and the commands built on it.

mod client;
mod config;
mod keys;
mod memory;
mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "larch", version, about = "Self-hosted CloudWatch Logs: ingest, store, query, tail.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (CloudWatch Logs API on 127.0.0.1:4588, data in ./larch-data).
    Serve(serve::ServeArgs),
    /// Manage access keys (works while the server runs).
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
        /// Data directory of the server.
        #[arg(long, global = true, default_value = "larch-data", env = "LARCH_DATA")]
        data: PathBuf,
    },
    /// List log groups.
    Groups(client::commands::GroupsArgs),
    /// List the log streams of a group.
    Streams(client::commands::StreamsArgs),
    /// Print a group's events, optionally following new ones like `tail -f`.
    Tail(client::commands::TailArgs),
    /// Ship lines from a file or stdin as log events.
    Ingest(client::commands::IngestArgs),
    /// Run a Logs Insights query and print the result.
    Query(client::query::QueryArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Keys { command, data } => keys::run(command, &data),
        Command::Groups(args) => client::commands::groups(args),
        Command::Streams(args) => client::commands::streams(args),
        Command::Tail(args) => client::commands::tail(args),
        Command::Ingest(args) => client::commands::ingest(args),
        Command::Query(args) => client::query::run(args),
    };
    if let Err(message) = result {
        eprintln!("larch: {message}");
        std::process::exit(1);
    }
}
