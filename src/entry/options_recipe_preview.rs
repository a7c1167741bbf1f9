//! The options page's "Try it on the open tab" under a site's recipe: the recipe as typed (saved
//! or not) is tried on the site's open tab, and the page shows how many contacts it finds there
//! and the first of them, so a recipe is checked on a real page before it is saved.

use super::bridge_client::BridgeClient;
use super::options_ui::{say, status_line};
use crate::contacts::Contact;
use crate::platform;
use crate::protocol::bridge::{Reply, ToBackground};
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
    block.append_child(&button)?;
    block.append_child(&status)?;
    block.append_child(&list)?;
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
        let (document, bridge, status, list, button) = (
            document.clone(),
            bridge.clone(),
            status.clone(),
            list.clone(),
            clicked.clone(),
        );
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
                }) => {
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
