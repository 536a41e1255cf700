//! The `frontier-atlas` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser as _;
use frontier_atlas::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = u8::from(e.use_stderr());
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Some(command) => run(command),
        #[cfg(feature = "gui")]
        None => frontier_atlas::ui::run_app(cli.files, cli.db),
        #[cfg(not(feature = "gui"))]
        None => {
            eprintln!("frontier-atlas was built without the desktop app (feature `gui`); use a subcommand, see --help");
            ExitCode::FAILURE
        }
    }
}
