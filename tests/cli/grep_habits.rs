//! grep's own habits inside `incident grep`: -v, -w, -o, -l, -c and -A/-B/-C, all by record
//! (a timestamped line and the lines below it), not by line.

use crate::harness::{Env, text};

const LOG: &str = "\
2026-11-24 06:00:00 ERROR disk full
  at store.write(store.go:42)
2026-11-24 06:00:01 INFO ok
2026-11-24 06:00:02 WARN errors are many
2026-11-24 06:00:03 INFO done
";

/// Runs `incident grep ARGS` over app.log (and quiet.log); returns stdout and the exit code.
fn grep(args: &[&str]) -> (String, i32) {
    let env = Env::new();
    env.write("app.log", LOG);
    env.write("quiet.log", "2026-11-24 06:00:00 INFO nothing\n");
    let output = env.cmd().arg("grep").args(args).output().expect("run incident");
    (text(&output.stdout), output.status.code().unwrap_or(-1))
}

#[test]
fn dash_v_inverts_the_match_by_record_instead_of_asking_for_verbose_output() {
    let (out, code) = grep(&["-v", "INFO", "app.log"]);
    assert_eq!(
        out,
        "2026-11-24 06:00:00 ERROR disk full\n  at store.write(store.go:42)\n2026-11-24 06:00:02 WARN errors are many\n"
    );
    assert_eq!(code, 0);
    // In a cluster with -i and -c too.
    assert_eq!(grep(&["-vic", "info", "app.log"]), ("2\n".into(), 0));
}

#[test]
fn dash_w_matches_whole_words_only() {
    let (out, _) = grep(&["-w", "-i", "error", "app.log"]);
    assert_eq!(out, "2026-11-24 06:00:00 ERROR disk full\n  at store.write(store.go:42)\n");
}

#[test]
fn dash_o_prints_each_matching_part_on_its_own_line() {
    let (out, _) = grep(&["-o", "-i", "err[a-z]*", "app.log"]);
    assert_eq!(out, "ERROR\nerrors\n");
}

#[test]
fn dash_l_lists_each_file_with_a_match_once() {
    let (out, code) = grep(&["-l", "INFO", "app.log", "quiet.log"]);
    assert_eq!(out, "app.log\nquiet.log\n");
    assert_eq!(code, 0);
    assert_eq!(grep(&["-l", "WARN", "app.log", "quiet.log"]).0, "app.log\n");
}

#[test]
fn after_and_before_context_count_records_not_lines() {
    let (after, _) = grep(&["-A1", "ERROR", "app.log"]);
    assert_eq!(
        after,
        "2026-11-24 06:00:00 ERROR disk full\n  at store.write(store.go:42)\n2026-11-24 06:00:01 INFO ok\n"
    );
    let (before, _) = grep(&["-B", "1", "WARN", "app.log"]);
    assert_eq!(before, "2026-11-24 06:00:01 INFO ok\n2026-11-24 06:00:02 WARN errors are many\n");
}

#[test]
fn an_inverted_search_that_leaves_nothing_exits_one() {
    assert_eq!(grep(&["-v", "2026", "app.log"]), (String::new(), 1));
}
