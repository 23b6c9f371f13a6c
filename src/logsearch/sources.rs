//! What a search reads, from the names given: files, directories and globs (see [`files`]),
//! and sources named by prefix, read where they live:
//!
//! - `journal:UNIT` (or `journal:` for all units): the systemd journal, through journalctl;
//! - `container:NAME`: a Docker container's json-file logs, or `docker logs`;
//! - `pod:NAMESPACE/POD[/CONTAINER]`: a pod's CRI logs under /var/log/pods, or `kubectl logs`.
//!
//! A file that exists under a name with such a prefix is still that file.

use std::path::{Path, PathBuf};

use super::command::{self, CommandSource};
use super::container::layout::{self, Named, Resolved, Roots};
use super::journal::Journal;
use super::{Flow, Hit, Matcher, Options, Summary, Window, files};

/// The sources a search reads, and the names that came to nothing (with why).
#[derive(Debug, Default)]
pub struct Sources {
    pub files: Vec<PathBuf>,
    pub commands: Vec<CommandSource>,
    pub missing: Vec<(String, String)>,
}

impl Sources {
    /// Resolves each argument; `window` is pushed down to the commands that take one.
    pub fn resolve(args: &[String], roots: &Roots, window: Window) -> Sources {
        let mut sources = Sources::default();
        let mut plain = Vec::new();
        for arg in args {
            if Path::new(arg).exists() {
                plain.push(arg.clone());
            } else if let Some(units) = arg.strip_prefix("journal:") {
                let units = units.split(',').filter(|u| !u.is_empty()).map(str::to_string).collect();
                sources.commands.push(Journal { units, directory: None }.source(window));
            } else if let Some(named) = Named::parse(arg) {
                match named.and_then(|named| layout::resolve(&named, roots, window)) {
                    Ok(Resolved::Files(found)) => sources.files.extend(found),
                    Ok(Resolved::Command(source)) => sources.commands.push(source),
                    Err(why) => sources.missing.push((arg.clone(), why)),
                }
            } else {
                plain.push(arg.clone());
            }
        }
        let expanded = files::expand(&plain);
        sources.files.extend(expanded.files);
        sources.missing.extend(expanded.missing);
        sources
    }

    /// How many sources will be read (so that hits say which one they come from).
    pub fn len(&self) -> usize {
        self.files.len() + self.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Searches the files, then each command's output, as one search.
    pub fn search(&self, matcher: &Matcher, options: &Options, sink: &mut dyn FnMut(&Hit) -> Flow) -> Summary {
        let mut stopped = false;
        let mut summary = if self.files.is_empty() {
            Summary::default()
        } else {
            super::search(&self.files, matcher, options, &mut |hit| {
                let flow = sink(hit);
                stopped |= flow == Flow::Stop;
                flow
            })
        };
        for source in &self.commands {
            if stopped || summary.hit_max {
                break;
            }
            let mut options = options.clone();
            options.max = options.max.map(|max| max.saturating_sub(summary.matched));
            let found = command::search(source, command::TIME_LIMIT, matcher, &options, &mut |hit| {
                let flow = sink(hit);
                stopped |= flow == Flow::Stop;
                flow
            });
            summary.absorb(found);
        }
        summary
    }
}
