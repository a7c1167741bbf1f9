//! Tables in page evidence, sent compactly, and the walker's rescans sent as row patches.
//!
//! A CRM list is mostly one big table: 5,000 rows of six cells were 30,000 field objects that
//! each repeated their column's label and scope (2.5 MB of JSON, ≈50 ms of the page's main
//! thread just to serialise). The walker now sends each table with column headers once, its
//! rows as arrays of cell texts; [`PageEvidence::expanded`] turns them back into the scopes
//! and fields discovery reads, exactly as the walker used to write them.
//!
//! A rescan after a few cells changed sends only those rows ([`EvidenceDelta`]); the
//! background patches the evidence it kept of that page ([`PageEvidence::apply_delta`]) and
//! reads it again. When it kept none (the worker restarted, another page), the walker sends the
//! whole evidence again.

use super::evidence::{Field, PageEvidence, Scope, ScopeKind};
use serde::{Deserialize, Serialize};

/// A table with column headers, one entry per data row that had something to read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableEvidence {
    /// The scope the rows sit in (the page, or a card holding the table).
    pub parent: u32,
    /// Index its first row's scope has in the expanded scope list.
    pub scope_at: u32,
    /// Index its first row's first field has in the expanded field list.
    pub field_at: u32,
    /// The column headers' texts (the label of each column's cells).
    pub headers: Vec<String>,
    /// Its data rows, in document order.
    pub rows: Vec<RowEvidence>,
}

/// One data row: its heading and record link, and one entry per cell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowEvidence {
    /// Text of the row's first record link (usually the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// The row's first same-origin record link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Cells by column (`cellIndex`); trailing empty cells may be left out.
    pub cells: Vec<CellEvidence>,
}

/// What one cell holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CellEvidence {
    /// Plain text, labelled by its column ("" for an empty cell: no field).
    Text(String),
    /// Anything else (contact links, a control's value, text after them), in order; each
    /// field's label as given (the column's for phone links and values, none for mail links),
    /// its scope left out.
    Fields(Vec<Field>),
}

/// The rows a rescan found changed since the walker's last full evidence of the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceDelta {
    /// The full evidence this patches (the `scan` it was sent with).
    pub base: u64,
    /// The page's address (unchanged since that scan).
    pub url: String,
    /// The changed rows.
    pub rows: Vec<RowPatch>,
}

/// One changed row: its scope in the expanded evidence and what it holds now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowPatch {
    /// The row's scope index (as in the expanded evidence).
    pub scope: u32,
    /// The row as read now (no cells: it holds nothing to read any more).
    pub row: RowEvidence,
}

impl RowEvidence {
    /// How many fields the row expands to.
    fn field_count(&self) -> usize {
        self.cells
            .iter()
            .map(|cell| match cell {
                CellEvidence::Text(text) => usize::from(!text.is_empty()),
                CellEvidence::Fields(fields) => fields.len(),
            })
            .sum()
    }

    /// The row's fields, labelled by `headers`, pointing at `scope`.
    fn fields<'a>(&'a self, headers: &'a [String], scope: u32) -> impl Iterator<Item = Field> + 'a {
        self.cells
            .iter()
            .enumerate()
            .flat_map(move |(column, cell)| -> Vec<Field> {
                match cell {
                    CellEvidence::Text(text) if text.is_empty() => Vec::new(),
                    CellEvidence::Text(text) => vec![Field {
                        scope,
                        label: headers.get(column).cloned(),
                        text: text.clone(),
                        ..Field::default()
                    }],
                    CellEvidence::Fields(fields) => fields
                        .iter()
                        .map(|f| Field { scope, ..f.clone() })
                        .collect(),
                }
            })
    }
}

impl PageEvidence {
    /// Checks the tables fit the page's lists (in order, after the page scope, never past the
    /// end) and point at scopes; answers how many scopes and fields the evidence expands to.
    pub(super) fn check_tables(&self) -> Result<(usize, usize), String> {
        let (mut scopes, mut fields) = (self.scopes.len(), self.fields.len());
        // Rows and row fields of the tables so far, and where the last one ended.
        let (mut rows_before, mut row_fields_before) = (0usize, 0usize);
        let (mut next_scope, mut next_field) = (1usize, 0usize);
        for table in &self.tables {
            let (scope_at, field_at) = (table.scope_at as usize, table.field_at as usize);
            // In order, and the other scopes and fields it comes after all present.
            if scope_at < next_scope
                || scope_at - rows_before > self.scopes.len()
                || field_at < next_field
                || field_at - row_fields_before > self.fields.len()
            {
                return Err("page evidence: a table out of place".into());
            }
            let row_fields: usize = table.rows.iter().map(RowEvidence::field_count).sum();
            rows_before += table.rows.len();
            row_fields_before += row_fields;
            next_scope = scope_at + table.rows.len();
            next_field = field_at + row_fields;
            scopes += table.rows.len();
            fields += row_fields;
        }
        if let Some(bad) = self.tables.iter().find(|t| t.parent as usize >= scopes) {
            return Err(format!("a table's parent {} is not a scope", bad.parent));
        }
        Ok((scopes, fields))
    }

    /// The evidence with its tables turned into row scopes and fields at the places the walker
    /// gave them, as discovery reads it. Refuses tables that do not fit the page's lists.
    pub fn expanded(mut self) -> Result<PageEvidence, String> {
        let tables = std::mem::take(&mut self.tables);
        if tables.is_empty() {
            return Ok(self);
        }
        let rows: usize = tables.iter().map(|t| t.rows.len()).sum();
        let row_fields: usize = tables
            .iter()
            .flat_map(|t| &t.rows)
            .map(RowEvidence::field_count)
            .sum();
        let mut scopes = Vec::with_capacity(self.scopes.len() + rows);
        let mut fields = Vec::with_capacity(self.fields.len() + row_fields);
        let mut other_scopes = std::mem::take(&mut self.scopes).into_iter();
        let mut other_fields = std::mem::take(&mut self.fields).into_iter();
        for table in &tables {
            let (scope_at, field_at) = (table.scope_at as usize, table.field_at as usize);
            if scope_at < scopes.len() || field_at < fields.len() {
                return Err("page evidence: tables overlap".into());
            }
            while scopes.len() < scope_at {
                scopes.push(
                    other_scopes
                        .next()
                        .ok_or("page evidence: a table past the end")?,
                );
            }
            while fields.len() < field_at {
                fields.push(
                    other_fields
                        .next()
                        .ok_or("page evidence: a table past the end")?,
                );
            }
            for row in &table.rows {
                let scope = scopes.len() as u32;
                scopes.push(Scope {
                    kind: ScopeKind::Row,
                    parent: Some(table.parent),
                    heading: row.heading.clone(),
                    link: row.link.clone(),
                    item_type: None,
                });
                fields.extend(row.fields(&table.headers, scope));
            }
        }
        scopes.extend(other_scopes);
        fields.extend(other_fields);
        self.scopes = scopes;
        self.fields = fields;
        Ok(self)
    }

    /// Puts a rescan's changed rows into this (compact, as sent) evidence. Refuses a delta
    /// for another page or naming a row this evidence does not have: the walker then sends
    /// the whole page again.
    pub fn apply_delta(&mut self, delta: EvidenceDelta) -> Result<(), String> {
        if delta.url != self.url {
            return Err("the rescan is of another page".into());
        }
        let table_of = |scope: u32| {
            self.tables
                .iter()
                .position(|t| scope >= t.scope_at && scope < t.scope_at + t.rows.len() as u32)
                .ok_or_else(|| format!("no table row has scope {scope}"))
        };
        let places = delta
            .rows
            .iter()
            .map(|patch| table_of(patch.scope))
            .collect::<Result<Vec<_>, _>>()?;
        for (patch, at) in delta.rows.into_iter().zip(places) {
            let table = &mut self.tables[at];
            let row = &mut table.rows[(patch.scope - table.scope_at) as usize];
            let (before, after) = (row.field_count() as i64, patch.row.field_count() as i64);
            *row = patch.row;
            // Later tables' fields move by the change in this row's field count.
            for later in &mut self.tables[at + 1..] {
                later.field_at = (i64::from(later.field_at) + after - before).max(0) as u32;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::evidence::FieldSource;

    fn text(label: Option<&str>, text: &str, scope: u32) -> Field {
        Field {
            scope,
            label: label.map(str::to_string),
            text: text.into(),
            ..Field::default()
        }
    }

    /// A page with a heading field, one table of two rows, and a footer field after it.
    fn compact() -> PageEvidence {
        serde_json::from_str(
            r#"{"version":2,"url":"https://x.test/list","scopes":[{"kind":"page"},{"kind":"card","parent":0}],
            "fields":[{"scope":0,"text":"Contacts","source":"text","heading":true},{"scope":3,"text":"Footer card","source":"text"}],
            "tables":[{"parent":0,"scopeAt":1,"fieldAt":1,"headers":["Name","Phone"],"rows":[
              {"heading":"Ada","link":"https://x.test/c/1","cells":["Ada","030 1234567"]},
              {"heading":"Bo","cells":["",[{"label":"Phone","text":"call","source":"tel","href":"tel:+4930999"},{"label":"Phone","text":"030 999","source":"text"}]]}]}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn tables_expand_into_the_rows_and_fields_the_walker_used_to_send() {
        let expanded = compact().expanded().unwrap();
        assert_eq!(expanded.check(), Ok(()));
        let kinds: Vec<_> = expanded.scopes.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                ScopeKind::Page,
                ScopeKind::Row,
                ScopeKind::Row,
                ScopeKind::Card
            ]
        );
        assert_eq!(expanded.scopes[1].heading.as_deref(), Some("Ada"));
        assert_eq!(expanded.scopes[2].link, None);
        assert_eq!(expanded.fields[1], text(Some("Name"), "Ada", 1));
        assert_eq!(expanded.fields[2], text(Some("Phone"), "030 1234567", 1));
        assert_eq!(expanded.fields[3].source, FieldSource::Tel);
        assert_eq!(expanded.fields[3].href.as_deref(), Some("tel:+4930999"));
        assert_eq!(expanded.fields[4], text(Some("Phone"), "030 999", 2));
        // The card after the table keeps its own index (the walker numbered it after the rows).
        assert_eq!(expanded.fields[5], text(None, "Footer card", 3));
        assert!(expanded.tables.is_empty());
    }

    #[test]
    fn tables_that_do_not_fit_the_page_are_refused() {
        assert_eq!(
            compact().check(),
            Ok(()),
            "checked before expanding, counted expanded"
        );
        let mut past_the_end = compact();
        past_the_end.tables[0].field_at = 9;
        assert!(past_the_end.check().unwrap_err().contains("out of place"));
        assert!(past_the_end
            .expanded()
            .unwrap_err()
            .contains("past the end"));
        let mut overlapping = compact();
        let second = overlapping.tables[0].clone();
        overlapping.tables.push(second);
        assert!(overlapping.check().unwrap_err().contains("out of place"));
        assert!(overlapping.expanded().unwrap_err().contains("overlap"));
        let mut before_the_page = compact();
        before_the_page.tables[0].scope_at = 0;
        assert!(before_the_page.check().is_err());
        let mut orphan = compact();
        orphan.tables[0].parent = 9;
        assert!(orphan.check().unwrap_err().contains("parent 9"));
        let mut dangling = compact();
        dangling.fields[1].scope = 4; // 4 scopes once expanded: 0 to 3
        assert!(dangling.check().unwrap_err().contains("scope 4"));
    }

    #[test]
    fn a_delta_replaces_its_rows_and_moves_later_tables() {
        let mut page = compact();
        let mut second = page.tables[0].clone();
        second.scope_at = 3;
        second.field_at = 5;
        page.tables.push(second);
        let delta = EvidenceDelta {
            base: 7,
            url: page.url.clone(),
            rows: vec![RowPatch {
                scope: 2,
                row: RowEvidence {
                    heading: Some("Bo".into()),
                    link: None,
                    cells: vec![CellEvidence::Text("Bo Renamed".into())],
                },
            }],
        };
        page.apply_delta(delta).unwrap();
        assert_eq!(page.tables[1].field_at, 4, "the row lost a field");
        let expanded = page.expanded().unwrap();
        assert_eq!(expanded.check(), Ok(()));
        assert_eq!(expanded.fields[3], text(Some("Name"), "Bo Renamed", 2));
        assert_eq!(expanded.fields[4], text(Some("Name"), "Ada", 3));
    }

    #[test]
    fn a_delta_for_another_page_or_an_unknown_row_is_refused() {
        let mut page = compact();
        let other = EvidenceDelta {
            base: 1,
            url: "https://x.test/other".into(),
            rows: vec![],
        };
        assert!(page.apply_delta(other).is_err());
        let unknown = EvidenceDelta {
            base: 1,
            url: page.url.clone(),
            rows: vec![RowPatch {
                scope: 0,
                row: RowEvidence::default(),
            }],
        };
        assert!(page.apply_delta(unknown).unwrap_err().contains("scope 0"));
        let half = EvidenceDelta {
            base: 1,
            url: page.url.clone(),
            rows: vec![
                RowPatch {
                    scope: 1,
                    row: RowEvidence::default(),
                },
                RowPatch {
                    scope: 9,
                    row: RowEvidence::default(),
                },
            ],
        };
        assert!(page.apply_delta(half).is_err());
        assert_eq!(page, compact(), "nothing half-applied");
    }
}
