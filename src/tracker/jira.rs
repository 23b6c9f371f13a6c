//! Follow-ups as a CSV file for Jira's importer ("External system import" > CSV).
//!
//! One row per follow-up: Summary, Description, Assignee, Due date (`yyyy-MM-dd`, the format
//! to give the importer), Priority (Jira's default names) and Labels. Jira takes several values
//! of a field from several columns with the same name, so there are as many `Labels` columns as
//! the row with the most labels needs. A Jira label is one word: spaces become `-`.

use super::{Issue, jira_priority};
use crate::model::FollowUp;
use crate::secrets::Masker;

/// One follow-up as a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub summary: String,
    pub description: String,
    pub assignee: String,
    pub due: String,
    pub priority: String,
    pub labels: Vec<String>,
}

impl Row {
    /// Follow-up `f` of incident `incident_id` (`incident` is "id: title", for the
    /// description); labelled with its type, the incident's id, and `extra_labels`.
    pub fn new(f: &FollowUp, incident_id: &str, incident: &str, extra_labels: &[String], masker: &Masker) -> Row {
        let issue = Issue::from_followup(f, incident, masker);
        let mut labels: Vec<String> = Vec::new();
        for text in
            f.item_type.iter().map(String::as_str).chain([incident_id]).chain(extra_labels.iter().map(String::as_str))
        {
            let label = label(text);
            if !label.is_empty() && !labels.contains(&label) {
                labels.push(label);
            }
        }
        Row {
            summary: issue.title,
            description: issue.body,
            assignee: masker.mask(&f.owner),
            due: issue.due.unwrap_or_default(),
            priority: f.priority.map(jira_priority).unwrap_or_default().to_string(),
            labels,
        }
    }
}

/// `text` as one Jira label.
fn label(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join("-")
}

/// The CSV document: a header and one row per follow-up, quoted wherever a field needs it
/// (commas, quotes, line breaks).
pub fn csv(rows: &[Row]) -> Result<String, csv::Error> {
    let label_columns = rows.iter().map(|r| r.labels.len()).max().unwrap_or(0).max(1);
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let mut header = vec!["Summary", "Description", "Assignee", "Due date", "Priority"];
    header.extend(std::iter::repeat_n("Labels", label_columns));
    writer.write_record(&header)?;
    for row in rows {
        let mut record = vec![&row.summary, &row.description, &row.assignee, &row.due, &row.priority]
            .into_iter()
            .map(String::as_str)
            .collect::<Vec<_>>();
        record.extend((0..label_columns).map(|i| row.labels.get(i).map_or("", String::as_str)));
        writer.write_record(&record)?;
    }
    let bytes = writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_fewer_labels_fill_every_labels_column() {
        let row = |labels: &[&str]| Row {
            summary: "s".into(),
            description: "d".into(),
            assignee: "a".into(),
            due: String::new(),
            priority: String::new(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
        };
        let text = csv(&[row(&["x", "y"]), row(&["z"])]).unwrap();
        assert_eq!(
            text,
            "Summary,Description,Assignee,Due date,Priority,Labels,Labels\r\ns,d,a,,,x,y\r\ns,d,a,,,z,\r\n"
        );
    }

    #[test]
    fn a_label_is_one_word() {
        assert_eq!(label(" root cause  fix "), "root-cause-fix");
    }
}
