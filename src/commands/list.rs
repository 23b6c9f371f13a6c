//! `incident list` and `incident use`.

use serde::Serialize;

use crate::cli::{ListArgs, UseArgs};
use crate::context::Context;
use crate::error::Result;
use crate::model::{Incident, Severity, Status};
use crate::output::table;
use crate::time;

#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    title: &'a str,
    severity: Severity,
    status: Status,
    current: bool,
    #[serde(with = "time::serde_ts::option")]
    opened: Option<chrono::DateTime<chrono::Utc>>,
    drill: bool,
}

pub fn run(ctx: &Context, args: &ListArgs) -> Result<u8> {
    // A damaged current pointer must not stop the listing that helps repair it.
    let current = ctx.store.current().ok().flatten().map(|d| d.id);
    let mut incidents: Vec<Incident> = Vec::new();
    for id in ctx.store.ids()? {
        match ctx.load_dir(ctx.store.dir(id.clone())) {
            Ok(loaded) => incidents.push(loaded.incident),
            Err(err) => ctx.out.warn(&format!("{id}: {err}")),
        }
    }
    incidents.retain(|i| args.all || i.is_open());
    // Newest first: the one you want at 3 a.m. is at the top.
    incidents.sort_by(|a, b| b.clocks.opened.cmp(&a.clocks.opened).then_with(|| b.id.cmp(&a.id)));
    let rows: Vec<Row> = incidents
        .iter()
        .map(|i| Row {
            id: &i.id,
            title: &i.title,
            severity: i.severity,
            status: i.status,
            current: current.as_ref().is_some_and(|c| c.as_str() == i.id),
            opened: i.clocks.opened,
            drill: i.drill,
        })
        .collect();
    if ctx.out.json {
        ctx.out.json_value(&rows)?;
        return Ok(0);
    }
    if rows.is_empty() {
        let what = if args.all { "No incidents" } else { "No open incidents" };
        ctx.out.info(&format!("{what} in {}.", ctx.store.root().display()));
        return Ok(0);
    }
    let mut t = table(&["", "ID", "Sev", "Status", "Opened (UTC)", "Title"], ctx.out.stdout_is_terminal);
    for row in &rows {
        let opened = row.opened.map(|o| time::format_table_ts(&o)).unwrap_or_default();
        let title = if row.drill { format!("{} [drill]", row.title) } else { row.title.to_string() };
        t.add_row(vec![
            if row.current { "*" } else { "" },
            row.id,
            row.severity.as_str(),
            row.status.as_str(),
            &opened,
            &title,
        ]);
    }
    ctx.out.data(&crate::output::render_table(&t))?;
    Ok(0)
}

pub fn use_incident(ctx: &Context, args: &UseArgs) -> Result<u8> {
    let dir = ctx.store.find(&args.id)?;
    let loaded = ctx.load_dir(dir)?;
    ctx.store.set_current(&loaded.dir.id)?;
    if ctx.out.json {
        ctx.out.json_line(&serde_json::json!({ "id": loaded.dir.id.as_str() }))?;
    } else {
        ctx.out.data(loaded.dir.id.as_str())?;
        let i = &loaded.incident;
        ctx.out.info(&format!("Now on {} ({}, {}): {}", i.id, i.severity, i.status, i.title));
    }
    Ok(0)
}
