//! Admission of widget hosts (see [`super::tickets`]): who gets a ticket or a claim code, who
//! may vouch for one, and which port it admits.

use super::{BackgroundCore, Caller, CallerKind, Handled};
use crate::protocol::bridge::{Reply, ToBackground};
use crate::service::data::{ContactSink, ContactSource, LogStore};
use crate::service::router::PassHolder;
use crate::service::Effect;

impl<C, L> BackgroundCore<C, L>
where
    C: ContactSource + ContactSink,
    L: LogStore,
{
    /// Answers the admission requests: [`ToBackground::WidgetTicket`], `ClaimCode`,
    /// `VouchForHost`, `Admit` and `Resume`.
    pub(super) fn handle_admission(&self, request: ToBackground, caller: &Caller) -> Handled {
        let now = (self.environment.now_ms)();
        let reply = match request {
            // Our own pages only: a content script lives in the page's tab, and what it holds
            // must never be a ticket (see `tickets`).
            ToBackground::WidgetTicket if caller.kind == CallerKind::ExtensionPage => {
                Reply::Ticket {
                    ticket: self.issue_ticket(),
                }
            }
            ToBackground::WidgetTicket => Reply::Error {
                message: "tickets are for crm-bridge's own pages".into(),
            },
            ToBackground::ClaimCode if caller.kind == CallerKind::ExtensionPage => {
                let code = (self.environment.random_token)();
                let offered =
                    self.tickets
                        .borrow_mut()
                        .offer_claim(code.clone(), caller.frame(), now);
                match offered {
                    true => Reply::ClaimCode { code },
                    false => Reply::Error {
                        message: "a widget host outside a tab's frame cannot be claimed".into(),
                    },
                }
            }
            ToBackground::VouchForHost { code } => {
                let site = caller.site.borrow().clone();
                let ok = caller.kind == CallerKind::ContentScript
                    && caller
                        .tab_id
                        .is_some_and(|tab| self.tickets.borrow_mut().vouch(&code, tab, site, now));
                Reply::Vouched { ok }
            }
            ToBackground::Admit { ticket } => return self.admit(&ticket, caller, now),
            ToBackground::Resume { pass } => {
                let holder = self.passes.borrow().get(&pass).cloned();
                let ok = caller.kind == CallerKind::ExtensionPage
                    && holder.as_ref().is_some_and(|h| h.tab == caller.tab_id);
                caller.admitted.set(ok);
                if ok {
                    *caller.site.borrow_mut() = holder.and_then(|h| h.site);
                }
                Reply::Admitted { ok, pass: None }
            }
            _ => Reply::Error {
                message: "not an admission request".into(),
            },
        };
        Handled {
            reply,
            effects: Vec::new(),
        }
    }

    /// Spends a ticket for this port; on success the port is admitted and gets a pass to
    /// resume with after the worker restarts.
    fn admit(&self, ticket: &str, caller: &Caller, now: f64) -> Handled {
        let admission = match caller.kind {
            CallerKind::ExtensionPage => {
                self.tickets.borrow_mut().admit(ticket, caller.frame(), now)
            }
            CallerKind::ContentScript => None,
        };
        let Some(admission) = admission else {
            return Handled {
                reply: Reply::Admitted {
                    ok: false,
                    pass: None,
                },
                effects: Vec::new(),
            };
        };
        let ok = true;
        caller.admitted.set(true);
        *caller.site.borrow_mut() = admission.site.clone();
        let pass = (self.environment.random_token)();
        let holder = PassHolder {
            tab: caller.tab_id,
            site: admission.site,
        };
        self.passes.borrow_mut().insert(pass.clone(), holder);
        Handled {
            reply: Reply::Admitted {
                ok,
                pass: Some(pass),
            },
            effects: vec![Effect::KeepPasses(self.passes.borrow().clone())],
        }
    }
}
