//! The Kubernetes runbooks against the kubectl stand-in (tests/fixtures/kubectl/kubectl) and,
//! for the volume figures, a real Prometheus scraping a loopback stand-in for the kubelet's
//! `/metrics`. Each is run healthy, broken the way its alerts describe, and with no cluster
//! answering (then nothing about the workload is judged).
#![allow(clippy::unwrap_used)]

use super::{check_of, check_with, hypotheses, status};
use crate::harness::daemons::Prometheus;
use crate::harness::{Env, Reply, Server};

/// The kubectl stand-in (tests/fixtures/kubectl/kubectl, first on PATH): it answers
/// `kubectl get KIND NAME -o json` from the fixture folder `cluster`, or, with `None`, as kubectl
/// does when no cluster answers (exit 1).
pub(super) fn kubectl_env(cluster: Option<&str>) -> Vec<(&'static str, String)> {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kubectl");
    let path = format!("{}:{}", fixtures.display(), std::env::var("PATH").unwrap_or_default());
    let cluster = cluster.map_or_else(|| fixtures.join("no-cluster"), |name| fixtures.join(name));
    vec![("PATH", path), ("KUBECTL_FIXTURES", cluster.display().to_string())]
}

#[test]
fn kube_pod_runbook_sees_crash_looping_from_the_pods_json() {
    let env = Env::new();
    let vars = [("namespace", "shop".to_string()), ("pod", "checkout-7d9f".to_string())];
    let (code, report) = check_with(&env, "kube-pod-crashlooping", &vars, &kubectl_env(Some("healthy")));
    assert_eq!(code, 0, "{report:#}");

    let (code, report) = check_with(&env, "kube-pod-crashlooping", &vars, &kubectl_env(Some("crashloop")));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(status(&report, "crashloop"), "critical");
    assert_eq!(status(&report, "restarts"), "warning", "14 restarts: {report:#}");
    assert_eq!(hypotheses(&report), ["crash_looping"]);
}

#[test]
fn kube_deployment_runbook_counts_the_replicas_missing() {
    let env = Env::new();
    let vars = [("namespace", "shop".to_string()), ("deployment", "checkout".to_string())];
    let (code, report) = check_with(&env, "kube-deployment-replicas", &vars, &kubectl_env(Some("healthy")));
    assert_eq!(code, 0, "{report:#}");

    let (code, report) = check_with(&env, "kube-deployment-replicas", &vars, &kubectl_env(Some("crashloop")));
    assert_eq!(code, 2, "{report:#}");
    let seen = &check_of(&report, "missing")["observed"]["extract"];
    assert_eq!((&seen["declared"], &seen["status"]["availableReplicas"]), (&3.into(), &1.into()), "{report:#}");
    assert_eq!(hypotheses(&report), ["replicas_missing"]);
}

/// What broke (issue 15): with no cluster answering, kubectl exits 1 and every check read
/// critical, so the hypotheses about the pods fired on an outage of the API. Each check that
/// reads the cluster says `unknown` through its `unknown_on:` (kubectl's own words), not by luck.
#[test]
fn kube_runbooks_with_no_cluster_answering_judge_nothing_about_the_workload() {
    let env = Env::new();
    for (runbook, name) in
        [("kube-pod-crashlooping", "pod"), ("kube-deployment-replicas", "deployment"), ("kube-node-not-ready", "node")]
    {
        let vars = [("namespace", "shop".to_string()), (name, "checkout".to_string())];
        let vars = if runbook == "kube-node-not-ready" { &vars[1..] } else { &vars[..] };
        let (_, report) = check_with(&env, runbook, vars, &kubectl_env(None));
        assert_eq!(status(&report, "api"), "critical", "{report:#}");
        for check in report["checks"].as_array().unwrap().iter().filter(|c| c["check"] != "api") {
            assert_eq!(
                (&check["status"], &check["reason"]),
                (&"unknown".into(), &"cannot_tell".into()),
                "{runbook}: {check:#}"
            );
        }
        assert_eq!(hypotheses(&report), ["cluster_unreachable"], "{runbook}");
    }
}

#[test]
fn kube_node_runbook_tells_a_silent_node_from_one_that_says_not_ready_and_one_under_pressure() {
    let env = Env::new();
    let node = |name: &str, cluster: &str| {
        check_with(&env, "kube-node-not-ready", &[("node", name.to_string())], &kubectl_env(Some(cluster)))
    };
    let (code, report) = node("worker-1", "healthy");
    assert_eq!(code, 0, "{report:#}");
    assert!(hypotheses(&report).is_empty());

    // Ready Unknown, "Kubelet stopped posting node status.": the node went quiet.
    let (code, report) = node("worker-1", "nodes-failing");
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(status(&report, "ready"), "critical");
    assert_eq!(check_of(&report, "ready")["observed"]["extract"]["reason"], "NodeStatusUnknown", "{report:#}");
    assert_eq!(hypotheses(&report), ["node_silent"], "{report:#}");

    // Ready False from the kubelet itself: the CNI plugin is not initialized.
    let (code, report) = node("worker-2", "nodes-failing");
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(hypotheses(&report), ["kubelet_not_ready"], "{report:#}");

    // Ready, but DiskPressure True, and cordoned by someone already.
    let (code, report) = node("worker-3", "nodes-failing");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!((status(&report, "ready"), status(&report, "pressure")), ("ok", "warning"));
    assert_eq!(status(&report, "cordoned"), "warning");
    assert_eq!(hypotheses(&report), ["under_pressure"], "{report:#}");
}

/// The kubelet's volume figures as its `/metrics` exposes them, for three claims of namespace
/// `shop` on 10 GiB volumes: `data-orders` steady at 80% free, `data-search` at 40% and losing
/// 50 MB a scrape, `data-metrics` at 2% (on a storage class that cannot expand). `scrape` is
/// how many scrapes came before.
fn kubelet_metrics(scrape: usize) -> String {
    let capacity: u64 = 10 * 1024 * 1024 * 1024;
    let search = (capacity * 2 / 5).saturating_sub(scrape as u64 * 50_000_000);
    let mut text = String::from(
        "# HELP kubelet_volume_stats_available_bytes [ALPHA] Number of available bytes in the volume\n\
         # TYPE kubelet_volume_stats_available_bytes gauge\n",
    );
    for (claim, available) in
        [("data-orders", capacity * 4 / 5), ("data-search", search), ("data-metrics", capacity / 50)]
    {
        let labels = format!("namespace=\"shop\",persistentvolumeclaim=\"{claim}\"");
        text.push_str(&format!("kubelet_volume_stats_available_bytes{{{labels}}} {available}\n"));
        text.push_str(&format!("kubelet_volume_stats_capacity_bytes{{{labels}}} {capacity}\n"));
        text.push_str(&format!("kubelet_volume_stats_inodes{{{labels}}} 655360\n"));
        text.push_str(&format!("kubelet_volume_stats_inodes_free{{{labels}}} 600000\n"));
    }
    text
}

#[test]
fn kube_pv_runbook_grades_the_kubelets_figures_and_whether_the_claim_can_grow() {
    let kubelet = Server::start(|_, scrape| Reply::new(200, &kubelet_metrics(scrape)));
    let Some(prometheus) = Prometheus::start(
        Some(kubelet.port),
        "kube_pv_runbook_grades_the_kubelets_figures_and_whether_the_claim_can_grow",
    ) else {
        return;
    };
    // predict_linear needs two samples of the falling claim.
    prometheus.wait_for(
        r#"count_over_time(kubelet_volume_stats_available_bytes{persistentvolumeclaim="data-search"}[1m]) >= 2"#,
    );
    let env = Env::new();
    let claim = |name: &str, cluster: Option<&str>| {
        let vars = [
            ("namespace", "shop".to_string()),
            ("persistentvolumeclaim", name.to_string()),
            ("prom_url", prometheus.url.clone()),
        ];
        check_with(&env, "kube-pv-filling", &vars, &kubectl_env(cluster))
    };

    let (code, report) = claim("data-orders", Some("healthy"));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(check_of(&report, "free")["observed"]["value"], 80.0, "{report:#}");

    let (code, report) = claim("data-search", Some("healthy"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!((status(&report, "free"), status(&report, "filling")), ("ok", "warning"), "{report:#}");
    assert_eq!(hypotheses(&report), ["volume_filling"]);

    let (code, report) = claim("data-metrics", Some("healthy"));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(status(&report, "free"), "critical");
    assert_eq!(check_of(&report, "claim")["observed"]["extract"]["storage_class"], "local-path");
    assert_eq!(status(&report, "expandable"), "warning", "local-path does not expand: {report:#}");
    assert_eq!(hypotheses(&report), ["volume_full", "cannot_expand"]);

    // No cluster: the claim cannot be read, but the kubelet's figures (from Prometheus) still can.
    let (_, report) = claim("data-metrics", None);
    assert_eq!(status(&report, "api"), "critical");
    assert_eq!((status(&report, "claim"), status(&report, "expandable")), ("unknown", "unknown"), "{report:#}");
    assert_eq!(status(&report, "free"), "critical");
    assert_eq!(hypotheses(&report), ["cluster_unreachable", "volume_full"], "{report:#}");
}

/// The expansion is refused by its guard on a storage class without `allowVolumeExpansion`, and
/// the dry run says so before anything is patched. The guard reads the claim's storage class from
/// the incident's latest `claim` result, as a responder who checked before acting has it.
#[test]
fn kube_pv_expand_is_guarded_by_the_storage_class_allowing_it() {
    for (claim, refused) in [("data-metrics", true), ("data-orders", false)] {
        let env = Env::new();
        let incident = |args: &[&str]| {
            let out = env.cmd().envs(kubectl_env(Some("healthy"))).args(args).output().unwrap();
            format!("{}{}", crate::harness::text(&out.stdout), crate::harness::text(&out.stderr))
        };
        let claim_var = format!("persistentvolumeclaim={claim}");
        incident(&[
            "open",
            "pv",
            "-s",
            "sev2",
            "--runbook",
            "kube-pv-filling",
            "--var",
            "namespace=shop",
            "--var",
            &claim_var,
        ]);
        incident(&["check", "kube-pv-filling", "--only", "claim"]);
        let said = incident(&["runbook", "act", "expand", "--dry-run", "--var", "new_size=20Gi"]);
        assert!(said.contains("guards:    expandable"), "the preview names the guard: {said}");
        assert_eq!(said.contains("would be refused"), refused, "{claim}: {said}");
        assert!(said.contains("not run"), "{said}");
    }
}
