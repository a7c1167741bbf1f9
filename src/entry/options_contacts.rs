//! The options page's contacts block under each site: how many contacts it has, import from a
//! CSV or vCard file with a progress bar and a row-by-row report, export as CSV or vCard.
//!
//! The file is read here with the core's parser (`contacts::exchange`), then sent to the worker
//! in chunks of one batch, kept whole or not at all: the bar moves as chunks are written, and a
//! failure leaves nothing half-imported (the same file can simply be imported again).

use super::bridge_client::BridgeClient;
use super::options_ui::{download, say, status_line};
use crate::contacts::exchange::{export_csv, export_vcards, import_file};
use crate::contacts::import_flow::{send_chunks, ChunkAnswer};
use crate::platform;
use crate::protocol::bridge::{ImportBatch, Reply, ToBackground};
use gloo::events::EventListener;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement};

/// Contacts per import request.
const CHUNK: usize = 2_000;
/// Import requests on their way at once (see `contacts::import_flow`).
const CHUNKS_IN_FLIGHT: usize = 2;
/// Problems listed under an import (the rest are counted).
const PROBLEMS_SHOWN: usize = 20;

/// Builds the block for `site` (the `index`-th listed); returns it and its count element,
/// which [`show_counts`] fills.
pub fn build(
    document: &Document,
    bridge: &Rc<BridgeClient>,
    index: usize,
    site: &str,
) -> Result<(Element, Element), JsValue> {
    let block = document.create_element("div")?;
    block.set_class_name("site-contacts");
    let count = document.create_element("span")?;
    count.set_id(&format!("contacts-count-{index}"));
    block.append_child(&count)?;

    let import = document.create_element("label")?;
    import.set_class_name("file");
    let import_text = document.create_element("span")?;
    import_text.set_text_content(Some(&platform::message("optionsImportContacts", &[])));
    let input: HtmlInputElement = document.create_element("input")?.dyn_into()?;
    input.set_type("file");
    input.set_id(&format!("import-contacts-{index}"));
    input.set_accept(".csv,.vcf,.txt,text/csv,text/vcard");
    import.append_child(&import_text)?;
    import.append_child(&input)?;
    block.append_child(&import)?;

    let mut exports = Vec::new();
    for (kind, key) in [("csv", "optionsExportCsv"), ("vcf", "optionsExportVcard")] {
        let button = document.create_element("button")?;
        button.set_attribute("type", "button")?;
        button.set_class_name("secondary");
        button.set_id(&format!("export-{kind}-{index}"));
        button.set_text_content(Some(&platform::message(key, &[])));
        block.append_child(&button)?;
        exports.push((kind, button));
    }
    let progress = document.create_element("progress")?;
    progress.set_id(&format!("import-progress-{index}"));
    progress.set_attribute("hidden", "")?;
    progress.set_attribute(
        "aria-label",
        &platform::message("optionsImportContacts", &[]),
    )?;
    block.append_child(&progress)?;
    let status = status_line(document, &format!("contacts-status-{index}"))?;
    block.append_child(&status)?;
    let problems = document.create_element("ul")?;
    problems.set_id(&format!("import-problems-{index}"));
    problems.set_class_name("problems");
    block.append_child(&problems)?;

    let site = site.to_owned();
    let on_import = ImportTarget {
        bridge: bridge.clone(),
        document: document.clone(),
        site: site.clone(),
        count: count.clone(),
        progress,
        status: status.clone(),
        problems,
    };
    let file_input = input.clone();
    EventListener::new(&input, "change", move |_| {
        let Some(file) = file_input.files().and_then(|files| files.get(0)) else {
            return;
        };
        file_input.set_value("");
        let target = on_import.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            let text = text.ok().and_then(|t| t.as_string()).unwrap_or_default();
            if let Err(err) = target.import(&text).await {
                say(&target.status, false, &err);
            }
        });
    })
    .forget();
    for (kind, button) in exports {
        let (bridge, document, site, status) = (
            bridge.clone(),
            document.clone(),
            site.clone(),
            status.clone(),
        );
        EventListener::new(&button, "click", move |_| {
            let (bridge, document, site, status) = (
                bridge.clone(),
                document.clone(),
                site.clone(),
                status.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let reply = bridge
                    .request(ToBackground::ExportContacts { site: site.clone() })
                    .await;
                match reply {
                    Ok(Reply::Contacts { contacts }) => {
                        let (text, mime) = match kind {
                            "csv" => (export_csv(&contacts), "text/csv"),
                            _ => (export_vcards(&contacts), "text/vcard"),
                        };
                        let name = format!("crm-bridge-contacts.{kind}");
                        if let Err(err) = download(&document, &text, mime, &name) {
                            say(&status, false, &format!("{err:?}"));
                        }
                    }
                    Ok(Reply::Error { message }) => say(&status, false, &message),
                    other => say(&status, false, &format!("{other:?}")),
                }
            });
        })
        .forget();
    }
    Ok((block, count))
}

#[derive(Clone)]
struct ImportTarget {
    bridge: Rc<BridgeClient>,
    document: Document,
    site: String,
    count: Element,
    progress: Element,
    status: Element,
    problems: Element,
}

impl ImportTarget {
    async fn import(&self, text: &str) -> Result<(), String> {
        let js = |e: JsValue| format!("{e:?}");
        let file = import_file(text);
        self.problems.set_text_content(None);
        for (row, problem) in file.problems.iter().take(PROBLEMS_SHOWN) {
            let item = self.document.create_element("li").map_err(js)?;
            item.set_text_content(Some(&platform::message(
                "optionsImportProblem",
                &[&row.to_string(), problem],
            )));
            self.problems.append_child(&item).map_err(js)?;
        }
        let total = file.contacts.len();
        self.progress.remove_attribute("hidden").map_err(js)?;
        self.progress
            .set_attribute("max", &total.max(1).to_string())
            .map_err(js)?;
        self.progress.set_attribute("value", "0").map_err(js)?;
        let progress = self.progress.clone();
        let batch = format!(
            "{}-{}",
            js_sys::Date::now(),
            (js_sys::Math::random() * 1e9) as u64
        );
        let parts = file.contacts.chunks(CHUNK).len();
        let outcome = send_chunks(
            file.contacts.chunks(CHUNK).enumerate(),
            CHUNKS_IN_FLIGHT,
            |(part, chunk)| {
                let answer = self.bridge.request(ToBackground::ImportContacts {
                    site: self.site.clone(),
                    contacts: chunk.to_vec(),
                    batch: Some(ImportBatch {
                        id: batch.clone(),
                        part: part as u32,
                        last: part + 1 == parts,
                    }),
                });
                async move {
                    match answer.await {
                        Ok(Reply::ImportWritten { count }) => Ok(ChunkAnswer::Written(count)),
                        Ok(Reply::Imported { count }) => Ok(ChunkAnswer::Kept(count)),
                        Ok(Reply::Error { message }) => Ok(ChunkAnswer::Refused(message)),
                        other => Err(format!("{other:?}")),
                    }
                }
            },
            |written| {
                let _ = progress.set_attribute("value", &written.to_string());
            },
        )
        .await?;
        self.finish(outcome.kept, total, &file.problems);
        match outcome.refused {
            Some(message) => Err(platform::message("optionsImportStopped", &[&message])),
            None => Ok(()),
        }
    }

    fn finish(&self, written: usize, total: usize, problems: &[(usize, String)]) {
        let _ = self.progress.set_attribute("value", &written.to_string());
        let _ = self.progress.set_attribute("hidden", "");
        if written == total {
            say(
                &self.status,
                problems.is_empty(),
                &platform::message(
                    "optionsImportDone",
                    &[&written.to_string(), &problems.len().to_string()],
                ),
            );
        }
        show_counts(&self.bridge, vec![(self.count.clone(), self.site.clone())]);
    }
}

/// Fills count elements (element, site) from one request for every site's count.
pub fn show_counts(bridge: &Rc<BridgeClient>, targets: Vec<(Element, String)>) {
    let bridge = bridge.clone();
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(Reply::ContactCounts { sites, last_read }) =
            bridge.request(ToBackground::ContactCounts).await
        {
            for (count, site) in targets {
                let n = sites.get(&site).copied().unwrap_or_default().to_string();
                let text = match last_read.get(&site) {
                    Some(&at) => {
                        let when = super::options_logs::local_time(at);
                        platform::message("optionsContactCountRead", &[&n, &when])
                    }
                    None => platform::message("optionsContactCount", &[&n]),
                };
                count.set_text_content(Some(&text));
                match last_read.get(&site) {
                    Some(at) => count.set_attribute("data-last-read", &at.to_string()),
                    None => count.remove_attribute("data-last-read"),
                }
                .ok();
            }
        }
    });
}
