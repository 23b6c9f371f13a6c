//! `incident`: incident response in the terminal. See ARCHITECTURE.md for the map.

pub(crate) mod alert;
pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod context;
pub(crate) mod drill;
pub mod error;
pub mod expr;
pub mod logsearch;
pub mod model;
pub(crate) mod notify;
pub(crate) mod ops;
pub(crate) mod output;
pub mod postmortem;
pub(crate) mod probe;
pub(crate) mod process;
#[cfg(test)]
mod properties;
pub(crate) mod receive;
pub mod runbook;
pub mod secrets;
pub(crate) mod service;
pub(crate) mod shell;
pub(crate) mod signals;
pub(crate) mod ssh;
pub mod store;
pub(crate) mod sync;
pub mod template_limits;
pub(crate) mod text_file;
pub mod time;
pub(crate) mod tracker;
pub(crate) mod trust;
pub(crate) mod walk;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::context::Context;
use crate::error::ErrorKind;

/// Parses arguments, runs the command and maps the outcome to the documented exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    signals::install();
    let code = run_command_line(args);
    signals::settle();
    code
}

fn run_command_line(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args = cli::rewrite_grep_short_flags(args.into_iter().collect());
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
            let out = output::Output::new(false, cli.global.color, false, false);
            out.error(&err);
            return ExitCode::from(err.exit_code());
        }
    };
    match commands::dispatch(&ctx, &cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(err) if err.kind == ErrorKind::BrokenPipe => ExitCode::from(err.exit_code()),
        Err(err) => {
            // The error may be an interrupt's doing (a prompt that saw Ctrl-C): let it end us.
            signals::settle();
            ctx.out.error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
