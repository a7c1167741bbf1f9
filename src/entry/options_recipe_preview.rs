//! The options page's "Try it on the open tab" under a site's recipe: the recipe as typed (saved
//! or not) is tried on the site's open tab, and the page shows how many contacts it finds there
//! and the first of them, so a recipe is checked on a real page before it is saved.

use super::bridge_client::BridgeClient;
use super::options_ui::{say, status_line};
use crate::contacts::Contact;
use crate::platform;
use crate::protocol::bridge::{Reply, ToBackground};
use crate::protocol::evidence::{LeftOut, Unplaced};
use gloo::events::EventListener;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlButtonElement, HtmlTextAreaElement};

/// Adds the button, its status line and the list of found contacts to `parent`.
pub fn build(
    document: &Document,
    parent: &Element,
    bridge: &Rc<BridgeClient>,
    index: usize,
    site: &str,
    recipe: &HtmlTextAreaElement,
) -> Result<(), JsValue> {
    let block = document.create_element("div")?;
    block.set_class_name("recipe-preview");
    let button: HtmlButtonElement = document.create_element("button")?.dyn_into()?;
    button.set_type("button");
    button.set_class_name("secondary");
    button.set_id(&format!("preview-recipe-{index}"));
    button.set_text_content(Some(&platform::message("optionsRecipePreview", &[])));
    let status = status_line(document, &format!("recipe-preview-{index}"))?;
    let list = document.create_element("ul")?;
    list.set_id(&format!("recipe-preview-list-{index}"));
    list.set_attribute("aria-labelledby", &format!("recipe-preview-{index}"))?;
    // Why the page's other numbers are not lines to call (page text never goes in here).
    let left_out = document.create_element("p")?;
    left_out.set_id(&format!("recipe-preview-left-{index}"));
    left_out.set_class_name("help");
    left_out.toggle_attribute_with_force("hidden", true)?;
    block.append_child(&button)?;
    block.append_child(&status)?;
    block.append_child(&list)?;
    block.append_child(&left_out)?;
    parent.append_child(&block)?;

    let (document, bridge, site, recipe) = (
        document.clone(),
        bridge.clone(),
        site.to_owned(),
        recipe.clone(),
    );
    let clicked = button.clone();
    EventListener::new(&button, "click", move |_| {
        let request = ToBackground::PreviewRecipe {
            site: site.clone(),
            recipe: recipe.value(),
        };
        let (document, bridge, status, list, button, left) = (
            document.clone(),
            bridge.clone(),
            status.clone(),
            list.clone(),
            clicked.clone(),
            left_out.clone(),
        );
        let _ = left.toggle_attribute_with_force("hidden", true);
        button.set_disabled(true);
        let _ = status.remove_attribute("data-kind");
        status.set_text_content(Some(&platform::message("optionsRecipePreviewBusy", &[])));
        list.set_text_content(None);
        wasm_bindgen_futures::spawn_local(async move {
            match bridge.request(request).await {
                Ok(Reply::RecipePreview {
                    url,
                    found,
                    contacts,
                    unplaced,
                    left_out,
                }) => {
                    show_left_out(&left, unplaced.as_ref(), left_out.as_ref());
                    let text = match found {
                        0 => platform::message("optionsRecipePreviewNone", &[&url]),
                        n => {
                            platform::message("optionsRecipePreviewFound", &[&n.to_string(), &url])
                        }
                    };
                    say(&status, found > 0, &text);
                    for contact in &contacts {
                        if let Ok(item) = document.create_element("li") {
                            // Page text: shown as text, never as markup.
                            item.set_text_content(Some(&describe(contact)));
                            let _ = list.append_child(&item);
                        }
                    }
                }
                Ok(Reply::Error { message }) => say(&status, false, &message),
                other => say(&status, false, &format!("{other:?}")),
            }
            button.set_disabled(false);
        });
    })
    .forget();
    Ok(())
}

/// What the page's other numbers were: without a country the guess could not read, or left
/// out for a reason; hidden when there were none.
fn show_left_out(element: &Element, unplaced: Option<&Unplaced>, left_out: Option<&LeftOut>) {
    let mut lines: Vec<String> = Vec::new();
    if let Some(unplaced) = unplaced {
        let assumed = unplaced
            .assumed_region
            .clone()
            .unwrap_or_else(|| platform::message("popupNoRegion", &[]));
        let count = unplaced.numbers.to_string();
        lines.push(platform::message(
            "optionsPreviewUnplaced",
            &[&count, &assumed],
        ));
    }
    if let Some(left_out) = left_out {
        let reasons = super::left_out_text::reason_lines(left_out);
        if !reasons.is_empty() {
            let reasons: Vec<String> = reasons.into_iter().map(|(_, line)| line).collect();
            lines.push(platform::message(
                "optionsPreviewLeftOut",
                &[&reasons.join("; ")],
            ));
        }
    }
    element.set_text_content(Some(&lines.join(" ")));
    let _ = element.toggle_attribute_with_force("hidden", lines.is_empty());
}

/// One found contact in a line: name, company, numbers as the page showed them, e-mail.
fn describe(contact: &Contact) -> String {
    let mut parts = vec![contact.name.clone()];
    parts.extend(contact.company.clone().filter(|c| !c.is_empty()));
    parts.extend(contact.phone_numbers.iter().map(|p| {
        let shown = p.display.as_deref().unwrap_or(&p.phone_number);
        format!("{shown} ({})", p.phone_type)
    }));
    parts.extend(contact.emails.iter().cloned());
    parts.join(" · ")
}
