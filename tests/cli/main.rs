//! The integration tests: the real `incident` binary, run in a hermetic temp store with time and
//! author pinned (`harness`). One test binary, one module per capability; `layout` fails when a
//! file here is not one of its modules.

mod harness;

mod alert_outcomes;
mod alerts;
mod blameless_corpus;
mod blameless_postmortem;
mod clocks;
mod config;
mod containers;
mod dates;
mod drill;
mod extract;
mod follow;
mod grep;
mod grep_habits;
mod guarantees;
mod help;
mod honest_states;
mod hostile_output;
mod hostile_vars;
mod journal;
mod layering;
mod layers;
mod layout;
mod library;
mod lifecycle;
mod limits;
mod list_vars;
mod live_stream;
mod log_checks;
mod logformats;
mod notify;
mod postmortem;
mod postmortem_sections;
mod probe;
mod probe_kinds;
mod procedures;
mod processes;
mod readable_results;
mod recovery;
mod remote;
mod run;
mod runbook;
mod secret_corpus;
mod services;
mod shell;
mod sre_book_replay;
mod sync;
mod sync_healing;
mod team;
mod vars;
mod walk;
mod walk_prompts;
mod watch;
