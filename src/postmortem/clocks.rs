//! The clocks of an incident, each named by its two ends and shown with its formula.
//! Never a bare "MTTR": a clock whose end is unknown is blank, with the reason.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::Incident;
use crate::time;

/// The ends a clock can run between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    ImpactStart,
    Detected,
    Acknowledged,
    Mitigated,
    Resolved,
    ImpactEnd,
    Opened,
}

impl End {
    pub fn label(self) -> &'static str {
        match self {
            End::ImpactStart => "impact start",
            End::Detected => "detected",
            End::Acknowledged => "acknowledged",
            End::Mitigated => "mitigated",
            End::Resolved => "resolved",
            End::ImpactEnd => "impact end",
            End::Opened => "opened",
        }
    }

    fn at(self, incident: &Incident) -> Option<DateTime<Utc>> {
        let c = &incident.clocks;
        match self {
            End::ImpactStart => c.impact_start,
            End::Detected => c.detected,
            End::Acknowledged => c.acknowledged,
            End::Mitigated => c.mitigated,
            End::Resolved => c.resolved,
            End::ImpactEnd => c.impact_end,
            End::Opened => c.opened,
        }
    }

    /// Why this end is unknown, and how to record it.
    fn missing_reason(self) -> &'static str {
        match self {
            End::ImpactStart => "impact start not recorded (`incident impact --start TIME`)",
            End::Detected => "detection time not recorded (`incident impact --detected-at TIME`)",
            End::Acknowledged => "no acknowledgement or responder event at or after detection (`incident ack`)",
            End::Mitigated => "not mitigated yet (`incident status mitigated`)",
            End::Resolved => "not resolved yet (`incident resolve`)",
            End::ImpactEnd => "impact end not recorded (`incident impact --end TIME`)",
            End::Opened => "the incident has no opening event",
        }
    }
}

/// A clock's definition.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// `time_to_detect`: the key in JSON.
    pub key: &'static str,
    pub name: &'static str,
    pub from: End,
    pub to: End,
    /// What it means when `to` is before `from`, shown instead of a value.
    pub when_out_of_order: &'static str,
}

/// The clocks of `design/postmortem.md`, in the order they are shown.
pub const CLOCKS: &[Clock] = &[
    Clock {
        key: "time_to_detect",
        name: "Time to detect",
        from: End::ImpactStart,
        to: End::Detected,
        when_out_of_order: "detected before the impact started",
    },
    Clock {
        key: "time_to_acknowledge",
        name: "Time to acknowledge",
        from: End::Detected,
        to: End::Acknowledged,
        when_out_of_order: "acknowledged before detection",
    },
    Clock {
        key: "time_to_mitigate",
        name: "Time to mitigate",
        from: End::ImpactStart,
        to: End::Mitigated,
        when_out_of_order: "mitigated before the impact started",
    },
    Clock {
        key: "time_to_resolve",
        name: "Time to resolve",
        from: End::ImpactStart,
        to: End::Resolved,
        when_out_of_order: "resolved before the impact started",
    },
    Clock {
        key: "impact_duration",
        name: "Impact duration",
        from: End::ImpactStart,
        to: End::ImpactEnd,
        when_out_of_order: "the impact ended before it started",
    },
    Clock {
        key: "incident_duration",
        name: "Incident duration",
        from: End::Opened,
        to: End::Resolved,
        when_out_of_order: "resolved before it was opened",
    },
];

/// One clock measured on one incident.
#[derive(Debug, Clone, Serialize)]
pub struct Reading {
    pub key: &'static str,
    pub name: &'static str,
    /// `mitigated − impact start`
    pub formula: String,
    #[serde(with = "time::serde_ts::option")]
    pub from: Option<DateTime<Utc>>,
    #[serde(with = "time::serde_ts::option")]
    pub to: Option<DateTime<Utc>>,
    /// The ends as tables show them (`2026-11-22 14:05:00`), empty when unknown.
    pub from_utc: String,
    pub to_utc: String,
    /// `None` when an end is unknown or the ends are out of order: never a negative figure.
    pub seconds: Option<i64>,
    /// `1h 12m`, `n/a` when the ends are out of order, or empty when unknown.
    pub value: String,
    /// `to` is recorded before `from`: the times need checking, and the clock has no value.
    pub out_of_order: bool,
    /// Why it is blank, or what is odd about it.
    pub note: Option<String>,
}

impl Clock {
    /// `mitigated − impact start`
    pub fn formula(&self) -> String {
        format!("{} − {}", self.to.label(), self.from.label())
    }

    pub fn read(&self, incident: &Incident) -> Reading {
        let (from, to) = (self.from.at(incident), self.to.at(incident));
        let formula = self.formula();
        let out_of_order = matches!((from, to), (Some(from), Some(to)) if to < from);
        let (seconds, value, note) = match (from, to) {
            _ if out_of_order => {
                let note = format!("{}; check the recorded times", self.when_out_of_order);
                (None, "n/a".to_string(), Some(note))
            }
            (Some(from), Some(to)) => (Some((to - from).num_seconds()), time::format_duration(to - from), None),
            (None, _) => (None, String::new(), Some(self.from.missing_reason().to_string())),
            (_, None) => (None, String::new(), Some(self.to.missing_reason().to_string())),
        };
        let utc = |t: Option<DateTime<Utc>>| t.map(|t| time::format_table_ts(&t)).unwrap_or_default();
        Reading {
            key: self.key,
            name: self.name,
            formula,
            from,
            to,
            from_utc: utc(from),
            to_utc: utc(to),
            seconds,
            value,
            out_of_order,
            note,
        }
    }
}

/// Every clock of an incident.
pub fn read_all(incident: &Incident) -> Vec<Reading> {
    CLOCKS.iter().map(|c| c.read(incident)).collect()
}

/// Data lost or restored, held to its disaster-recovery targets: the recovery point reached
/// against the RPO, the recovery time against the RTO.
#[derive(Debug, Clone, Serialize)]
pub struct Recovery {
    pub lost: Option<String>,
    /// `2026-11-22 08:00:00`, or empty when not recorded.
    pub recovery_point: String,
    /// Data lost: `impact start − recovery point`, as a value; empty when an end is unknown.
    pub data_window: String,
    pub rpo: String,
    /// `met`, `missed`, or empty when either side is unknown.
    pub rpo_verdict: String,
    /// Recovery time: `mitigated − impact start`.
    pub recovery_time: String,
    pub rto: String,
    pub rto_verdict: String,
}

/// The data-loss block, when data loss was recorded.
pub fn recovery(incident: &Incident) -> Option<Recovery> {
    let loss = incident.impact.data_loss.as_ref()?;
    let c = &incident.clocks;
    let span = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| match (from, to) {
        (Some(from), Some(to)) if to >= from => Some((to - from).num_seconds()),
        _ => None,
    };
    let human = |s: i64| time::format_duration(chrono::Duration::seconds(s));
    let verdict = |actual: Option<i64>, target: Option<u64>| match (actual, target) {
        (Some(actual), Some(target)) if actual <= target as i64 => "met".to_string(),
        (Some(_), Some(_)) => "missed".to_string(),
        _ => String::new(),
    };
    let window = span(loss.recovery_point, c.impact_start);
    let recovery_time = span(c.impact_start, c.mitigated);
    Some(Recovery {
        lost: loss.lost.clone(),
        recovery_point: loss.recovery_point.map(|t| time::format_table_ts(&t)).unwrap_or_default(),
        data_window: window.map(human).unwrap_or_default(),
        rpo: loss.rpo_seconds.map(|s| human(s as i64)).unwrap_or_default(),
        rpo_verdict: verdict(window, loss.rpo_seconds),
        recovery_time: recovery_time.map(human).unwrap_or_default(),
        rto: loss.rto_seconds.map(|s| human(s as i64)).unwrap_or_default(),
        rto_verdict: verdict(recovery_time, loss.rto_seconds),
    })
}

/// Median, p90 and max of a sample, by nearest rank (no interpolation: every figure is a real
/// incident's). `None` for an empty sample.
pub fn summarize(mut seconds: Vec<i64>) -> Option<Summary> {
    if seconds.is_empty() {
        return None;
    }
    seconds.sort_unstable();
    let rank = |p: f64| {
        let index = ((p * seconds.len() as f64).ceil() as usize).clamp(1, seconds.len()) - 1;
        seconds[index]
    };
    Some(Summary { n: seconds.len(), median: rank(0.5), p90: rank(0.9), max: seconds[seconds.len() - 1] })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub median: i64,
    pub p90: i64,
    pub max: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_over_real_values() {
        assert_eq!(summarize(vec![]), None);
        assert_eq!(summarize(vec![60]), Some(Summary { n: 1, median: 60, p90: 60, max: 60 }));
        let s = summarize((1..=10).rev().collect()).expect("a summary");
        assert_eq!((s.n, s.median, s.p90, s.max), (10, 5, 9, 10));
        let skewed = summarize(vec![300, 600, 900, 86_400]).expect("a summary");
        assert_eq!((skewed.median, skewed.max), (600, 86_400));
    }
}
