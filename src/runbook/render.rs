//! A runbook's strings rendered with its variables: the words of a command, a port, a remote
//! host. A failure names the text as written, so the check or action can say what broke.

use std::fmt;

use serde_saphyr::Spanned;

use super::Vars;
use super::schema::{CheckSpec, CommandSpec, Scalar, Text};
use crate::expr::template;
use crate::ssh::{Remote, RemoteError};

/// Why a runbook value could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// A template failed: the text as written, and why.
    Template { text: String, error: template::RenderError },
    /// A port that renders to no port number.
    Port(String),
    /// A `host:` or `identity:` that is not one once rendered.
    Remote(RemoteError),
    /// A duration that does not parse.
    Duration { key: &'static str, reason: String },
    /// A command with neither `run` nor `shell` (the loader refuses it before this).
    NoCommand,
    /// A check with no probe (the loader refuses it before this).
    NoProbe,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Template { text, error } => write!(f, "{text:?}: {error}"),
            RenderError::Port(rendered) => write!(f, "port {rendered:?} is not a port number"),
            RenderError::Remote(error) => error.fmt(f),
            RenderError::Duration { key, reason } => write!(f, "{key}: {reason}"),
            RenderError::NoCommand => f.write_str("no command"),
            RenderError::NoProbe => f.write_str("the check has no probe"),
        }
    }
}

impl std::error::Error for RenderError {}

impl RenderError {
    /// The failure in words: how to give a variable without a value one, else what broke.
    pub fn explained(&self, vars: &Vars) -> String {
        match self {
            RenderError::Template { error, .. } => vars.explain(error).unwrap_or_else(|| self.to_string()),
            _ => self.to_string(),
        }
    }
}

impl From<RemoteError> for RenderError {
    fn from(error: RemoteError) -> Self {
        RenderError::Remote(error)
    }
}

impl From<RenderError> for crate::error::Error {
    fn from(err: RenderError) -> Self {
        crate::error::Error::runtime(err.to_string())
    }
}

/// A string of the runbook with its variables in.
pub fn render_text(text: &Text, vars: &Vars) -> Result<String, RenderError> {
    template::render(&template::environment(), &text.value, &vars.context())
        .map_err(|error| RenderError::Template { text: text.value.clone(), error })
}

/// A port, written bare (`8080`) or as a template.
pub fn render_port(port: &Spanned<Scalar>, vars: &Vars) -> Result<u16, RenderError> {
    let text = port.value.to_text();
    let rendered = template::render(&template::environment(), &text, &vars.context())
        .map_err(|error| RenderError::Template { text: text.clone(), error })?;
    rendered.trim().parse::<u16>().ok().filter(|p| *p > 0).ok_or(RenderError::Port(rendered))
}

/// The argv of a command: `run` rendered word by word (never through a shell), or `shell`
/// run as `sh -c` with every value passed as a positional parameter (see `runbook::shell`).
pub fn render_command(spec: &CommandSpec, vars: &Vars) -> Result<Vec<String>, RenderError> {
    match (&spec.run, &spec.shell) {
        (Some(argv), _) => {
            let mut words = Vec::new();
            for word in argv {
                match vars.list_word(&word.value) {
                    Some(items) => words.extend(items),
                    None => words.push(render_text(word, vars)?),
                }
            }
            Ok(words)
        }
        (None, Some(script)) => super::shell::render_shell(&script.value, &vars.context())
            .map_err(|error| RenderError::Template { text: script.value.clone(), error }),
        (None, None) => Err(RenderError::NoCommand),
    }
}

/// The host a check runs on through ssh, if it names one (`host:`, `port:`, `identity:`).
pub fn render_remote(check: &CheckSpec, vars: &Vars) -> Result<Option<Remote>, RenderError> {
    render_host(check.host.as_ref(), check.port.as_ref(), check.identity.as_ref(), vars)
}

/// A `host:` with its `port:` and `identity:` (of a check, an action or a step), rendered.
pub fn render_host(
    host: Option<&Text>,
    port: Option<&Spanned<Scalar>>,
    identity: Option<&Text>,
    vars: &Vars,
) -> Result<Option<Remote>, RenderError> {
    let Some(host) = host else { return Ok(None) };
    let port = port.map(|p| render_port(p, vars)).transpose()?;
    let identity = identity.map(|i| render_text(i, vars)).transpose()?;
    Ok(Some(Remote::new(render_text(host, vars)?, port, identity)?))
}

/// Whether an `if:` holds over the variables. An expression that cannot be evaluated is an
/// error with the reason, never quietly false: the caller makes the check `unknown` or stops.
pub fn condition_holds(condition: &Text, vars: &Vars) -> Result<bool, String> {
    template::eval_bool(&template::environment(), &condition.value, &vars.context())
        .map_err(|e| format!("if {:?} could not be evaluated: {e}", condition.value))
}
