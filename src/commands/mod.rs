//! One module per command, one signature, one dispatch.
//!
//! Each command is `run(ctx, args) -> Result<u8>`: the exit code on success (0 for all but
//! `run`, which passes on its command's status).

mod check;
mod drill;
mod followup;
mod grep;
mod hypothesis;
mod lifecycle;
mod lint;
mod list;
mod meta;
mod notify;
mod open;
mod postmortem;
mod receive;
mod record;
mod run;
mod runbook;
mod service;
mod shell;
mod show;
mod stats;
mod sync;
mod timeline;
mod update;
mod vars;
mod watch;

use crate::cli::{Command, RunbookCommand, ServiceCommand};
use crate::context::Context;
use crate::error::Result;

pub fn dispatch(ctx: &Context, command: &Command) -> Result<u8> {
    match command {
        Command::Open(args) => open::run(ctx, args),
        Command::Use(args) => list::use_incident(ctx, args),
        Command::List(args) => list::run(ctx, args),
        Command::Show => show::run(ctx),
        Command::Vars(args) => vars::run(ctx, args),
        Command::Status(args) => lifecycle::status(ctx, args),
        Command::Ack(args) => lifecycle::ack(ctx, args),
        Command::Severity(args) => lifecycle::severity(ctx, args),
        Command::Role(args) => lifecycle::role(ctx, args),
        Command::Impact(args) => lifecycle::impact(ctx, args),
        Command::Resolve(args) => lifecycle::resolve(ctx, args),
        Command::Update(args) => update::run(ctx, args),
        Command::Observe(args) => record::observe(ctx, args),
        Command::Note(args) => record::note(ctx, args),
        Command::Decide(args) => record::decide(ctx, args),
        Command::Act(args) => record::act(ctx, args),
        Command::Hypothesis(command) => hypothesis::run(ctx, command),
        Command::Run(args) => run::run(ctx, args),
        Command::Followup(command) => followup::run(ctx, command),
        Command::Timeline(args) => timeline::run(ctx, args),
        Command::Walk => drill::walk(ctx, ctx.incident_dir()?),
        Command::Drill(args) => drill::run(ctx, args),
        Command::Postmortem(args) => postmortem::run(ctx, args),
        Command::Link(args) => postmortem::link(ctx, args),
        Command::Lint(args) => lint::run(ctx, args),
        Command::Stats(args) => stats::run(ctx, args),
        Command::Grep(args) => grep::run(ctx, args),
        Command::Check(args) => check::check(ctx, args),
        Command::Probe(command) => check::probe(ctx, command),
        Command::Runbook(command) => match command {
            RunbookCommand::List(args) => runbook::list(ctx, args),
            RunbookCommand::Show(args) => runbook::show(ctx, args),
            RunbookCommand::Lint(args) => runbook::lint(ctx, args),
            RunbookCommand::New(args) => runbook::new(ctx, args),
            RunbookCommand::Act(args) => crate::ops::run_action(
                ctx,
                &crate::ops::ActionRequest {
                    action: args.action.clone(),
                    runbook: args.runbook.clone(),
                    vars: args.vars.clone(),
                    dry_run: args.dry_run,
                    yes: args.yes,
                    runbooks_dir: args.dirs.dir.clone(),
                    echo: crate::ops::Echo::Passthrough,
                    resume: args.resume,
                    answer: args.answer.clone(),
                    low_risk_on_enter: false,
                },
            ),
        },
        Command::Service(command) => match command {
            ServiceCommand::List(args) => service::list(ctx, args),
            ServiceCommand::Show(args) => service::show(ctx, args),
            ServiceCommand::Lint(args) => service::lint(ctx, args),
        },
        Command::Sync(args) => sync::run(ctx, args),
        Command::Unify => lifecycle::merge_openings(ctx),
        Command::Receive(args) => receive::run(ctx, args),
        Command::Notify(command) => notify::run(ctx, command),
        Command::Shell(args) => shell::run(ctx, args),
        Command::ShellRecord(args) => shell::record(ctx, args),
        Command::MergeTimeline(args) => sync::merge_timeline(ctx, args),
        Command::Completions(args) => meta::completions(args),
        Command::Man => meta::man(),
    }
}
