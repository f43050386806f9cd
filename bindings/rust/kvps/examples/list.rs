//! Lists a store: `cargo run --example list -- URL [PREFIX]`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(url) = args.next() else {
        eprintln!("usage: list URL [PREFIX]");
        return ExitCode::from(2);
    };
    let prefix = args.next().unwrap_or_default();
    let run = || -> kvps::Result<()> {
        let store = kvps::Store::open(&url)?;
        for entry in store.list(&prefix) {
            let entry = entry?;
            println!("{:>12}  {}", entry.size(), entry.key());
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("list: {error}");
            ExitCode::FAILURE
        }
    }
}
