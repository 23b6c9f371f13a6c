//! `--help` and the error for a missing command: what a person reads first, asserted whole so a
//! dropped command, a changed flag or a reworded exit-code contract shows up in review.

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, text};

/// `incident ARGS` with no store in the environment: clap prints an environment variable's value
/// in the help, and the temp store's path would change its wrapping from machine to machine.
fn help(env: &Env, args: &[&str]) -> String {
    let out = env.cmd().env_remove("INCIDENT_STORE").args(args).output().expect("ran");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn the_top_level_help_lists_every_command_and_global_flag() {
    let env = Env::new();
    snapshot!(&env, help(&env, &["--help"]), @r#"
        Incident response in the terminal: keep to the Observe-Orient-Decide-Act loop and leave a record.

        Every command that changes anything appends an event to the incident's timeline; every command that
        shows anything reads it back. Data goes to stdout, messages for people to stderr.

        Usage: incident [OPTIONS] <COMMAND>

        Commands:
          open         Declare an incident and make it current; prints its id
          use          Make another incident current
          list         List incidents (open ones unless --all)
          show         Show the current incident: status, roles, impact, hypotheses, follow-ups, clocks
          vars         The incident's runbook variables and where each came from; `vars set` changes them
          ack          Record that you are on it: the end of "time to acknowledge" (--at to back-date)
          status       Change the status
          severity     Change the severity
          role         Assign a role (commander, comms, scribe, or any other) to a person
          impact       Record the impact: when it started and ended, when it was detected, who was affected
          resolve      Resolve the incident
          update       Tell stakeholders where things stand: a drafted update, edited, recorded and sent
          observe      Record an observation (Observe)
          note         Record a note, optionally in a phase
          hypothesis   Raise, confirm, refute and list hypotheses (Orient)
          decide       Record a decision and why (Decide)
          act          Record an action done by hand (Act)
          run          Run a command, stream its output, and record it (Act)
          followup     Add, list, complete and export follow-up action items
          timeline     Print the timeline
          walk         Walk the Observe-Orient-Decide-Act loop on the current incident, interactively
          drill        Practise on a simulated failure: walk it yourself, or watch it played (--auto)
          postmortem   Write the blameless post-mortem (Markdown) from the timeline
          link         Record a link (dashboard, chat thread, ticket) for the post-mortem
          lint         Check the incident's text, or a Markdown file, for blameful language
          stats        Counts and clocks across the incidents in the store
          grep         Search logs by time: matching records in a window, counts, a histogram (Observe)
          check        Run a runbook's Observe checks and record the results (exit 0 ok, 1 warning, 2
                       critical, 3 unknown)
          probe        Run one ad-hoc check with the same engine and record (exit 0 ok, 1 warning, 2
                       critical, 3 unknown)
          runbook      List, show, lint and create runbooks; run one of their actions
          service      The service catalog (services/*.yaml): list, show and lint the services
          sync         Share the store through git: commit new events, fetch, merge timelines, push
          unify        Keep an incident opened on two machines at once (same id, offline) as one, on purpose
          receive      Receive Alertmanager's webhook: alerts open incidents and run their runbook's checks
          notify       Show and retry the notifications waiting in the outbox
          shell        Open your shell (bash or zsh) with every command typed recorded; `exit` comes back
          completions  Print shell completions
          man          Print the man page (roff)
          help         Print this message or the help of the given subcommand(s)

        Options:
              --store <DIR>
                  Where incidents live [default: nearest incident.toml's `store`, else
                  $XDG_DATA_HOME/incident]

                  [env: INCIDENT_STORE=]

          -i, --incident <ID>
                  The incident to act on: an id or an unambiguous prefix [default: the current one]

                  [env: INCIDENT_ID=]

              --json
                  Machine-readable output on stdout

              --color <WHEN>
                  When to use colour

                  [default: auto]
                  [possible values: auto, always, never]

              --at <TIME>
                  When the recorded event happened, if not now: 10m ago, 14:05, yesterday 14:05, 2026-11-22
                  14:05

          -q, --quiet
                  Print less on stderr

          -v, --verbose
                  Print more on stderr

          -h, --help
                  Print help (see a summary with '-h')

          -V, --version
                  Print version

        See the whole loop on a simulated failure first:
          incident drill bad-deploy --auto

        Quick start:
          incident open "Checkout returns 502s" -s sev2 --service checkout
          incident observe "5xx rate at 40% since 14:02"
          incident hypothesis add "The 13:58 deploy broke the payment client"
          incident run -- kubectl rollout history deploy/checkout
          incident hypothesis confirm H1 --evidence "errors began at the deploy"
          incident status mitigated
          incident resolve --summary "Rolled back the 13:58 deploy"
          incident timeline

        Environment:
          INCIDENT_STORE   where incidents live (like --store)
          INCIDENT_ID      the incident to act on (like -i)
          INCIDENT_AUTHOR  who is recording (default: git user.name, else $USER)
          INCIDENT_NOW     pin "now" (RFC 3339), for reproducible runs
          NO_COLOR         no colour, whatever the terminal

        Exit codes: 0 success, 1 runtime error, 2 usage error; `run` exits with its command's status.
        "#);
}

#[test]
fn check_help_states_the_exit_code_contract_and_its_flags() {
    let env = Env::new();
    snapshot!(&env, help(&env, &["check", "--help"]), @r#"
        Run a runbook's Observe checks and record the results (exit 0 ok, 1 warning, 2 critical, 3 unknown)

        Usage: incident check [OPTIONS] [RUNBOOK]

        Arguments:
          [RUNBOOK]  A runbook name or path [default: the incident's runbook]

        Options:
              --store <DIR>          Where incidents live [default: nearest incident.toml's `store`, else
                                     $XDG_DATA_HOME/incident] [env: INCIDENT_STORE=]
              --var <KEY=VALUE>      Set a runbook variable (repeatable)
          -i, --incident <ID>        The incident to act on: an id or an unambiguous prefix [default: the
                                     current one] [env: INCIDENT_ID=]
              --only <CHECK_ID>      Run only this check (repeatable)
              --json                 Machine-readable output on stdout
              --no-record            Do not record the results in the incident
              --color <WHEN>         When to use colour [default: auto] [possible values: auto, always,
                                     never]
              --concurrency <N>      How many checks run at once [default: the runbook's, else 8]
              --at <TIME>            When the recorded event happened, if not now: 10m ago, 14:05, yesterday
                                     14:05, 2026-11-22 14:05
              --deadline <DUR>       A deadline for the whole run: checks not finished by then are `unknown`
                                     [default: 2m]
          -q, --quiet                Print less on stderr
              --watch [<INTERVAL>]   Run the checks again every INTERVAL, showing each one's history and
                                     recording only changes of state, until all pass for --until-ok (or
                                     Ctrl-C)
              --until-ok <DUR>       With --watch: stop once every check has passed for this long [default:
                                     1m]
          -v, --verbose              Print more on stderr
              --give-up-after <DUR>  With --watch: stop after this long even if the checks never held (exit
                                     with the last run's worst state)
              --since-action         With --watch: log checks count only records since the incident's last
                                     action (a fix)
              --runbooks <DIR>       A folder of runbooks (*.yaml), searched first
          -h, --help                 Print help
        "#);
}

#[test]
fn update_help_says_where_the_text_comes_from_and_who_is_told() {
    let env = Env::new();
    snapshot!(&env, help(&env, &["update", "--help"]), @r#"
        Tell stakeholders where things stand: a drafted update, edited, recorded and sent

        Usage: incident update [OPTIONS]

        Options:
          -m, --message <TEXT>  The update's text, instead of the draft
              --store <DIR>     Where incidents live [default: nearest incident.toml's `store`, else
                                $XDG_DATA_HOME/incident] [env: INCIDENT_STORE=]
          -i, --incident <ID>   The incident to act on: an id or an unambiguous prefix [default: the current
                                one] [env: INCIDENT_ID=]
              --next <DUR>      When the next update is due, from now: 15m, 1h [default: 30m]
              --json            Machine-readable output on stdout
          -y, --yes             Send without an editor: what is piped in, else the draft as it is
              --color <WHEN>    When to use colour [default: auto] [possible values: auto, always, never]
              --dry-run         Print the draft (or --message) and send nothing [alias: --print]
              --at <TIME>       When the recorded event happened, if not now: 10m ago, 14:05, yesterday
                                14:05, 2026-11-22 14:05
          -q, --quiet           Print less on stderr
          -v, --verbose         Print more on stderr
          -h, --help            Print help

        The draft says what is known (confirmed causes, checks failing and recovered), the impact, what
        is being done (status, phase, the latest decision and action) and when the next update comes.

        Where the text comes from:
          --message TEXT   that text
          a pipe           standard input, when it is not a terminal (with --yes too)
          --yes            the draft as it is, when nothing is piped in
          otherwise        the draft, opened in $VISUAL or $EDITOR (else vi); save an empty file to
                           send nothing

        The update is recorded (update.posted) and sent to the [[notify]] webhooks of incident.toml.
        `incident show`, `incident list` and the walk then say when the next one is due, or by how
        long it is overdue; the post-mortem lists every update under Communications.

        Examples:
          incident update                  edit the draft, then send it
          incident update --print          see the draft; send nothing
          incident update --yes --next 1h  send the draft; the next in an hour
    "#);
}

#[test]
fn followup_export_help_names_the_trackers_what_they_need_and_the_exit_status() {
    let env = Env::new();
    snapshot!(&env, help(&env, &["followup", "export", "-h"]), @r#"
        Send action items to an issue tracker, or write them for one

        Usage: incident followup export [OPTIONS] --to <TRACKER> [ID]...

        Arguments:
          [ID]...  Which follow-ups: F1, ~[HANDLE], ...; default: every one not done

        Options:
              --store <DIR>        Where incidents live [default: nearest incident.toml's `store`, else
                                   $XDG_DATA_HOME/incident] [env: INCIDENT_STORE=]
              --to <TRACKER>       Where to: github, gitlab, jira-csv or json [possible values: github,
                                   gitlab, jira-csv, json]
          -i, --incident <ID>      The incident to act on: an id or an unambiguous prefix [default: the
                                   current one] [env: INCIDENT_ID=]
              --repo <OWNER/NAME>  The repository (github, gitlab): OWNER/NAME; default: the one the tool
                                   finds from the current directory
              --all                Done follow-ups too
              --json               Machine-readable output on stdout
              --color <WHEN>       When to use colour [default: auto] [possible values: auto, always, never]
              --label <LABEL>      Add this label to each issue or row (repeatable; on GitHub and GitLab it
                                   must exist)
              --assign             Assign each issue to its follow-up's owner (github, gitlab): owners must
                                   then be logins
              --at <TIME>          When the recorded event happened, if not now: 10m ago, 14:05, yesterday
                                   14:05, 2026-11-22 14:05
          -o, --output <FILE>      Write the CSV to this file instead of stdout (jira-csv)
          -q, --quiet              Print less on stderr
              --timeout <DUR>      How long each `gh`/`glab` run may take before it is ended [default: 60s]
          -v, --verbose            Print more on stderr
              --dry-run            Show what would be run or written; create, write and record nothing
          -h, --help               Print help (see more with '--help')

        GitHub and GitLab issues are created through their own tools, `gh` and `glab`, which must be on
        PATH and logged in (`gh auth login`, `glab auth login`): the account and its token stay with them.
        Each issue's URL is recorded on its follow-up (`followup.linked`); a follow-up already linked to
        an issue on that tracker is skipped, so exporting twice creates one issue. Jira gets a CSV file
        for its importer (Summary, Description, Assignee, Due date, Priority, Labels); `json` prints the
        follow-ups for scripts. Without IDs, every follow-up not done is exported (`--all`: done too).

        Examples:
          incident followup export --to github --repo acme/shop --dry-run   show the gh commands
          incident followup export --to github --repo acme/shop             create the issues
          incident followup export --to gitlab F2 F3 --label incident       two of them, labelled
          incident followup export --to jira-csv -o followups.csv           a file for Jira's import

        Exit status: 0 when every follow-up was exported or already linked; 1 when any failed (the rest
        are still exported and recorded; each failure is named with the tool's own words) or the tool is
        missing; 2 for a usage error.
    "#);
}

#[test]
fn no_command_is_a_usage_error_that_shows_the_usage() {
    let env = Env::new();
    let out = env.run(&[]);
    assert_eq!(out.status.code(), Some(2));
    snapshot!(&env, text(&out.stderr), @r#"
        error: 'incident' requires a subcommand but one was not provided
          [subcommands: open, use, list, show, vars, ack, status, severity, role, impact, resolve, update, observe, note, hypothesis, decide, act, run, followup, timeline, walk, drill, postmortem, link, lint, stats, grep, check, probe, runbook, service, sync, unify, receive, notify, shell, shell-record, merge-timeline, completions, man, help]

        Usage: incident [OPTIONS] <COMMAND>

        For more information, try '--help'.
        "#);
}
