//! Runbooks: the YAML format, loading with located errors, variables, templates, and the
//! shipped library (embedded in the binary, overridable on disk).

mod include;
mod library;
mod load;
mod matching;
mod orient;
mod render;
mod risk;
pub mod schema;
mod shell;
/// Kept for `vars` and callers that name the language through the runbook.
pub use crate::expr::template;
mod var_types;
mod vars;

pub use include::SHARED;
pub use library::{Catalog, Entry, Origin, SHIPPED};
pub use load::{
    MAX_WAIT, Problem, Runbook, Source, did_you_mean, load, parse_status_class, summary_counts, yaml_problem,
};
/// `*.yaml` and `*.yml` files in a folder, sorted.
pub fn yaml_files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    library::yaml_files(dir)
}

pub use matching::{Matcher, best_fit, runbook_for_alert};
pub use orient::{Suggestion, Undecided, suggested_hypotheses};
pub use render::{RenderError, condition_holds, render_command, render_host, render_port, render_remote, render_text};
pub use risk::risky_patterns;
pub use var_types::check_value;
pub use vars::{SettingOrigin, VarSetting, Vars, check_setting, parse_var_args};
