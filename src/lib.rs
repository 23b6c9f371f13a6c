//! `incident`: incident response in the terminal. See ARCHITECTURE.md for the map.

pub mod alert;
pub mod cli;
pub mod commands;
pub mod context;
pub mod drill;
pub mod error;
pub mod exec;
pub mod interrupt;
pub mod logsearch;
pub mod model;
pub mod notify;
pub mod ops;
pub mod output;
pub mod postmortem;
pub mod probe;
#[cfg(test)]
mod properties;
pub mod receive;
pub mod runbook;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod template_limits;
pub mod text_file;
pub mod time;
pub mod walk;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::context::Context;
use crate::error::ErrorKind;

/// Parses arguments, runs the command and maps the outcome to the documented exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    ignore_file_size_signal();
    let args = cli::rewrite_grep_short_i(args.into_iter().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version to stdout with exit 0, and usage errors with exit 2.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { error::exit::USAGE } else { error::exit::SUCCESS });
        }
    };
    let ctx = match Context::from_args(&cli.global) {
        Ok(ctx) => ctx,
        Err(err) => {
            let out =
                output::Output::new(false, cli.global.color, false, false, std::env::var_os("NO_COLOR").is_some());
            out.error(&err);
            return ExitCode::from(err.exit_code());
        }
    };
    match commands::dispatch(&ctx, &cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(err) if err.kind == ErrorKind::BrokenPipe => ExitCode::from(err.exit_code()),
        Err(err) => {
            ctx.out.error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}

/// A write past `RLIMIT_FSIZE` must fail with EFBIG, which the timeline rolls back and reports,
/// rather than kill the process with SIGXFSZ.
fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
