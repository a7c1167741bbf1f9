// The demo CRM's single-page section: renders records from /api/contacts and navigates with
// history.pushState, like the SaaS CRMs discovery must follow.
const root = document.getElementById('spa');
const state = { data: null };
const esc = (t) => String(t ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function render() {
  const id = location.pathname.split('/')[2];
  const { contacts, companies } = state.data;
  const person = contacts.find((p) => p.id === id);
  if (person) {
    const company = companies.find((c) => c.id === person.company);
    root.innerHTML = `<p class="crumbs"><a href="/app/" data-spa>Pipeline</a> / ${esc(person.first)} ${esc(person.last)}</p>
<section class="card"><h2>${esc(person.first)} ${esc(person.last)}</h2><dl><dt>Phone</dt><dd>${esc(person.phone)}</dd>
<dt>Company</dt><dd>${esc(company.name)}</dd><dt>Stage</dt><dd>Proposal</dd></dl></section>`;
  } else {
    root.innerHTML = `<ul class="people">${contacts.slice(0, 6).map((p) => `<li class="card person">
<a href="/app/${p.id}" data-spa>${esc(p.first)} ${esc(p.last)}</a><span>Proposal</span><span>${esc(p.phone)}</span></li>`).join('')}</ul>`;
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
