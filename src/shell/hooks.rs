//! The rc files that turn the responder's shell into a recording one: their own rc first, then
//! hooks that report each command typed, as typed, to `incident shell-record` once it finished
//! (so a shell killed mid-command loses only that command), and the incident in the prompt.

use crate::process::shell_quote;

/// What the hooks need to know; every value is quoted into the rc, never spliced raw.
pub struct Hooks<'a> {
    /// This program, as the hooks call it back.
    pub program: &'a str,
    /// The directory `incident shell` started in: the hooks run from there, so the store is
    /// found as it was (an `incident.toml` above it, say).
    pub home: &'a str,
    pub incident: &'a str,
    /// Shown before the responder's own prompt: `[ID phase] `.
    pub prompt: &'a str,
}

impl Hooks<'_> {
    /// The call back into this program, from the variables both shells' hooks set. Its input
    /// is not the terminal's: it must not read keys meant for the shell.
    fn report(&self) -> String {
        format!(
            "( cd {home} 2>/dev/null; exec {program} -i {id} shell-record --status \"$__incident_exit\" \
             --started \"$__incident_start\" --finished \"$__incident_end\" --cwd \"$__incident_cwd\" \
             -- \"$__incident_line\" ) </dev/null",
            home = shell_quote(self.home),
            program = shell_quote(self.program),
            id = shell_quote(self.incident),
        )
    }

    /// For `bash --rcfile`: a DEBUG trap notes the first command of each typed line (its text
    /// from history, its start and directory), PROMPT_COMMAND reports it with its status.
    pub fn bash(&self) -> String {
        format!(
            r#"# Written by `incident shell`: your own ~/.bashrc, then the hooks that record each command.
if [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
# Every line goes to history, where the hooks read it as typed.
HISTCONTROL=
HISTIGNORE=
set -o history
__incident_armed=
__incident_line=
__incident_preexec() {{
    [ -n "$__incident_armed" ] || return 0
    # An empty line runs nothing: the first thing the trap sees is the prompt's own command.
    [ "$BASH_COMMAND" = __incident_status ] && return 0
    __incident_armed=
    __incident_line=$(HISTTIMEFORMAT= builtin history 1)
    __incident_line=${{__incident_line#*[0-9][* ] }}
    __incident_start=$EPOCHREALTIME
    __incident_cwd=$PWD
}}
__incident_status() {{
    __incident_exit=$?
    __incident_end=$EPOCHREALTIME
    __incident_armed=
}}
__incident_precmd() {{
    if [ -n "$__incident_line" ]; then
        {report}
        __incident_line=
    fi
    __incident_armed=1
}}
trap '__incident_preexec' DEBUG
PROMPT_COMMAND="__incident_status${{PROMPT_COMMAND:+; $PROMPT_COMMAND}}; __incident_precmd"
PS1={prompt}"$PS1"
"#,
            report = self.report(),
            prompt = shell_quote(self.prompt),
        )
    }

    /// `.zshenv` in the ZDOTDIR we give zsh: the responder's own, then ours points zsh at our
    /// `.zshrc`.
    pub fn zshenv(&self, ours: &str) -> String {
        format!(
            r#"# Written by `incident shell`.
__incident_zdotdir=${{INCIDENT_USER_ZDOTDIR:-$HOME}}
[[ -f $__incident_zdotdir/.zshenv ]] && ZDOTDIR=$__incident_zdotdir source $__incident_zdotdir/.zshenv
ZDOTDIR={ours}
"#,
            ours = shell_quote(ours)
        )
    }

    /// `.zshrc`: the responder's own, then preexec and precmd hooks (precmd first, to see `$?`).
    pub fn zshrc(&self) -> String {
        format!(
            r#"# Written by `incident shell`: your own .zshrc, then the hooks that record each command.
ZDOTDIR=$__incident_zdotdir
[[ -f $ZDOTDIR/.zshrc ]] && source $ZDOTDIR/.zshrc
[[ $ZDOTDIR == $HOME && -z $INCIDENT_USER_ZDOTDIR ]] && unset ZDOTDIR
zmodload zsh/datetime
__incident_line=
__incident_preexec() {{
    __incident_line=$1
    __incident_start=$EPOCHREALTIME
    __incident_cwd=$PWD
}}
__incident_precmd() {{
    local __incident_exit=$? __incident_end=$EPOCHREALTIME
    if [[ -n $__incident_line ]]; then
        {report}
        __incident_line=
    fi
}}
typeset -ga preexec_functions precmd_functions
preexec_functions+=(__incident_preexec)
precmd_functions=(__incident_precmd $precmd_functions)
PROMPT={prompt}"$PROMPT"
"#,
            report = self.report(),
            prompt = shell_quote(self.prompt.replace('%', "%%").as_str()),
        )
    }
}
