//! `incident stats`: counts and clocks across the store, as medians and percentiles.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cli::StatsArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::Incident;
use crate::output::table;
use crate::postmortem::clocks::{CLOCKS, Reading, Summary, summarize};
use crate::time;

#[derive(Serialize)]
struct Stats {
    incidents: usize,
    by_severity: BTreeMap<String, usize>,
    by_status: BTreeMap<String, usize>,
    clocks: Vec<ClockStats>,
}

#[derive(Serialize)]
struct ClockStats {
    key: &'static str,
    name: &'static str,
    formula: String,
    /// `None` when no incident has both ends of this clock.
    #[serde(flatten)]
    summary: Option<Summary>,
    /// Incidents left out for a missing end.
    missing: usize,
    /// Incidents left out because the ends are recorded out of order (`when_out_of_order`).
    out_of_order: usize,
    #[serde(skip)]
    when_out_of_order: &'static str,
}

pub fn run(ctx: &Context, args: &StatsArgs) -> Result<u8> {
    let now = ctx.clock.now();
    let since = args
        .since
        .as_deref()
        .map(|d| {
            let d = time::parse_duration(d).map_err(|e| Error::usage(format!("--since: {e}")))?;
            chrono::Duration::from_std(d).map(|d| now - d).map_err(|_| Error::usage("--since: too long"))
        })
        .transpose()?;
    let mut incidents: Vec<Incident> = Vec::new();
    for id in ctx.store.ids()? {
        match ctx.load_dir(ctx.store.dir(id.clone())) {
            Ok(loaded) => incidents.push(loaded.incident),
            Err(err) => ctx.out.warn(&format!("{id}: {err}")),
        }
    }
    incidents.retain(|i| args.drills || !i.drill);
    incidents.retain(|i| since.is_none_or(|s| i.clocks.opened.is_some_and(|o| o >= s)));

    let mut by_severity = BTreeMap::new();
    let mut by_status = BTreeMap::new();
    for i in &incidents {
        *by_severity.entry(i.severity.to_string()).or_insert(0) += 1;
        *by_status.entry(i.status.to_string()).or_insert(0) += 1;
    }
    let clocks = CLOCKS
        .iter()
        .map(|clock| {
            let readings: Vec<Reading> = incidents.iter().map(|i| clock.read(i)).collect();
            let seconds: Vec<i64> = readings.iter().filter_map(|r| r.seconds).collect();
            let out_of_order = readings.iter().filter(|r| r.out_of_order).count();
            ClockStats {
                key: clock.key,
                name: clock.name,
                formula: clock.formula(),
                missing: readings.len() - seconds.len() - out_of_order,
                out_of_order,
                when_out_of_order: clock.when_out_of_order,
                summary: summarize(seconds),
            }
        })
        .collect();
    let stats = Stats { incidents: incidents.len(), by_severity, by_status, clocks };
    if ctx.out.json {
        ctx.out.json_value(&stats)?;
        return Ok(0);
    }
    let mut text = format!("{} incident(s)", stats.incidents);
    if let Some(s) = since {
        text.push_str(&format!(" opened since {} UTC", time::format_table_ts(&s)));
    }
    if !args.drills {
        text.push_str(", drills excluded");
    }
    let counts = |m: &BTreeMap<String, usize>| m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
    text.push_str(&format!(
        "\nby severity: {}\nby status:   {}\n\n",
        counts(&stats.by_severity),
        counts(&stats.by_status)
    ));
    let mut t = table(&["Clock", "Formula", "n", "Median", "p90", "Max", "Missing an end"], ctx.out.stdout_is_terminal);
    let human = |s: i64| time::format_duration(chrono::Duration::seconds(s));
    for c in &stats.clocks {
        let (n, median, p90, max) = match c.summary {
            Some(s) => (s.n.to_string(), human(s.median), human(s.p90), human(s.max)),
            None => ("0".into(), "—".into(), "—".into(), "—".into()),
        };
        t.add_row(vec![c.name.to_string(), c.formula.clone(), n, median, p90, max, c.missing.to_string()]);
    }
    text.push_str(&crate::output::render_table(&t));
    for c in stats.clocks.iter().filter(|c| c.out_of_order > 0) {
        text.push_str(&format!(
            "\n{}: {} incident(s) left out, {}; check their recorded times",
            c.name, c.out_of_order, c.when_out_of_order
        ));
    }
    ctx.out.data(&text)?;
    Ok(0)
}
