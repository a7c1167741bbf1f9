// The demo CRM's single-page section: a pipeline of leads rendered from /api/contacts, navigated
// with history.pushState, like the SaaS CRMs discovery must follow. A lead's mobile number is
// shown only on its own (client-side rendered) page.
const root = document.getElementById('spa');
const state = { data: null };
const esc = (t) => String(t ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function render() {
  const id = location.pathname.split('/')[2];
  const lead = state.data.leads.find((l) => l.id === id);
  if (lead) {
    root.innerHTML = `<p class="crumbs"><a href="/app/" data-spa>Pipeline</a> / ${esc(lead.first)} ${esc(lead.last)}</p>
<section class="card"><h2>${esc(lead.first)} ${esc(lead.last)}</h2><dl><dt>Phone</dt><dd>${esc(lead.phone)}</dd>
<dt>Mobile</dt><dd>${esc(lead.mobile)}</dd><dt>Stage</dt><dd>${esc(lead.stage)}</dd></dl></section>`;
  } else {
    root.innerHTML = `<ul class="people">${state.data.leads.map((l) => `<li class="card person">
<a href="/app/${l.id}" data-spa>${esc(l.first)} ${esc(l.last)}</a><span>${esc(l.stage)}</span><span>${esc(l.phone)}</span></li>`).join('')}</ul>`;
  }
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-spa]');
  if (!link) return;
  event.preventDefault();
  history.pushState(null, '', link.getAttribute('href'));
  render();
});
addEventListener('popstate', render);
fetch('/api/contacts').then((r) => r.json()).then((data) => { state.data = data; render(); });
