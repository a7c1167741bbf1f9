//! Contacts in and out as files: CSV (any spreadsheet or CRM export) and vCard (address books),
//! so a user can seed the phone book from a CRM that cannot be read from its pages, and take
//! it out again.
//!
//! Import never half-guesses: columns are found by their header (in several languages), each
//! row that cannot become a contact is reported with its row number and the reason, and the
//! rest are imported. Ids come from an id column, or from the row's name and first number, so
//! importing the same file again replaces instead of duplicating.

use crate::contacts::{Contact, ContactPhone};
use crate::phone::match_key;

/// At most this many rows are read from one file.
pub const MAX_ROWS: usize = 200_000;

/// What a file gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    /// The contacts read.
    pub contacts: Vec<Contact>,
    /// Rows (1-based, the header is row 1) or cards that were skipped, and why.
    pub problems: Vec<(usize, String)>,
}

/// Reads a CSV or vCard file (told apart by its content).
pub fn import_file(text: &str) -> Imported {
    let text = text.trim_start_matches('\u{feff}');
    if text
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("BEGIN:VCARD")
    {
        import_vcards(text)
    } else {
        import_csv(text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    Id,
    Name,
    First,
    Last,
    Phone(&'static str),
    Email,
    Company,
    Title,
    Record,
    Other,
}

fn column_of(header: &str) -> Column {
    let h = crate::contacts::search::fold(header.trim());
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if has(&["fax"]) {
        Column::Phone("fax")
    } else if has(&[
        "mobil", "cell", "handy", "movil", "portable", "celular", "携帯",
    ]) {
        Column::Phone("mobile")
    } else if has(&["phone", "tel", "fon", "numero", "number", "电话", "電話"]) {
        Column::Phone(if has(&["home", "privat", "casa", "domicile"]) {
            "home"
        } else if has(&["work", "office", "business", "buro", "trabajo", "bureau"]) {
            "business"
        } else {
            "other"
        })
    } else if has(&["mail"]) {
        Column::Email
    } else if has(&["first", "vorname", "prenom", "nombre de pila", "given"]) {
        Column::First
    } else if has(&["last", "nachname", "surname", "family", "apellido"]) {
        Column::Last
    } else if has(&[
        "company",
        "organi",
        "account",
        "firma",
        "empresa",
        "societe",
        "unternehmen",
    ]) {
        Column::Company
    } else if has(&["title", "position", "role", "titel", "cargo", "poste"]) {
        Column::Title
    } else if has(&["url", "link", "record"]) {
        Column::Record
    } else if h == "id" || has(&["contact id", "record id", "external id", "uid"]) {
        Column::Id
    } else if has(&[
        "name", "nom", "nombre", "kontakt", "contact", "名前", "姓名", "имя",
    ]) {
        Column::Name
    } else {
        Column::Other
    }
}

/// Reads CSV: the first row is the header; `,`, `;` or tab, whichever the header uses most.
pub fn import_csv(text: &str) -> Imported {
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = [',', ';', '\t']
        .into_iter()
        .max_by_key(|d| header_line.matches(*d).count())
        .unwrap_or(',');
    let mut rows = csv_rows(text, delimiter).into_iter();
    let Some(header) = rows.next() else {
        return Imported {
            problems: vec![(1, "the file is empty".into())],
            ..Default::default()
        };
    };
    let columns: Vec<Column> = header.iter().map(|h| column_of(h)).collect();
    let mut imported = Imported::default();
    if !columns
        .iter()
        .any(|c| matches!(c, Column::Name | Column::First | Column::Last))
        && !columns.iter().any(|c| matches!(c, Column::Phone(_)))
    {
        imported.problems.push((
            1,
            "no column is named like a name or a phone number (e.g. \"Name\", \"Phone\")".into(),
        ));
        return imported;
    }
    for (index, row) in rows.enumerate().take(MAX_ROWS) {
        let number = index + 2;
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let mut contact = Contact::default();
        let (mut first, mut last) = (String::new(), String::new());
        for (column, cell) in columns.iter().zip(&row) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            match column {
                Column::Id => contact.id = cell.to_owned(),
                Column::Name => contact.name = cell.to_owned(),
                Column::First => first = cell.to_owned(),
                Column::Last => last = cell.to_owned(),
                Column::Phone(kind) => {
                    for part in cell.split(['\n', '|']) {
                        add_phone(&mut contact, part, kind);
                    }
                }
                Column::Email => contact.emails.extend(
                    cell.split([';', ' ', '\n'])
                        .filter(|e| e.contains('@'))
                        .map(str::to_owned),
                ),
                Column::Company => contact.company = Some(cell.to_owned()),
                Column::Title => contact.job_title = Some(cell.to_owned()),
                Column::Record => contact.record_url = Some(cell.to_owned()),
                Column::Other => {}
            }
        }
        if contact.name.is_empty() {
            contact.name = format!("{first} {last}").trim().to_owned();
        }
        finish(contact, number, &mut imported);
    }
    imported
}

fn add_phone(contact: &mut Contact, raw: &str, kind: &str) {
    let raw = raw.trim();
    if match_key(raw).len() >= 3 {
        contact.phone_numbers.push(ContactPhone {
            phone_number: raw.to_owned(),
            phone_type: kind.to_owned(),
            display: None,
        });
    }
}

/// Checks a read contact and gives it a stable id, or records why it was skipped.
fn finish(mut contact: Contact, number: usize, imported: &mut Imported) {
    if contact.name.is_empty() && contact.phone_numbers.is_empty() {
        imported
            .problems
            .push((number, "no name and no phone number".into()));
        return;
    }
    if contact.name.chars().count() > 300 {
        imported
            .problems
            .push((number, "the name is longer than 300 characters".into()));
        return;
    }
    if contact.name.is_empty() {
        contact.name = contact.phone_numbers[0].phone_number.clone();
    }
    if contact.id.is_empty() {
        let digits = contact
            .phone_numbers
            .first()
            .map(|p| match_key(&p.phone_number))
            .unwrap_or_default();
        contact.id = format!("file:{}:{digits}", contact.name.to_lowercase());
    }
    imported.contacts.push(contact);
}

/// RFC 4180 rows: quoted cells may hold delimiters, quotes (`""`) and line breaks.
fn csv_rows(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => cell.push(c),
            }
        } else if c == '"' && cell.is_empty() {
            quoted = true;
        } else if c == delimiter {
            row.push(std::mem::take(&mut cell));
        } else if c == '\n' || c == '\r' {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            row.push(std::mem::take(&mut cell));
            rows.push(std::mem::take(&mut row));
        } else {
            cell.push(c);
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// Reads vCards (2.1, 3.0, 4.0): FN/N, TEL with TYPE, EMAIL, ORG, TITLE, UID, URL.
pub fn import_vcards(text: &str) -> Imported {
    // Unfold: a line starting with a space or tab continues the previous one.
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        match (line.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some(previous)) => previous.push_str(rest),
            _ => lines.push(line.to_owned()),
        }
    }
    let mut imported = Imported::default();
    let mut card: Option<Contact> = None;
    let mut cards = 0;
    for line in lines {
        let Some((head, value)) = line.split_once(':') else {
            continue;
        };
        let mut params = head.split(';');
        let name = params.next().unwrap_or_default().to_ascii_uppercase();
        let name = name.rsplit('.').next().unwrap_or_default(); // "item1.TEL"
        let params: String = params.collect::<Vec<_>>().join(";").to_ascii_lowercase();
        let value = unescape(value.trim());
        match name {
            "BEGIN" => card = Some(Contact::default()),
            "END" => {
                cards += 1;
                if let Some(contact) = card.take() {
                    finish(contact, cards, &mut imported);
                }
                if cards >= MAX_ROWS {
                    break;
                }
            }
            _ => {
                let Some(contact) = card.as_mut() else {
                    continue;
                };
                match name {
                    "FN" => contact.name = value,
                    "N" if contact.name.is_empty() => {
                        let parts: Vec<&str> = value.split(';').collect();
                        let given = parts.get(1).copied().unwrap_or_default();
                        let family = parts.first().copied().unwrap_or_default();
                        contact.name = format!("{given} {family}").trim().to_owned();
                    }
                    "TEL" => {
                        let kind = if params.contains("fax") {
                            "fax"
                        } else if params.contains("cell") || params.contains("mobile") {
                            "mobile"
                        } else if params.contains("home") {
                            "home"
                        } else if params.contains("work") {
                            "business"
                        } else {
                            "other"
                        };
                        add_phone(contact, value.trim_start_matches("tel:"), kind);
                    }
                    "EMAIL" => contact.emails.push(value),
                    "ORG" => contact.company = Some(value.replace(';', " ").trim().to_owned()),
                    "TITLE" => contact.job_title = Some(value),
                    "UID" => contact.id = value,
                    "URL" => contact.record_url = Some(value),
                    _ => {}
                }
            }
        }
    }
    imported
}

fn unescape(value: &str) -> String {
    value
        .replace("\\n", " ")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
}

/// Contacts as CSV with a header; cells with delimiters, quotes or line breaks are quoted, and
/// cells a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) get a leading `'`.
pub fn export_csv(contacts: &[Contact]) -> String {
    let mut out = String::from("Id,Name,Company,Title,Phone,Phone type,Email,Record URL\r\n");
    for c in contacts.iter().filter(|c| !c.deleted) {
        let phones: Vec<&str> = c
            .phone_numbers
            .iter()
            .map(|p| p.phone_number.as_str())
            .collect();
        let types: Vec<&str> = c
            .phone_numbers
            .iter()
            .map(|p| p.phone_type.as_str())
            .collect();
        let cells = [
            c.id.as_str(),
            &c.name,
            c.company.as_deref().unwrap_or_default(),
            c.job_title.as_deref().unwrap_or_default(),
            &phones.join(" | "),
            &types.join(" | "),
            &c.emails.join("; "),
            c.record_url.as_deref().unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV cell: quoted when needed, and defused when a spreadsheet would run it as a formula
/// (the text came from web pages and callers, so it is hostile).
pub fn csv_cell(cell: &str) -> String {
    // A phone number's leading "+" stays: it is data, and "+1 206…" is not a formula once quoted
    // as text by the leading apostrophe rule only when it is not a number.
    let formula =
        cell.starts_with(['=', '@', '-']) || (cell.starts_with('+') && match_key(cell).len() < 3);
    let cell = if formula {
        format!("'{cell}")
    } else {
        cell.to_owned()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// Contacts as vCard 3.0.
pub fn export_vcards(contacts: &[Contact]) -> String {
    let escape = |v: &str| {
        v.replace('\\', "\\\\")
            .replace(',', "\\,")
            .replace(';', "\\;")
            .replace('\n', "\\n")
    };
    let mut out = String::new();
    for c in contacts.iter().filter(|c| !c.deleted) {
        out.push_str("BEGIN:VCARD\r\nVERSION:3.0\r\n");
        out.push_str(&format!(
            "UID:{}\r\nFN:{}\r\n",
            escape(&c.id),
            escape(&c.name)
        ));
        for p in &c.phone_numbers {
            let kind = match p.phone_type.as_str() {
                "mobile" => "CELL",
                "home" => "HOME",
                "fax" => "FAX",
                "business" => "WORK",
                _ => "VOICE",
            };
            out.push_str(&format!("TEL;TYPE={kind}:{}\r\n", escape(&p.phone_number)));
        }
        for e in &c.emails {
            out.push_str(&format!("EMAIL:{}\r\n", escape(e)));
        }
        if let Some(org) = &c.company {
            out.push_str(&format!("ORG:{}\r\n", escape(org)));
        }
        if let Some(title) = &c.job_title {
            out.push_str(&format!("TITLE:{}\r\n", escape(title)));
        }
        if let Some(url) = &c.record_url {
            out.push_str(&format!("URL:{}\r\n", escape(url)));
        }
        out.push_str("END:VCARD\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_are_found_by_header_in_several_languages() {
        let file = "\u{feff}Vorname;Nachname;Firma;Mobil;Telefon (Büro);E-Mail\n\
                    Jürgen;Müller;Acme GmbH;0171 1234567;030 1234567;j.mueller@acme.de\n";
        let imported = import_file(file);
        assert!(imported.problems.is_empty(), "{:?}", imported.problems);
        let c = &imported.contacts[0];
        assert_eq!(c.name, "Jürgen Müller");
        assert_eq!(c.company.as_deref(), Some("Acme GmbH"));
        assert_eq!(c.phone_numbers[0].phone_type, "mobile");
        assert_eq!(c.phone_numbers[1].phone_type, "business");
        assert_eq!(c.emails, vec!["j.mueller@acme.de"]);
    }

    #[test]
    fn quoted_cells_and_bad_rows_are_handled_row_by_row() {
        let file = "Name,Phone,Notes\r\n\
                    \"Lee, Marcus\",+1 206 555 0147,\"said \"\"call me\"\"\nlater\"\r\n\
                    ,,only notes\r\n\
                    \r\n\
                    Ava,+12065550134,\r\n";
        let imported = import_csv(file);
        assert_eq!(imported.contacts.len(), 2);
        assert_eq!(imported.contacts[0].name, "Lee, Marcus");
        assert_eq!(
            imported.problems,
            vec![(3, "no name and no phone number".into())]
        );
        let again = import_csv(file);
        assert_eq!(
            imported.contacts[1].id, again.contacts[1].id,
            "the same row gets the same id (a re-import replaces)"
        );
    }

    #[test]
    fn a_file_without_usable_columns_says_so() {
        let imported = import_csv("foo,bar\n1,2\n");
        assert!(imported.contacts.is_empty());
        assert!(imported.problems[0].1.contains("no column"));
    }

    #[test]
    fn vcards_are_read_and_written() {
        let file = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c-1\r\nN:Roe;Jane;;;\r\n\
                    TEL;TYPE=CELL:+1 650 555 0100\r\nTEL;TYPE=WORK,VOICE:+1 650 555 0199\r\n\
                    EMAIL:jane@example.com\r\nORG:Example\\, Inc.;Sales\r\nEND:VCARD\r\n\
                    BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:empty\r\nEND:VCARD\r\n";
        let imported = import_file(file);
        assert_eq!(imported.contacts.len(), 1);
        assert_eq!(
            imported.problems,
            vec![(2, "no name and no phone number".into())]
        );
        let jane = &imported.contacts[0];
        assert_eq!((jane.id.as_str(), jane.name.as_str()), ("c-1", "Jane Roe"));
        assert_eq!(jane.phone_numbers[1].phone_type, "business");
        assert_eq!(jane.company.as_deref(), Some("Example, Inc. Sales"));
        let back = import_vcards(&export_vcards(&imported.contacts));
        assert_eq!(back.contacts[0].phone_numbers, jane.phone_numbers);
        assert_eq!(back.contacts[0].name, "Jane Roe");
    }

    #[test]
    fn csv_export_round_trips_and_defuses_formulas() {
        let contacts = vec![Contact {
            id: "1".into(),
            name: "=HYPERLINK(\"http://evil\")".into(),
            company: Some("Acme, Inc.".into()),
            phone_numbers: vec![ContactPhone {
                phone_number: "+1 206 555 0147".into(),
                phone_type: "mobile".into(),
                display: None,
            }],
            ..Default::default()
        }];
        let csv = export_csv(&contacts);
        assert!(
            csv.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
            "{csv}"
        );
        let back = import_csv(&csv);
        assert_eq!(back.contacts[0].company.as_deref(), Some("Acme, Inc."));
        assert_eq!(
            back.contacts[0].phone_numbers[0].phone_number,
            "+1 206 555 0147"
        );
    }
}
