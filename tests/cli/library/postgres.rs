//! The PostgreSQL runbooks against a real primary and streaming replica from Debian's packages
//! (harness/daemons.rs): replication lag, the primary down, and the promote action's guard,
//! which must refuse a server that is not in recovery (GitLab, 2017: the command meant for the
//! replica ran on the primary). Promotion is only ever previewed (`--dry-run`).
#![allow(clippy::unwrap_used)]

use super::{check, check_of, hypotheses, status};
use crate::harness::Env;
use crate::harness::daemons::Postgres;

fn postgres_vars(pg: &Postgres, max_lag_bytes: u64) -> Vec<(&'static str, String)> {
    vec![
        ("primary_port", pg.primary.to_string()),
        ("replica_port", pg.replica.to_string()),
        ("max_lag_bytes", max_lag_bytes.to_string()),
    ]
}

#[test]
fn postgres_runbook_sees_replication_lag_and_then_the_primary_down() {
    let Some(mut pg) = Postgres::start("postgres_runbook_sees_replication_lag_and_then_the_primary_down") else {
        return;
    };
    let env = Env::new();
    let (code, report) = check(&env, "postgres-replication", &postgres_vars(&pg, 1_000_000));
    assert_eq!(code, 0, "a replica that streams and replays: {report:#}");

    // Replay paused on the replica while the primary writes: received but not replayed.
    pg.psql(pg.replica, "select pg_wal_replay_pause()");
    pg.psql(pg.primary, "create table filler as select generate_series(1, 200000) as n");
    let (code, report) = check(&env, "postgres-replication", &postgres_vars(&pg, 1_000_000));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(status(&report, "replay_lag"), "critical", "{report:#}");
    let said = check_of(&report, "replay_lag")["summary"].as_str().unwrap();
    assert!(said.starts_with("lag ") && said.ends_with(" >= 1.0 MB"), "the lag in bytes, readable: {said}");
    assert_eq!(status(&report, "replay_paused"), "warning");
    assert_eq!(status(&report, "streaming"), "ok");
    assert_eq!(hypotheses(&report), ["replica_lagging"]);

    pg.kill_primary();
    let (code, report) = check(&env, "postgres-replication", &postgres_vars(&pg, 1_000_000));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(status(&report, "primary"), "critical");
    assert_eq!(status(&report, "replica"), "ok", "the replica still answers, in recovery");
    assert!(hypotheses(&report).contains(&"primary_down".to_string()), "{report:#}");
    assert!(!hypotheses(&report).contains(&"replica_detached".to_string()), "a dead primary is not a detached replica");
}

/// `runbook act ACTION --runbook RUNBOOK --dry-run --var ...`: what the responder reads.
fn dry_run(env: &Env, runbook: &str, action: &str, vars: &[(&str, String)]) -> String {
    let mut cmd = env.cmd();
    cmd.args(["runbook", "act", action, "--runbook", runbook, "--dry-run"]);
    for (name, value) in vars {
        cmd.args(["--var", &format!("{name}={value}")]);
    }
    let out = cmd.output().unwrap();
    format!("{}{}", crate::harness::text(&out.stdout), crate::harness::text(&out.stderr))
}

#[test]
fn promote_is_refused_when_the_server_named_as_replica_is_the_primary() {
    let Some(pg) = Postgres::start("promote_is_refused_when_the_server_named_as_replica_is_the_primary") else {
        return;
    };
    let env = Env::new();
    for (runbook, port_var) in [("postgres-replication", "replica_port"), ("db-primary-down", "replica_port")] {
        let base: Vec<(&str, String)> = if runbook == "db-primary-down" {
            vec![
                ("primary_host", "127.0.0.1".into()),
                ("replica_host", "127.0.0.1".into()),
                ("port", pg.primary.to_string()),
            ]
        } else {
            vec![("primary_port", pg.primary.to_string())]
        };
        let with = |port: u16| [base.clone(), vec![(port_var, port.to_string())]].concat();

        let said = dry_run(&env, runbook, "promote_replica", &with(pg.primary));
        assert!(said.contains("guards:"), "{runbook}: the preview names its guard: {said}");
        assert!(said.contains("would be refused"), "{runbook}: the primary is not in recovery: {said}");

        let said = dry_run(&env, runbook, "promote_replica", &with(pg.replica));
        assert!(!said.contains("would be refused"), "{runbook}: {said}");
        assert!(
            said.contains(&format!("|{}|t", pg.replica)),
            "{runbook}: the preview shows the server, in recovery: {said}"
        );
        assert!(said.contains("not run"), "{said}");
    }
    assert_eq!(pg.psql(pg.replica, "select pg_is_in_recovery()").trim(), "t", "a dry run promotes nothing");
}

#[test]
fn db_primary_down_runbook_is_quiet_with_both_up_and_suggests_failover_once_the_primary_dies() {
    let Some(mut pg) = Postgres::start("db_primary_down_runbook_is_quiet_with_both_up") else { return };
    let env = Env::new();
    let vars = [
        ("primary_host", "127.0.0.1".to_string()),
        ("replica_host", "127.0.0.1".to_string()),
        ("port", pg.primary.to_string()),
        ("replica_port", pg.replica.to_string()),
    ];
    let (code, report) = check(&env, "db-primary-down", &vars);
    assert_eq!(code, 0, "an idle, caught-up replica has no lag: {report:#}");
    assert!(hypotheses(&report).is_empty());

    pg.kill_primary();
    let (code, report) = check(&env, "db-primary-down", &vars);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!((status(&report, "primary_port"), status(&report, "primary_ready")), ("critical", "critical"));
    assert_eq!((status(&report, "replica_ready"), status(&report, "replica_is_standby")), ("ok", "ok"), "{report:#}");
    assert_eq!(check_of(&report, "replica_lag")["observed"]["stdout"].as_str().unwrap().trim(), "0");
    assert_eq!(hypotheses(&report), ["primary_lost"]);
}
