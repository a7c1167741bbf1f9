// crm-bridge discovery walker: collects page evidence (src/protocol/evidence.rs, docs/discovery.md)
// and sends it to the background, which turns it into contacts (crates/discovery).
//
// Plain JavaScript for the same reason as content.js (page CSPs block Wasm in content scripts
// on Chromium). It only reads: it never writes to the page, never parses page text as markup
// and never runs page-provided code. It runs in the extension's isolated world, so a page that
// redefines Array.prototype, JSON or MutationObserver changes its own copies, not ours. Work is
// sliced (≤ 8 ms a slice) so the page's main thread never waits long, and bounded by
// the evidence limits, beyond which it stops and says so.
(() => {
  if (globalThis.__crmBridgeDiscovery) return;
  globalThis.__crmBridgeDiscovery = true;

  const VERSION = 2; // 2: tables with column headers sent compactly (src/protocol/evidence_table.rs)
  const LIMITS = { TEXT: 200, FIELDS: 40000, SCOPES: 10000, JSON_LD: 20, JSON_LD_TEXT: 100000, NODES: 300000,
    ROW_CELLS: 100, DELTA_ROWS: 2000 };
  const SLICE_MS = 8;
  const SKIP_TAGS = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'SVG', 'CANVAS', 'IFRAME',
    'OBJECT', 'EMBED', 'NAV', 'FOOTER', 'BUTTON', 'OPTION', 'CRM-BRIDGE-PHONE', 'HEAD', 'MATH']);
  const SKIP_ROLES = new Set(['navigation', 'contentinfo', 'banner', 'menu', 'menubar', 'toolbar']);
  const CARD_TAGS = new Set(['LI', 'ARTICLE', 'DIV', 'SECTION']);
  const CONTROL_SKIP_TYPES = new Set(['hidden', 'password', 'submit', 'button', 'reset', 'checkbox',
    'radio', 'file', 'image', 'range', 'color', 'search']);
  const MESSENGER = /^(https?:\/\/(wa\.me|api\.whatsapp\.com|web\.whatsapp\.com|t\.me|telegram\.me|signal\.me|line\.me|m\.me|viber\.com|chat\.whatsapp\.com)\b|whatsapp:|viber:|tg:|skype:|signal:|threema:|line:)/i;
  const TEL = /^(tel|sms|callto|facetime):/i;
  const HCARD = new Set(['fn', 'p-name', 'tel', 'p-tel', 'email', 'u-email', 'org', 'p-org', 'title',
    'p-job-title', 'country-name', 'p-country-name', 'given-name', 'p-given-name', 'family-name',
    'p-family-name', 'adr', 'p-adr']);

  // What people write (issue 21, docs/discovery.md "What people write"): comments, notes,
  // posts, quotes, editors. Their numbers and names are never a contact's, so their fields are
  // sent marked `prose` and their links name no record. Told by the markup around them: the
  // words of class names and ids, ARIA roles, microdata, quotes and editable regions.
  const PROSE_WORDS = new Set(['comment', 'comments', 'note', 'notes', 'remark', 'remarks', 'post', 'posts',
    'reply', 'replies', 'message', 'messages', 'chatter', 'feed', 'timeline', 'activity', 'activities',
    'discussion', 'discussions', 'conversation', 'conversations', 'thread', 'threads', 'journal',
    'annotation', 'annotations', 'memo', 'memos', 'description', 'bio', 'review', 'reviews', 'testimonial',
    'testimonials', 'chat', 'transcript', 'wysiwyg', 'markdown', 'prose', 'richtext']);
  const PROSE_ROLES = new Set(['feed', 'log', 'comment', 'textbox']);
  const PROSE_PROPS = new Set(['comment', 'reviewBody', 'articleBody', 'text', 'description']);
  const PROSE_TYPES = /(Comment|Review|SocialMediaPosting|DiscussionForumPosting|BlogPosting|Message|Answer|Question)$/;
  const nameWords = (value) => value.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z]+/);
  const proseMarkup = (el) => {
    const tag = el.tagName;
    if (tag === 'BLOCKQUOTE' || tag === 'Q') return true;
    const editable = el.getAttribute('contenteditable');
    if (editable !== null && editable !== 'false') return true;
    if (PROSE_ROLES.has(el.getAttribute('role'))) return true;
    const prop = el.getAttribute('itemprop');
    if (prop && PROSE_PROPS.has(prop)) return true;
    const type = el.getAttribute('itemtype');
    if (type && PROSE_TYPES.test(type)) return true;
    const cls = classOf(el);
    for (const word of nameWords(`${cls} ${el.id}`)) if (PROSE_WORDS.has(word)) return true;
    return false;
  };
  // A number in a sentence someone wrote ("reach me at <a href=tel:…> after six"): words on both
  // sides and four in all, or six on one side (crates/discovery/src/prose.rs reads text fields
  // the same way; this is for links, whose words are in the text around them).
  const wordsIn = (text) => text.split(/\s+/).filter((w) => (w.match(/\p{L}/gu) || []).length >= 2).length;
  const inSentence = (a) => {
    const side = (node, step) => {
      let text = '';
      for (let n = node[step], i = 0; n && i < 3; n = n[step], i += 1) text += n.textContent || '';
      return wordsIn(text.slice(0, 400));
    };
    const before = side(a, 'previousSibling');
    const after = side(a, 'nextSibling');
    return (before > 0 && after > 0 && before + after >= 4) || before + after >= 6;
  };

  // Rows of tables are read once and remembered until something inside them changes: a rescan
  // after a few edits re-reads only those rows (the observer marks them, and every row around
  // them). A change anywhere else makes the next live scan a full one (see liveScan).
  const rowCache = new WeakMap();
  let dirtyRows = new WeakSet(); // rows whose remembered reading is stale (any collect clears it)
  let liveDirty = new Set(); // rows changed since the live scanner's last scan
  let outsideChanged = true; // something outside table rows changed since then
  let rowWatcher = null;
  let readSerial = 0;
  // A clock, a countdown, "3 min ago": text whose digits move but that holds no number a person
  // could be called on (fewer than 7 digits) and no other change. It triggers no read.
  const digitCount = (text) => (text.match(/\d/g) || []).length;
  const ticks = (was, is) => was.replace(/\d/g, '0') === is.replace(/\d/g, '0') && digitCount(is) < 7;
  const onlyTicks = (record) => {
    if (record.type === 'characterData') return record.oldValue != null && ticks(record.oldValue, record.target.data || '');
    // `textContent = …` on an element: its one text node replaced by another.
    const { addedNodes: added, removedNodes: removed } = record;
    return record.type === 'childList' && added.length === 1 && removed.length === 1
      && added[0].nodeType === 3 && removed[0].nodeType === 3 && ticks(removed[0].data, added[0].data);
  };
  const markDirty = (records) => {
    for (const record of records) {
      if (onlyTicks(record)) continue;
      const target = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      let row = target && target.closest('tr');
      if (!row) outsideChanged = true;
      for (; row; row = row.parentElement && row.parentElement.closest('tr')) {
        dirtyRows.add(row);
        liveDirty.add(row);
      }
    }
  };
  const watchRows = (doc) => {
    if (rowWatcher || typeof MutationObserver !== 'function') return;
    rowWatcher = new MutationObserver(markDirty);
    rowWatcher.observe(doc.documentElement, { childList: true, subtree: true, characterData: true, characterDataOldValue: true, attributes: true, attributeFilter: ['href', 'value', 'hidden'] });
  };

  // Text drawn by an icon font (a ligature word such as `person_outline` in a Material Icons
  // element, or a private-use glyph) and text hidden from assistive technology is not
  // content: it became part of names and made a "place" header hide the Country column.
  const ICON_CLASS = /(^|\s)(material-icons[\w-]*|material-symbols[\w-]*|glyphicon[\w-]*|fa[srlbd]?|fa-[\w-]+|mdi(-[\w-]+)?|bi(-[\w-]+)?|zmdi[\w-]*|icon|icons|[\w-]+-icon|icon-[\w-]+)(?=\s|$)/;
  const PRIVATE_USE = /[\uE000-\uF8FF]/g;
  const COUNTRY_TAG = /^([A-Z]{2}|\p{Regional_Indicator}{2})$/u;
  const LIGATURE = /^[a-z][a-z0-9_]*$/;
  const classOf = (el) => (typeof el.className === 'string' ? el.className : el.getAttribute('class') || '');
  const isIcon = (el) => el.getAttribute('aria-hidden') === 'true'
    || (ICON_CLASS.test(classOf(el)) && LIGATURE.test((el.textContent || '').trim()));
  const NOT_TEXT = new Set(['SCRIPT', 'STYLE', 'SVG', 'TEMPLATE', 'NOSCRIPT']);
  /** An element's text as a reader gets it: without icon ligatures, glyphs and hidden parts. */
  const shownText = (el) => {
    if (!el) return '';
    if (el.nodeType === 3) return el.data.replace(PRIVATE_USE, '');
    if (el.nodeType !== 1 || NOT_TEXT.has(el.tagName.toUpperCase()) || isIcon(el)) return '';
    if (!el.firstElementChild) return (el.textContent || '').replace(PRIVATE_USE, '');
    let text = '';
    for (let n = el.firstChild; n; n = n.nextSibling) text += shownText(n);
    return text;
  };
  const clip = (text, max = LIMITS.TEXT) => {
    if (text.length <= max && !/\s\s|[\t\n\r\f\v\u00a0]|^\s|\s$/.test(text)) return text; // already clean
    const collapsed = String(text).slice(0, max * 4).replace(/\s+/g, ' ').trim();
    return collapsed.length > max ? collapsed.slice(0, max) : collapsed;
  };
  const now = () => performance.now();
  // Yield to the page between slices through a message port, not a timer: timers of background
  // tabs are throttled to a trickle, which stretched a big page's scan from 2 s to 25 s.
  const yieldChannel = new MessageChannel();
  const resumers = [];
  yieldChannel.port1.onmessage = () => { const resume = resumers.shift(); if (resume) resume(); };
  const pause = () => new Promise((resolve) => { resumers.push(resolve); yieldChannel.port2.postMessage(0); });

  // What kind of link an href is, cheaply: most CRM links are paths.
  const linkKind = (href) => {
    const c = href.charCodeAt(0);
    if (c === 47 || c === 35 || c === 46 || c === 63) return 'page'; // / # . ?
    if (TEL.test(href)) return 'tel';
    if (/^mailto:/i.test(href)) return 'mailto';
    if (MESSENGER.test(href)) return 'messenger';
    return 'page';
  };
  // A field for a tel:, mailto: or messenger link.
  const linkField = (kind, a, href, label) => {
    const field = { source: kind, text: clip(shownText(a)), href: href.slice(0, kind === 'mailto' ? 300 : 200) };
    if (label) field.label = label;
    return field;
  };
  // The origin links are kept for: the page's own, or that of a fetched page read off-screen
  // (set by collect, which reads one page at a time).
  let pageOrigin = location.origin;
  // The absolute address of a same-origin link, without resolving it through the DOM.
  const sameOrigin = (href, a) => {
    if (href.startsWith('/') && !href.startsWith('//')) return pageOrigin + href;
    if (href.startsWith('#') && !href.startsWith('#/')) return undefined;
    const absolute = a.href;
    return typeof absolute === 'string' && absolute.startsWith(`${pageOrigin}/`) ? absolute : undefined;
  };
  const inputType = (el) => (el.getAttribute('type') || 'text').toLowerCase();
  // A form control's value, or '' for controls that hold no contact data (passwords, buttons…).
  const controlValue = (el) => {
    if (el.tagName === 'INPUT' && CONTROL_SKIP_TYPES.has(inputType(el))) return '';
    const value = el.tagName === 'SELECT' ? (el.selectedOptions[0] ? el.selectedOptions[0].textContent : '') : el.value;
    return value && String(value).trim() ? value : '';
  };

  // Short text of a label-like element, or '' when it is too big to be a label.
  const labelText = (el) => {
    if (!el || el.nodeType !== 1 || el.childElementCount > 4 || SKIP_TAGS.has(el.tagName)) return '';
    const text = clip(shownText(el), 60);
    return text.length > 0 && text.length <= 48 ? text.replace(/[:：]\s*$/, '') : '';
  };

  // One table row, read once: its heading, record link and cells, as sent
  // (src/protocol/evidence_table.rs: a cell is its text when that is all it holds, else its
  // fields), with how many fields it makes and a number that changes with every reading.
  const readRow = (row, headers, headerKey) => {
    const cells = [];
    let count = 0;
    let heading;
    let link;
    const rowCells = row.cells;
    // A person's row never needs more columns; a row a page grew by 200,000 cells is read in
    // microseconds, not in one 600 ms task (whole scans and rescans alike).
    for (let column = 0, n = Math.min(rowCells.length, LIMITS.ROW_CELLS); column < n; column += 1) {
      const cell = rowCells[column];
      const label = headers[column];
      let list = null;
      let messenger = false;
      let control = null;
      if (cell.firstElementChild) {
        const anchors = cell.getElementsByTagName('a');
        for (let i = 0; i < anchors.length; i += 1) {
          const a = anchors[i];
          const href = a.getAttribute('href') || '';
          const kind = linkKind(href);
          if (kind === 'page') { // the row's record link and name: its first page link's
            if (heading === undefined) heading = clip(shownText(a)) || undefined;
            if (link === undefined) link = sameOrigin(href, a);
            continue;
          }
          if (kind === 'messenger') messenger = true;
          (list = list || []).push(linkField(kind, a, href, kind === 'tel' ? label : undefined));
        }
        control = cell.querySelector('input, select, textarea');
      }
      if (control) {
        const value = controlValue(control);
        if (value) (list = list || []).push({ source: control.tagName.toLowerCase(), text: clip(value), label });
      } else if (!messenger) { // a messenger's number is not the contact's
        const text = clip(shownText(cell));
        if (text && !list) { cells.push(text); count += 1; continue; }
        if (text) list.push({ source: 'text', text, label });
      }
      cells.push(list || '');
      count += list ? list.length : 0;
    }
    while (cells.length && cells[cells.length - 1] === '') cells.pop();
    const sent = { cells };
    if (heading) sent.heading = heading;
    if (link) sent.link = link;
    readSerial += 1;
    return { row: sent, count, headerKey, id: readSerial };
  };

  // Where a list says how to reach its next page (docs/discovery.md "Pagination"): links in
  // pagers, whichever words they use; the background decides which one is "next".
  const PAGER = 'nav, [role="navigation"], [class*="paginat" i], [class*="pager" i], [class*="paging" i], '
    + '[id*="paginat" i], [id*="pager" i], [aria-label*="pagina" i], [aria-label*="pager" i]';
  const PAGER_WORDS = /paginat|pager|paging/i;
  const PAGER_LINKS = 60;
  // Whether an element is a pager container (what PAGER selects), tested as the walk passes it.
  const isPager = (el) => el.tagName === 'NAV' || el.getAttribute('role') === 'navigation'
    || PAGER_WORDS.test(classOf(el))
    || /paginat|pager/i.test(el.id) || /pagina|pager/i.test(el.getAttribute('aria-label') || '');
  // The pager containers in and under `el`, a subtree the walk does not enter.
  const pagersUnder = (el, found) => {
    if (isPager(el)) found.push(el);
    try { for (const p of el.querySelectorAll(PAGER)) found.push(p); } catch { /* an odd document */ }
  };
  // `pagers`: the pager containers the walk met, in document order.
  const pagerLinks = (doc, recipe, pagers) => {
    const links = [];
    const seen = new Set();
    const add = (a, extra) => {
      if (links.length >= PAGER_LINKS) return;
      const href = sameOrigin(a.getAttribute('href') || '', a);
      if (!href) return;
      const text = clip(shownText(a), 40);
      const key = `${href}\u0001${text}`; // "2" and "Next ›" may share an address
      if (seen.has(key) && !extra.rel && !extra.recipe) return;
      seen.add(key);
      const link = { href: href.slice(0, 500), ...extra };
      if (text) link.text = text;
      const label = clip(a.getAttribute('aria-label') || a.getAttribute('title') || '', 40);
      if (label) link.label = label;
      if (a.getAttribute('aria-disabled') === 'true' || a.closest('.disabled, [aria-disabled="true"], [disabled]')) link.disabled = true;
      if (a.getAttribute('aria-current') === 'page') link.current = true;
      links.push(link);
    };
    const select = (root, selector) => { try { return [...root.querySelectorAll(selector)]; } catch { return []; } };
    if (recipe && recipe.next) for (const a of select(doc, recipe.next).slice(0, 1)) add(a.closest('a[href], link[href]') || a, { recipe: true });
    for (const a of select(doc, 'link[rel~="next" i][href], a[rel~="next" i][href]').slice(0, 2)) add(a, { rel: 'next' });
    let containers = 0;
    for (const pager of pagers) {
      if (++containers > 20 || links.length >= PAGER_LINKS) break;
      if (pager.closest('crm-bridge-phone')) continue;
      // A long pager's ends: its first links and its last ones ("Next", "Last" sit there).
      const all = [...pager.querySelectorAll('a[href]')];
      for (const a of all.length > 30 ? [...all.slice(0, 20), ...all.slice(-10)] : all) add(a, {});
    }
    let current = null;
    for (const pager of pagers) if (!current) current = pager.querySelector('[aria-current="page"]:not(a)');
    const currentText = current ? clip(current.textContent || '', 12) : '';
    return { links, current: /^\d{1,6}$/.test(currentText) ? Number(currentText) : undefined };
  };

  // Lists that grow as they are scrolled or by a "Load more" button (docs/discovery.md "Whole
  // lists"): no pager leads to the rest, so the popup offers to read them whole in the tab.
  const LOAD_MORE = /^\s*((load|show|see|view|get) more|more (results|rows|contacts|records|people))\b|mehr (laden|anzeigen)|weitere (laden|anzeigen)|(afficher|charger|voir) plus|(cargar|ver|mostrar) más|(carregar|ver|mostrar) mais|carica altri|もっと見る|さらに表示|加载更多|显示更多/i;
  const LOAD_MORE_CONTROLS = 'button, [role="button"], a:not([href]), a[href="#"], a[href^="javascript:" i]';
  const LIST_ROWS = 10; // a shorter list is not worth scrolling through
  const LIST_CANDIDATES = 'tbody, [role="rowgroup"], [role="grid"], [role="list"], [role="feed"], ul, ol';
  const NOT_LISTS = 'nav, [role="navigation"], [role="menu"], [role="menubar"], [role="listbox"], header, footer, [data-crm-bridge]';
  /** The page's longest list of rows (a table body, a grid, a list), not a menu. */
  const listRoot = (doc) => {
    let best = null;
    let most = LIST_ROWS - 1;
    let looked = 0;
    for (const el of doc.querySelectorAll(LIST_CANDIDATES)) {
      if (++looked > 2000) break;
      if (el.childElementCount <= most || el.closest(NOT_LISTS)) continue;
      best = el;
      most = el.childElementCount;
    }
    return best;
  };
  const scrollsItself = (el) => /^(auto|scroll|overlay)$/.test(getComputedStyle(el).overflowY)
    && el.scrollHeight > el.clientHeight + 8;
  /** What scrolls `el`: its nearest scrolling box, else the page when it is taller than the window. */
  const scrollerOf = (el) => {
    const page = el.ownerDocument.scrollingElement || el.ownerDocument.documentElement;
    for (let node = el.parentElement; node && node !== page && node !== el.ownerDocument.body; node = node.parentElement) {
      if (scrollsItself(node)) return node;
    }
    return page.scrollHeight > innerHeight + 8 ? page : null;
  };
  /** A shown, enabled "Load more" control that stays on the page (no link away, no form submit). */
  const loadMoreButton = (doc) => {
    let looked = 0;
    // Links that lead away are never pressed, so a list's own row links are not even looked at.
    for (const el of doc.querySelectorAll(LOAD_MORE_CONTROLS)) {
      if (++looked > 3000) break;
      if ((el.textContent || '').length > 80 || !LOAD_MORE.test(el.textContent || '')) continue;
      if (el.disabled || el.getAttribute('aria-disabled') === 'true' || el.closest(NOT_LISTS)) continue;
      if (el.tagName === 'BUTTON' && el.form && el.type === 'submit') continue;
      if (!LOAD_MORE.test(clip(shownText(el), 80)) || !el.getClientRects().length) continue;
      return el;
    }
    return null;
  };
  /** Whether the window's page has a list that grows by scrolling or by "Load more". */
  const moreRows = (doc) => {
    const list = listRoot(doc);
    if (!list) return null;
    if (loadMoreButton(doc)) return { via: 'button', rows: list.childElementCount };
    return scrollerOf(list) ? { via: 'scroll', rows: list.childElementCount } : null;
  };

  /**
   * Collects evidence for `doc`; resolves to the evidence object. `options.url` is the page's
   * address when `doc` is not the window's document (a fetched page parsed off-screen).
   */
  async function collect(doc = document, options = {}) {
    const pageUrl = String(options.url || location.href);
    pageOrigin = new URL(pageUrl).origin;
    const started = now();
    let sliceStart = started;
    let mainThreadMs = 0;
    let longestSliceMs = 0;
    // Scopes and fields outside tables; table rows go to `tables`, compactly. Indexes (scope
    // numbers, a table's place) count both, as in the expanded evidence discovery reads.
    const scopes = [];
    const fields = [];
    const tables = [];
    const rows = new Map(); // row element → {scope, headers, entry}: what a rescan can patch
    let scopeCount = 0;
    let fieldCount = 0;
    const scopeOf = new Map(); // element → scope record (assigned an index on first use)
    const headerCache = new Map(); // table → column header texts
    const siblingSignatures = new Map(); // parent → Map(signature → count)
    let truncated = null;
    let nodes = 0;

    const pageScope = { kind: 'page', el: doc.body, index: 0 };
    const mainHeading = doc.querySelector('h1, [role="heading"][aria-level="1"]');
    scopes.push({ kind: 'page', heading: mainHeading ? clip(shownText(mainHeading)) || undefined : undefined,
      link: pageUrl });
    scopeCount = 1;

    // Whether an element sits in what people write (proseMarkup), remembered per element. A
    // container holding the page's main heading is the page itself, never a comment.
    const proseOf = new Map();
    const proseRoot = doc.body || doc.documentElement;
    const inProse = (el) => {
      const path = [];
      let answer = false;
      for (let e = el; e && e !== proseRoot; e = e.parentElement) {
        const known = proseOf.get(e);
        if (known !== undefined) { answer = known; break; }
        path.push(e);
        if (proseMarkup(e) && !(mainHeading && e.contains(mainHeading))) { answer = true; break; }
      }
      for (const e of path) proseOf.set(e, answer);
      return answer;
    };
    const recordLink = (el) => {
      const anchors = el.tagName === 'A' ? [el] : el.querySelectorAll('a[href]');
      for (const a of anchors) {
        if (a !== el && inProse(a) && !inProse(el)) continue; // a link in a comment is a mention
        const link = sameOrigin(a.getAttribute('href') || '', a);
        if (link) return link;
      }
      const around = el.closest('a[href]');
      return around && /^https?:/i.test(around.href) ? around.href : undefined;
    };
    const cardHeading = (el) => {
      const h = el.querySelector('h1, h2, h3, h4, h5, h6, [role="heading"], strong, b, .name, [class*="name"]');
      if (h) return clip(shownText(h));
      const a = nameLink(el);
      return a ? clip(shownText(a)) : undefined;
    };
    // The first link that can carry a name (not a phone, mail or messenger link).
    const nameLink = (el) => {
      for (const a of el.querySelectorAll('a[href]')) {
        const href = a.getAttribute('href') || '';
        // A `javascript:` link is a button (Zoho's click-to-call), not a record's name.
        if (linkKind(href) === 'page' && !/^javascript:/i.test(href) && (!inProse(a) || inProse(el))) return a;
      }
      return null;
    };
    const useScope = (record) => {
      if (record.index !== undefined) return record.index;
      if (scopeCount >= LIMITS.SCOPES) { truncated = truncated || { reason: 'scopes', scanned: nodes }; return 0; }
      const parent = record.parent ? useScope(record.parent) : 0;
      const scope = { kind: record.kind, parent };
      scope.heading = cardHeading(record.el) || undefined;
      scope.link = recordLink(record.el);
      if (record.itemType) scope.itemType = record.itemType;
      record.index = scopeCount;
      scopeCount += 1;
      scopes.push(scope);
      return record.index;
    };
    // A table's column headers, one per column: the header row with the most titled cells (a
    // thead may hold a hidden state row or a filter row too), a cell spanning n columns
    // heading each of them.
    const columnHeaders = (table) => {
      if (headerCache.has(table)) return headerCache.get(table);
      let headers = null;
      const candidates = table.tHead ? [...table.tHead.rows]
        : (table.rows[0] && [...table.rows[0].cells].every((c) => c.tagName === 'TH') ? [table.rows[0]] : []);
      let best = 0;
      let columns = 0;
      for (const row of candidates.slice(0, 4)) {
        const titles = [];
        for (const cell of row.cells) {
          const text = clip(shownText(cell), 48);
          for (let span = Math.min(Math.max(cell.colSpan || 1, 1), 20); span > 0; span -= 1) titles.push(text);
        }
        columns = Math.max(columns, titles.length);
        const titled = titles.filter(Boolean).length;
        if (titles.length >= 2 && titled > best) { best = titled; headers = titles; }
      }
      // Grids that keep their header still while the body scrolls draw it as a table of its
      // own just before the body's (whose header row is empty): its titles head these columns.
      if (!best && columns >= 2) headers = headerTableBefore(table, columns) || null;
      headerCache.set(table, headers);
      return headers;
    };
    const headerTableBefore = (table, columns) => {
      for (let el = table, up = 0; el && up < 3; el = el.parentElement, up += 1) {
        let prev = el.previousElementSibling;
        for (let i = 0; prev && i < 3; prev = prev.previousElementSibling, i += 1) {
          const tables = prev.tagName === 'TABLE' ? [prev] : [...prev.getElementsByTagName('table')];
          const above = tables[tables.length - 1];
          if (!above || headerCache.has(above) && !headerCache.get(above)) continue;
          const titles = columnHeaders(above);
          if (titles && titles.length === columns) return titles;
        }
      }
      return null;
    };
    const isRepeated = (el) => {
      const parent = el.parentElement;
      if (!parent || !CARD_TAGS.has(el.tagName)) return false;
      let counts = siblingSignatures.get(parent);
      if (!counts) {
        counts = new Map();
        let seen = 0;
        for (const child of parent.children) {
          if (++seen > 5000) break;
          const sig = `${child.tagName}.${child.className}`;
          counts.set(sig, (counts.get(sig) || 0) + 1);
        }
        siblingSignatures.set(parent, counts);
      }
      return (counts.get(`${el.tagName}.${el.className}`) || 0) >= 2;
    };
    // The scope record an element opens, if it opens one.
    const opens = (el, parentRecord) => {
      if (el.hasAttribute('itemscope')) return { kind: 'item', el, parent: parentRecord, itemType: (el.getAttribute('itemtype') || '').slice(0, 120) || undefined };
      const cls = typeof el.className === 'string' ? ` ${el.className} ` : '';
      if (cls.includes(' vcard ') || cls.includes(' h-card ')) return { kind: 'vcard', el, parent: parentRecord };
      // Rows of tables with column headers never get here: readTable reads those tables whole.
      if (isRepeated(el)) return { kind: 'card', el, parent: parentRecord };
      return null;
    };
    // What the user cannot see is not the current record: closed menus, inactive tabs of a
    // single-page app, templates hidden by the site's CSS (`display: none`, not only `hidden`).
    // A document parsed off-screen (a fetched list page) has no layout to ask.
    const laidOut = !options.url && typeof Element.prototype.checkVisibility === 'function';
    const skipped = (el) => SKIP_TAGS.has(el.tagName) || SKIP_ROLES.has(el.getAttribute('role'))
      || el.hidden || isIcon(el)
      || (el.tagName === 'HEADER' && el.parentElement === doc.body)
      || (laidOut && !el.checkVisibility() && getComputedStyle(el).display !== 'contents'); // a box-less wrapper shows its children

    const addField = (record, field, el) => {
      if (fieldCount >= LIMITS.FIELDS) { truncated = truncated || { reason: 'fields', scanned: nodes }; return; }
      if (el && inProse(el)) field.prose = true;
      field.scope = useScope(record);
      if (field.label === '' || field.label === undefined) delete field.label;
      fields.push(field);
      fieldCount += 1;
    };
    // A cell of a key/value table: its row's header cell.
    const cellLabel = (cell) => {
      const row = cell.parentElement;
      const th = row && row.cells[0] !== cell && row.cells[0].tagName === 'TH' ? row.cells[0] : null;
      return th ? labelText(th) : '';
    };
    // The label of a text node or control that has no label of its own.
    const nearestLabel = (node, record) => {
      let cur = node;
      for (let depth = 0; cur && depth < 4; depth += 1) {
        if (cur.nodeType === 1 && (cur.tagName === 'TD' || cur.tagName === 'TH')) return cellLabel(cur);
        if (cur.nodeType === 1 && cur.tagName === 'DD') {
          let dt = cur.previousElementSibling;
          while (dt && dt.tagName !== 'DT') dt = dt.previousElementSibling;
          return dt ? labelText(dt) : '';
        }
        let prev = cur.previousSibling;
        let text = '';
        for (;;) {
          while (prev && (prev.nodeType === 8 || (prev.nodeType === 3 && !prev.textContent.trim()))) prev = prev.previousSibling;
          if (!prev) break;
          text = prev.nodeType === 3 ? clip(prev.textContent, 60) : labelText(prev);
          // A country code or flag drawn before a number ("AE 04 123 4567") is the number's
          // country, not its label: the label is before it.
          if (!COUNTRY_TAG.test(text)) break;
          prev = prev.previousSibling;
        }
        if (prev) {
          if (text && text.length <= 48 && /\p{L}/u.test(text)) return text.replace(/[:：]\s*$/, '');
          return '';
        }
        const parent = cur.parentElement;
        if (!parent || parent === record.el) return '';
        cur = parent;
      }
      return '';
    };
    // The field a text sits in, beyond the label it brought ("Notes" around "Phone: …"): the
    // dt of its dd, its cell's header, or a heading or label just before one of its containers.
    const LABEL_TAGS = new Set(['H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'LABEL', 'LEGEND', 'DT']);
    const enclosingLabel = (node) => {
      let cur = node.parentElement;
      for (let depth = 0; cur && cur !== proseRoot && depth < 5; depth += 1, cur = cur.parentElement) {
        if (cur.tagName === 'DD' || cur.tagName === 'TD') {
          const label = nearestLabel(cur, pageScope);
          if (label) return label;
        }
        const prev = cur.previousElementSibling;
        if (prev && (LABEL_TAGS.has(prev.tagName) || prev.getAttribute('role') === 'heading')) return labelText(prev);
      }
      return '';
    };
    const controlLabel = (el, record) => {
      if (el.labels && el.labels.length) return clip(shownText(el.labels[0]), 48);
      const aria = el.getAttribute('aria-label');
      if (aria) return clip(aria, 48);
      const by = el.getAttribute('aria-labelledby');
      if (by) {
        const target = doc.getElementById(by.split(/\s+/)[0]);
        if (target) return clip(shownText(target), 48);
      }
      return nearestLabel(el, record) || clip(el.getAttribute('placeholder') || '', 48);
    };

    // Page-level JSON-LD (the walk itself skips scripts).
    const jsonLd = [];
    for (const script of doc.querySelectorAll('script[type="application/ld+json"]')) {
      if (jsonLd.length >= LIMITS.JSON_LD) break;
      jsonLd.push(String(script.textContent || '').slice(0, LIMITS.JSON_LD_TEXT));
    }

    if (!options.url) watchRows(doc);
    if (rowWatcher) markDirty(rowWatcher.takeRecords()); // changes made just before this scan
    const dirty = dirtyRows;
    dirtyRows = new WeakSet();
    // Ends the current slice and lets the page run, once the slice has used its time.
    const yieldIfDue = async () => {
      const slice = now() - sliceStart;
      if (options.noYield || slice <= SLICE_MS) return;
      mainThreadMs += slice;
      longestSliceMs = Math.max(longestSliceMs, slice);
      await pause();
      sliceStart = now();
    };

    // A table with column headers: one row scope per data row, read straight from its cells
    // (readRow) and sent compactly, a row's cells as an array.
    const readTable = async (table, parentRecord) => {
      const headers = columnHeaders(table);
      const headerKey = headers.join('\u0001');
      const parent = parentRecord === pageScope ? 0 : useScope(parentRecord);
      const compact = { parent, scopeAt: scopeCount, fieldAt: fieldCount, headers, rows: [] };
      let count = 0;
      for (const row of table.rows) { // this table's own rows, not those of nested tables
        const cells = row.cells;
        if (!cells.length || row.parentElement.tagName === 'THEAD') continue;
        if (cells[0].tagName === 'TH' && cells[cells.length - 1].tagName === 'TH') continue; // a header row
        nodes += row.cells.length + 1;
        if (nodes > LIMITS.NODES) { truncated = truncated || { reason: 'nodes', scanned: nodes }; break; }
        if ((++count & 63) === 0) await yieldIfDue();
        let entry = rowCache.get(row);
        if (!entry || dirty.has(row) || entry.headerKey !== headerKey) {
          entry = readRow(row, headers, headerKey);
          rowCache.set(row, entry);
        }
        if (!entry.count) continue;
        if (scopeCount >= LIMITS.SCOPES) { truncated = truncated || { reason: 'scopes', scanned: nodes }; break; }
        if (fieldCount + entry.count > LIMITS.FIELDS) { truncated = truncated || { reason: 'fields', scanned: nodes }; break; }
        rows.set(row, { scope: scopeCount, headers, entry });
        compact.rows.push(entry.row);
        scopeCount += 1;
        fieldCount += entry.count;
      }
      if (compact.rows.length) tables.push(compact);
    };
    const skipSubtree = (el) => {
      walker.currentNode = el;
      let next = walker.nextSibling();
      while (!next && walker.parentNode()) next = walker.nextSibling();
      return next;
    };

    // A site recipe (docs/recipes.md): its rows become scopes with fields labelled by the
    // recipe's field names, and are left out of the generic walk below.
    const recipeRows = new Set();
    const pagers = [];
    const recipe = options.recipe;
    const selectAll = (root, selector, limit) => {
      try { return [...root.querySelectorAll(selector)].slice(0, limit); } catch { return []; }
    };
    const recipeFields = (root, spec, scope) => {
      for (const [name, selector] of Object.entries(spec || {})) {
        if (name === 'link') continue;
        const [el] = selectAll(root, selector, 1);
        if (!el) continue;
        const href = el.tagName === 'A' ? el.getAttribute('href') || '' : '';
        const value = 'value' in el && typeof el.value === 'string' && el.tagName !== 'LI' && el.tagName !== 'BUTTON' ? el.value : el.textContent;
        const field = { scope, source: TEL.test(href) ? 'tel' : 'property', text: clip(value || ''), label: name };
        if (field.source === 'tel') field.href = href.slice(0, 200);
        if (field.text && fieldCount < LIMITS.FIELDS) { fields.push(field); fieldCount += 1; }
      }
    };
    if (recipe && recipe.version === 1) {
      if (recipe.page) recipeFields(doc, recipe.page, 0);
      if (recipe.rows && recipe.fields) {
        for (const row of selectAll(doc, recipe.rows, LIMITS.SCOPES - 1)) {
          const scope = { kind: 'card', parent: 0 };
          const [anchor] = recipe.fields.link ? selectAll(row, recipe.fields.link, 1) : [];
          const link = anchor && anchor.getAttribute('href') ? sameOrigin(anchor.getAttribute('href'), anchor) : recordLink(row);
          if (link) scope.link = link;
          const index = scopeCount;
          scopeCount += 1;
          scopes.push(scope);
          recipeFields(row, recipe.fields, index);
          recipeRows.add(row);
        }
      }
    }

    const root = doc.body || doc.documentElement;
    // The walk notes pager containers as it passes them, and looks for them in the subtrees it
    // does not enter (a nav, a footer, a table's foot), rather than a whole-page query.
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => {
        if (node.nodeType !== 1) return NodeFilter.FILTER_ACCEPT;
        if (recipeRows.has(node)) return NodeFilter.FILTER_REJECT;
        if (skipped(node)) {
          if (node.tagName !== 'CRM-BRIDGE-PHONE') pagersUnder(node, pagers);
          return NodeFilter.FILTER_REJECT;
        }
        if (isPager(node)) pagers.push(node);
        return NodeFilter.FILTER_ACCEPT;
      },
    });
    scopeOf.set(root, pageScope);
    const consumed = new WeakSet(); // elements whose text a field already took (links, properties)
    const inConsumed = (el) => {
      for (let e = el, i = 0; e && i < 4; e = e.parentElement, i += 1) if (consumed.has(e)) return true;
      return false;
    };
    const recordFor = (el) => {
      let record = scopeOf.get(el);
      if (record) return record;
      const parent = el.parentElement;
      const parentRecord = (parent && scopeOf.get(parent)) || pageScope;
      record = opens(el, parentRecord === pageScope ? null : parentRecord) || parentRecord;
      scopeOf.set(el, record);
      return record;
    };

    let skip = null;
    const advance = () => {
      if (!skip) return walker.nextNode();
      const subtree = skip;
      skip = null;
      return skipSubtree(subtree);
    };
    for (let node = walker.nextNode(); node; node = advance()) {
      nodes += 1;
      if (nodes > LIMITS.NODES) { truncated = { reason: 'nodes', scanned: nodes - 1 }; break; }
      if (truncated && truncated.reason === 'fields') break;
      if ((nodes & 63) === 0) await yieldIfDue();
      if (node.nodeType === 1) {
        const el = node;
        const record = recordFor(el);
        const tag = el.tagName;
        if (tag === 'TABLE' && columnHeaders(el) && el.rows.length > 1) {
          if (el.tFoot) pagersUnder(el.tFoot, pagers);
          await readTable(el, record);
          skip = el;
          continue;
        }
        if (tag === 'A') {
          const href = el.getAttribute('href') || '';
          const kind = linkKind(href);
          if (kind !== 'page') {
            consumed.add(el);
            const label = kind === 'tel'
              ? nearestLabel(el, record) || clip(el.getAttribute('aria-label') || el.title || '', 48) : undefined;
            const field = linkField(kind, el, href, label);
            if (kind === 'tel') {
              if (inSentence(el)) field.prose = true;
              const within = enclosingLabel(el);
              if (within && within !== label) field.within = within;
            }
            addField(record, field, el);
          }
        } else if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') {
          const value = controlValue(el);
          if (!value) continue;
          const hints = [el.getAttribute('name'), el.getAttribute('autocomplete'), tag === 'INPUT' ? inputType(el) : '', el.id]
            .filter(Boolean).join(' ').slice(0, 120);
          addField(record, { source: tag.toLowerCase(), text: clip(value), label: controlLabel(el, record), hints: hints || undefined }, el);
        } else if (el.hasAttribute('itemprop') && record.kind === 'item' && !el.hasAttribute('itemscope')) {
          consumed.add(el);
          const value = el.getAttribute('content') || el.textContent || '';
          addField(record, { source: 'property', text: clip(value), label: clip(el.getAttribute('itemprop'), 48) }, el);
        } else if (record.kind === 'vcard' && typeof el.className === 'string') {
          const prop = el.className.split(/\s+/).find((c) => HCARD.has(c));
          if (prop) {
            consumed.add(el);
            addField(record, { source: 'property', text: clip(shownText(el)), label: prop }, el);
          }
        }
        continue;
      }
      // A text node.
      const parent = node.parentElement;
      if (!parent || inConsumed(parent)) continue;
      const raw = node.textContent;
      if (!raw || raw.length > LIMITS.TEXT * 50 && !/\d|@/.test(raw.slice(0, 2000))) continue;
      let text = clip(raw.replace(PRIVATE_USE, ''));
      if (!text) continue;
      const tag = parent.tagName;
      if (tag === 'LABEL' || tag === 'DT' || tag === 'TH' || tag === 'LEGEND') continue;
      const record = recordFor(parent);
      let label = '';
      const colon = /^([^:：\d]{1,40})[:：]\s*(\S.*)$/u.exec(text);
      if (colon && /\p{L}/u.test(colon[1]) && !/^(https?|mailto|tel)$/i.test(colon[1])) {
        label = colon[1].trim();
        text = colon[2];
      } else {
        if (/[:：]$/.test(text) && text.length <= 48) continue; // a label on its own
        label = nearestLabel(node, record);
      }
      const heading = /^H[1-6]$/.test(tag) || parent.getAttribute('role') === 'heading';
      const field = { source: 'text', text, label };
      if (heading) field.heading = true;
      if (/\d{3}/.test(text)) {
        const within = enclosingLabel(node);
        if (within && within !== label) field.within = within;
      }
      addField(record, field, parent);
    }
    const pager = pagerLinks(doc, recipe, pagers);
    // Whether the list grows by scrolling or "Load more": layout reads, so only for the
    // window's own page, in a slice of its own when due, and counted in the scan's time (a
    // pager's links may be a menu's: the background decides whether one leads on).
    let more = null;
    if (doc === document && doc.defaultView) {
      await yieldIfDue();
      more = moreRows(doc);
    }
    const finished = now();
    mainThreadMs += finished - sliceStart;
    longestSliceMs = Math.max(longestSliceMs, finished - sliceStart);
    const evidence = {
      version: VERSION,
      url: pageUrl,
      title: clip(doc.title || ''),
      scopes,
      fields,
    };
    const lang = doc.documentElement.getAttribute('lang');
    if (lang) evidence.lang = clip(lang, 20);
    if (jsonLd.length) evidence.jsonLd = jsonLd;
    if (truncated) evidence.truncated = truncated;
    if (tables.length) evidence.tables = tables;
    if (pager.links.length) {
      evidence.pager = { links: pager.links };
      if (pager.current) evidence.pager.current = pager.current;
    }
    if (more) evidence.moreRows = more;
    if (!scopes[0].heading) delete scopes[0].heading;
    for (const s of scopes) {
      for (const key of Object.keys(s)) if (s[key] === undefined) delete s[key];
    }
    return { evidence, rows, stats: { nodes, mainThreadMs, longestSliceMs, wallMs: finished - started } };
  }

  // The live scanner: what this tab's content script sends the background as the page changes.
  // The first scan, and any after a change outside table rows, sends the whole evidence with a
  // scan number; later ones send only the rows that changed (a delta against that scan), which
  // the background applies to the evidence it kept (src/background/kept_pages.rs).
  let live = null; // {scan, url, recipeKey, rows}: the evidence the background has
  let lastKey = ''; // what the last whole evidence sent looked like (identical ones are not re-sent)
  let scanSerial = Math.floor(Math.random() * 2 ** 40) * 1024; // unique per page load
  const forgetLive = () => { live = null; lastKey = ''; };
  // A cheap fingerprint of evidence: everything but the table rows, which are told by reading.
  const evidenceKey = (evidence, rows) => {
    const { tables, ...rest } = evidence;
    let key = JSON.stringify(rest);
    for (const t of tables || []) key += `|${t.parent},${t.scopeAt},${t.fieldAt},${t.headers.join('\u0001')}`;
    for (const { scope, entry } of rows.values()) key += `,${scope}:${entry.id}`;
    return key;
  };
  const hasNumbers = (text) => /\d{3}/.test(text);
  const worthSending = (evidence) => evidence.jsonLd
    || evidence.fields.some((f) => f.source === 'tel' || hasNumbers(f.text))
    || (evidence.tables || []).some((t) => t.rows.some((r) => r.cells.some((c) => (typeof c === 'string'
      ? hasNumbers(c) : c.some((f) => f.source === 'tel' || hasNumbers(f.text))))));
  // The changed rows as a delta, or null when a row changed that the last scan did not send.
  const rescanRows = () => {
    const patches = [];
    if (liveDirty.size > LIMITS.DELTA_ROWS) return null; // the whole scan is bounded and sliced
    for (const row of liveDirty) {
      const known = live.rows.get(row);
      if (!known || !row.isConnected) return null;
      const entry = readRow(row, known.headers, known.entry.headerKey);
      rowCache.set(row, entry);
      if (!entry.count) return null; // the row no longer holds anything: its scope goes
      if (JSON.stringify(entry.row) === JSON.stringify(known.entry.row)) continue;
      known.entry = entry;
      patches.push({ scope: known.scope, row: entry.row });
    }
    liveDirty = new Set();
    return { base: live.scan, url: live.url, rows: patches };
  };
  /** Scans the page for the background; resolves to {message (null: nothing new), stats}. */
  async function liveScan(recipe) {
    const started = now();
    if (rowWatcher) markDirty(rowWatcher.takeRecords());
    const recipeKey = JSON.stringify(recipe || null);
    if (live && !outsideChanged && live.url === location.href && live.recipeKey === recipeKey) {
      const delta = rescanRows();
      if (delta) {
        const ms = now() - started;
        const message = delta.rows.length ? { kind: 'pageEvidenceDelta', delta } : null;
        if (message) lastKey = ''; // the background's evidence is no longer the last one sent whole
        return { message, stats: { mainThreadMs: ms, longestSliceMs: ms, rows: delta.rows.length } };
      }
    }
    liveDirty = new Set();
    outsideChanged = false;
    const { evidence, rows, stats } = await collect(document, { recipe });
    const keyStarted = now();
    const key = evidenceKey(evidence, rows);
    const fresh = key !== lastKey && worthSending(evidence);
    stats.mainThreadMs += now() - keyStarted;
    if (!fresh) return { message: null, stats };
    lastKey = key;
    scanSerial += 1;
    live = { scan: scanSerial, url: evidence.url, recipeKey, rows };
    return { message: { kind: 'pageEvidence', evidence, scan: scanSerial }, stats };
  }

  // Exposed in the isolated world only (the page cannot see it): tests and the benchmark call them.
  globalThis.__crmBridgeCollect = collect;
  globalThis.__crmBridgeLiveScan = liveScan;
  globalThis.__crmBridgeForgetLive = forgetLive;

  const runtime = globalThis.chrome && globalThis.chrome.runtime;
  if (!runtime || !runtime.id || !runtime.sendMessage) return; // loaded by a test page, not as a content script
  if (location.href.startsWith(runtime.getURL(''))) return; // an extension page reads fetched pages with it

  let recipe = null; // the site's recipe, asked once at start
  let lastUrl = location.href;
  let timer = 0;
  let running = false;
  let quietUntil = 0; // a page held back for flooding is not read before this (see schedule)
  const scan = async () => {
    if (running) { schedule(); return; }
    running = true;
    try {
      const { message } = await liveScan(recipe);
      if (!message) return;
      const answer = await runtime.sendMessage({ id: 2, body: message });
      const reply = answer && answer.reply;
      // The page showed more new people than the site may add this minute: read nothing until then.
      if (reply && reply.kind === 'discovered' && reply.heldBackForMs > 0) quietUntil = now() + Math.min(reply.heldBackForMs, 60_000);
      if (reply && reply.kind === 'evidenceWanted') { forgetLive(); schedule(0); } // it restarted
      else if (!reply || reply.kind === 'error') forgetLive(); // not kept: the next scan sends all
    } catch (err) {
      // The background is restarting or the extension was updated: the next change rescans.
      forgetLive();
    } finally {
      running = false;
    }
  };
  // Each change postpones the scan (a burst is read once), but never past MAX_WAIT_MS after the
  // first change it waits for: a page that never stops changing is still read. A page the
  // background held back for flooding waits until quietUntil, whatever changes.
  const MAX_WAIT_MS = 2500;
  let waitingSince = 0;
  const schedule = (delay = 700) => {
    const at = now();
    if (!timer) waitingSince = at;
    clearTimeout(timer);
    const due = Math.max(quietUntil, Math.min(at + delay, waitingSince + MAX_WAIT_MS));
    timer = setTimeout(() => { timer = 0; scan(); }, Math.max(0, due - at));
  };
  // Single-page apps: DOM changes and history navigation both schedule a (debounced) rescan.
  new MutationObserver((records) => {
    if (location.href !== lastUrl) { lastUrl = location.href; schedule(200); return; }
    if (records.every(onlyTicks)) return; // a clock ticking: nothing to read
    schedule();
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true, characterDataOldValue: true });
  addEventListener('popstate', () => schedule(200));
  addEventListener('hashchange', () => schedule(200));
  // "Read the whole list" (popup): scrolls the page's list a window at a time (or presses its
  // "Load more"), reads each step before the next (a virtual list drops the rows it scrolled
  // past), and stops when the end no longer grows; bounded in rows, steps and time.
  const WHOLE = { ROWS: 5000, STEPS: 1500, MS: 180_000, SETTLE_MS: 50, GROW_WAIT_MS: 2500, STILL: 2 };
  let whole = { state: 'idle', rows: 0, steps: 0 };
  const rowKey = (row) => row.querySelector('a[href]')?.href || clip(row.textContent || '', 160);
  // Scroll events are dispatched when the page next renders: two frames on, the list has had
  // its chance to draw the rows now in view (a hidden tab may render no frames: then a second).
  const rendered = () => new Promise((resolve) => {
    const fallback = setTimeout(resolve, 1000);
    requestAnimationFrame(() => requestAnimationFrame(() => { clearTimeout(fallback); setTimeout(resolve, WHOLE.SETTLE_MS); }));
  });
  const until = async (done, ms) => {
    const end = now() + ms;
    while (!done() && now() < end) await new Promise((r) => setTimeout(r, 100));
  };
  const readWholeList = async () => {
    const run = { state: 'running', rows: 0, steps: 0 };
    whole = run;
    const seen = new Set();
    const note = () => {
      const list = listRoot(document);
      for (const row of list ? list.children : []) {
        if (seen.size >= WHOLE.ROWS) break;
        const key = rowKey(row);
        if (key.trim()) seen.add(key); // a virtual list's spacer rows hold nothing
      }
      run.rows = seen.size;
      return seen.size;
    };
    note();
    const first = listRoot(document);
    const startScroller = first && scrollerOf(first);
    const startTop = startScroller ? startScroller.scrollTop : 0;
    const started = now();
    let still = 0;
    try {
      while (run.state === 'running') {
        if (seen.size >= WHOLE.ROWS || run.steps >= WHOLE.STEPS || now() - started > WHOLE.MS) {
          run.state = 'capped';
          break;
        }
        run.steps += 1;
        const before = seen.size;
        const button = loadMoreButton(document);
        const list = listRoot(document);
        const scroller = list && scrollerOf(list);
        let atEnd = true;
        if (button) button.click();
        else if (scroller) {
          scroller.scrollTop += Math.max(200, scroller.clientHeight * 0.9);
          atEnd = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 4;
        } else break; // the list fits: it was read whole already
        await rendered();
        if (atEnd) await until(() => note() > before, WHOLE.GROW_WAIT_MS);
        note();
        await scan();
        if (seen.size > before) still = 0;
        else if (atEnd && ++still >= WHOLE.STILL) break;
      }
      if (run.state === 'running') run.state = 'done';
    } finally {
      if (startScroller) startScroller.scrollTop = startTop;
      forgetLive();
      schedule(0);
    }
  };
  runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (message && message.kind === 'scanPage') { forgetLive(); schedule(0); }
    if (message && message.kind === 'readWholeList') {
      if (whole.state !== 'running') readWholeList().catch(() => { whole.state = 'stopped'; });
      sendResponse(whole);
    }
    if (message && message.kind === 'wholeListStatus') sendResponse(whole);
    if (message && message.kind === 'stopWholeList') {
      if (whole.state === 'running') whole.state = 'stopped';
      sendResponse(whole);
    }
    // The options page tries a recipe on this page: its evidence goes back to the background
    // only (not on to be stored); messages reach here from the extension alone, never the page.
    if (message && message.kind === 'previewRecipe') {
      collect(document, { recipe: message.recipe || null }).then(
        ({ evidence }) => sendResponse({ evidence }),
        (err) => sendResponse({ error: String(err && err.message || err).slice(0, 200) }),
      );
      return true; // answered asynchronously
    }
    return false;
  });
  const start = () => runtime.sendMessage({ id: 3, body: { kind: 'siteRecipe' } })
    .then((answer) => { recipe = answer && answer.reply && answer.reply.kind === 'recipe' ? answer.reply.recipe : null; }, () => {})
    .finally(() => schedule(50));
  if (document.readyState === 'loading') addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})();
