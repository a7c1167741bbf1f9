//! One small Rust entry per extension context, each started by a few lines of JS loader.

mod background;
mod bridge_client;
mod bulk_import;
mod census;
mod delivery;
mod discovery_client;
mod errors;
mod i18n;
mod left_out_text;
mod options;
mod options_all_sites;
mod options_contacts;
mod options_diagnostics;
mod options_logs;
mod options_recipe_preview;
mod options_ui;
mod options_webhook;
mod popup;
mod popup_import;
mod popup_store_notice;
mod popup_whole_list;
mod recipe_preview;
mod stored_settings;
mod synced_settings;
mod widget_host;
