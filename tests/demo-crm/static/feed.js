// The demo CRM's feed (server.mjs feedPage): rows appear 30 at a time as the box is scrolled
// to its end or "Load more" is pressed, or, as a virtual list, only the rows in view exist.
const box = document.getElementById('feed-box');
const body = document.getElementById('feed');
const people = JSON.parse(document.getElementById('feed-data').textContent);
const more = document.currentScript.dataset.more;
const ROW_PX = 33;
const esc = (t) => String(t ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const row = (p) => `<tr><td><a href="/people/${p.id}">${esc(p.name)}</a></td><td>${esc(p.phone)}</td><td>${esc(p.email)}</td></tr>`;

if (more === 'virtual') {
  // Only the rows in view (and a few more), between two spacers that keep the scroll height.
  const render = () => {
    const first = Math.max(0, Math.floor(box.scrollTop / ROW_PX) - 3);
    const last = Math.min(people.length, first + Math.ceil(box.clientHeight / ROW_PX) + 6);
    const spacer = (rows) => `<tr aria-hidden="true"><td colspan="3" style="height:${rows * ROW_PX}px;padding:0;border:0"></td></tr>`;
    body.innerHTML = `${spacer(first)}${people.slice(first, last).map(row).join('')}${spacer(people.length - last)}`;
  };
  box.addEventListener('scroll', render, { passive: true });
  render();
} else {
  let shown = 0;
  let pending = false;
  const grow = () => {
    if (pending) return;
    pending = true;
    // A moment's delay, as a server round trip would take.
    setTimeout(() => {
      pending = false;
      body.insertAdjacentHTML('beforeend', people.slice(shown, shown + 30).map(row).join(''));
      shown = Math.min(people.length, shown + 30);
      const button = document.getElementById('load-more');
      if (button && shown >= people.length) button.remove();
    }, 150);
  };
  grow();
  if (more === 'button') document.getElementById('load-more').addEventListener('click', grow);
  else box.addEventListener('scroll', () => {
    if (shown < people.length && box.scrollTop + box.clientHeight >= box.scrollHeight - 40) grow();
  }, { passive: true });
}
