//! `incident list` and `incident use`.

use serde::Serialize;

use crate::cli::{ListArgs, UseArgs};
use crate::context::Context;
use crate::error::Result;
use crate::model::{Incident, Severity, Status, UpdateDue};
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
    /// When the next stakeholder update is due (`incident update`), while open.
    #[serde(with = "time::serde_ts::option", skip_serializing_if = "Option::is_none")]
    next_update: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip)]
    update_due: Option<UpdateDue>,
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
    let now = ctx.clock.now();
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
            next_update: i.next_update,
            update_due: i.update_due(now),
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
    // The column only when an update was promised: most stores never post one.
    let updates = rows.iter().any(|r| r.update_due.is_some());
    let mut header = vec!["", "ID", "Sev", "Status", "Opened (UTC)"];
    if updates {
        header.push("Next update (UTC)");
    }
    header.push("Title");
    let mut t = table(&header, ctx.out.stdout_is_terminal);
    for row in &rows {
        let opened = row.opened.map(|o| time::format_table_ts(&o)).unwrap_or_default();
        let title = if row.drill { format!("{} [drill]", row.title) } else { row.title.to_string() };
        let mut cells = vec![
            if row.current { "*" } else { "" }.to_string(),
            row.id.to_string(),
            row.severity.as_str().to_string(),
            row.status.as_str().to_string(),
            opened,
        ];
        if updates {
            cells.push(row.update_due.map(|due| due.brief()).unwrap_or_default());
        }
        cells.push(title);
        t.add_row(cells);
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
