// crm-bridge content script: puts the widget host (an extension page) into an enabled CRM page.
//
// Plain JavaScript on purpose: Chromium applies the page's CSP to WebAssembly compiled in a
// content script, so a CRM page with `script-src 'self'` would block a Wasm one
// (docs/toolchain.md). It reads no page data and exposes none: the widget, the contacts and
// every message live inside the extension frame, which the page can neither read nor script.
// The page is hostile by default (docs/security.md):
// - the frame sits in a closed shadow root on a built-in element, so no page script can reach
//   it (a custom tag would let a page that defined it first take the root through
//   attachInternals);
// - the frame's address holds no secret: the host inside asks the background for a claim code
//   bound to its own frame and shows it here; this script vouches for it over the runtime
//   channel only when it came from its own frame's window;
// - inline !important styles keep the phone opaque and on top, a guard pauses the phone
//   whenever the page fades, filters, clips or shrinks it, and (Chromium) each part of it the
//   page draws over takes its clicks itself, so a click never lands on a phone the user
//   cannot see.
(() => {
  if (globalThis.__crmBridgeWidget) return; // injected twice (registration + manual scan)
  globalThis.__crmBridgeWidget = true;

  const PANEL = { width: 320, height: 588 }; // widget 300×500 + our bar and status line
  const BUTTON = 52; // minimised round button
  const MARGIN = 16;
  const GUARD_MS = 300; // how often the guard looks at the phone
  const CLEAR_FOR_MS = 600; // how long the phone must be in plain view before it works again
  const MAX_CLAIMS = 20; // codes vouched for in this page's lifetime (one per host load)
  const placementKey = `placement:${location.origin}`;

  const host = document.createElement('div');
  host.setAttribute('data-crm-bridge', 'phone');
  // Every property that could hide, shrink, move or blend the phone, pinned inline and
  // !important: no page rule outranks an inline !important declaration.
  const PINNED = {
    all: 'initial', position: 'fixed', top: '0px', left: '0px', right: 'auto', bottom: 'auto',
    width: 'auto', height: 'auto', margin: '0px', padding: '0px', display: 'block',
    visibility: 'visible', opacity: '1', filter: 'none', 'backdrop-filter': 'none',
    'clip-path': 'none', mask: 'none', 'mix-blend-mode': 'normal', isolation: 'isolate',
    contain: 'layout', 'pointer-events': 'auto', transition: 'none', animation: 'none',
    'z-index': '2147483647', zoom: '1', 'content-visibility': 'visible', rotate: 'none',
    scale: 'none', translate: 'none', 'transform-origin': '0px 0px',
  };
  let transform = 'none';
  let pinnedStyle = '';
  const pin = () => {
    for (const { name } of [...host.attributes]) if (name !== 'data-crm-bridge') host.removeAttribute(name);
    for (const [name, value] of Object.entries(PINNED)) host.style.setProperty(name, value, 'important');
    host.style.setProperty('transform', transform, 'important');
    pinnedStyle = host.getAttribute('style');
  };
  pin();
  // A page that rewrites the host's attributes (style, hidden, inert, popover…) gets them put
  // back at once.
  new MutationObserver(() => {
    if (host.getAttribute('style') !== pinnedStyle || host.attributes.length !== 2) pin();
  }).observe(host, { attributes: true });

  const root = host.attachShadow({ mode: 'closed' });
  // Built with DOM calls, never from markup strings: nothing here can carry page input.
  const element = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key in node && key !== 'role') node[key] = value; else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  };
  const style = element('style');
  style.textContent = `
      :host { all: initial; }
      .panel { position: relative; width: ${PANEL.width}px; height: ${PANEL.height}px; display: flex; flex-direction: column;
        background: #fff; border-radius: 10px; overflow: hidden;
        box-shadow: 0 8px 28px rgba(16, 24, 40, .28), 0 0 0 1px rgba(16, 24, 40, .08);
        font: 13px/1.2 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
      .bar { height: 32px; flex: none; display: flex; align-items: center; gap: 8px; padding: 0 6px 0 12px;
        background: #0a6cf5; color: #fff; cursor: grab; user-select: none; touch-action: none; }
      .bar.dragging { cursor: grabbing; }
      .title { flex: 1; font-weight: 600; letter-spacing: .2px; }
      button { font: inherit; border: 0; cursor: pointer; }
      .min { width: 26px; height: 26px; border-radius: 6px; background: transparent; color: #fff;
        font-size: 18px; line-height: 1; }
      .min:hover, .min:focus-visible { background: rgba(255, 255, 255, .2); outline: none; }
      iframe { flex: 1; width: 100%; border: 0; display: block; }
      .dragging + iframe { pointer-events: none; }
      .fab { width: ${BUTTON}px; height: ${BUTTON}px; border-radius: 50%; background: #0a6cf5;
        color: #fff; font-size: 22px; box-shadow: 0 6px 18px rgba(16, 24, 40, .3); }
      .fab:focus-visible { outline: 3px solid #1d2433; outline-offset: 2px; }
      .body { position: relative; flex: 1; display: flex; }
      .shield { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
        padding: 24px; text-align: center; background: rgba(255, 255, 255, .94); color: #1d2433;
        font-size: 14px; line-height: 1.4; cursor: not-allowed; }
      .shield.quiet { background: transparent; color: transparent; }
      .cell { position: absolute; pointer-events: none; }
      .cell.blocked { pointer-events: auto; cursor: not-allowed; }
      [hidden] { display: none !important; }`;
  const text = (key) => chrome.i18n.getMessage(key); // every UI string lives in _locales
  const minimise = element('button', { className: 'min', type: 'button', title: text('widgetMinimise'),
    'aria-label': text('widgetMinimise') }, '\u2013');
  const bar = element('div', { className: 'bar' }, element('span', { className: 'title' }, text('widgetTitle')), minimise);
  const frame = element('iframe', { allow: 'microphone; autoplay', title: text('widgetFrameTitle') });
  const shield = element('div', { className: 'shield', role: 'status', hidden: true }, text('widgetPaused'));
  // A grid over the phone, above everything in it: each cell that something of the page is
  // drawn over (even with pointer-events: none) takes the clicks there itself (see the guard).
  const GRID = { columns: 4, rows: 6 };
  const cells = Array.from({ length: GRID.columns * GRID.rows }, (_, i) => {
    const cell = element('div', { className: 'cell', 'aria-hidden': 'true' });
    const [column, row] = [i % GRID.columns, Math.floor(i / GRID.columns)];
    cell.style.cssText = `left:${(100 * column) / GRID.columns}%;top:${(100 * row) / GRID.rows}%;`
      + `width:${100 / GRID.columns}%;height:${100 / GRID.rows}%`;
    return cell;
  });
  const body = element('div', { className: 'body' }, frame, shield);
  const panel = element('div', { className: 'panel', role: 'dialog', 'aria-label': text('widgetTitle') }, bar, body, ...cells);
  const fab = element('button', { className: 'fab', type: 'button', title: text('widgetOpen'),
    'aria-label': text('widgetOpen'), hidden: true }, '\u260e');
  root.append(style, panel, fab);
  // Admission (background/tickets.rs): the host shows this window the claim code the background
  // bound to its frame; only a code from our own frame's window, from our own origin, is
  // vouched for. The page sees the code too, and can do nothing with it.
  const ownOrigins = new Set([new URL(chrome.runtime.getURL('')).origin]);
  if (chrome.runtime.getURL('').startsWith('chrome-extension:')) {
    ownOrigins.add(`chrome-extension://${chrome.runtime.id}`); // a dynamic URL loads from the static origin
  }
  let claims = 0;
  addEventListener('message', (event) => {
    const data = event.data;
    if (event.source !== frame.contentWindow || !ownOrigins.has(event.origin)) return;
    if (!data || data.crmBridge !== 'claim' || typeof data.code !== 'string' || data.code.length > 128) return;
    if (++claims > MAX_CLAIMS) return;
    const vouched = event.origin;
    chrome.runtime.sendMessage({ id: claims, body: { kind: 'vouchForHost', code: data.code } }).then((answer) => {
      if (answer && answer.reply && answer.reply.kind === 'vouched' && answer.reply.ok) {
        frame.contentWindow?.postMessage({ crmBridge: 'vouched' }, vouched);
      }
    }, () => {}); // unanswered: the host explains that it was not admitted
  });
  // A per-session address where the browser has one (Chromium's use_dynamic_url).
  frame.src = chrome.runtime.getURL('widget.html?placement=floating');

  // Position of the panel's top-left corner; minimised, the button keeps the panel's corner.
  let place = {
    x: innerWidth - PANEL.width - MARGIN,
    y: innerHeight - PANEL.height - MARGIN,
    minimised: false,
  };

  const size = () => (place.minimised ? { width: BUTTON, height: BUTTON } : PANEL);
  const clamp = () => {
    const { width, height } = size();
    place.x = Math.min(Math.max(0, place.x), Math.max(0, innerWidth - width));
    place.y = Math.min(Math.max(0, place.y), Math.max(0, innerHeight - height));
  };
  const render = () => {
    clamp();
    panel.hidden = place.minimised;
    fab.hidden = !place.minimised;
    transform = `translate(${Math.round(place.x)}px, ${Math.round(place.y)}px)`;
    pin();
  };
  const save = () => chrome.storage.local.set({ [placementKey]: place }).catch(() => {});

  const setMinimised = (minimised) => {
    if (minimised === place.minimised) return;
    const shift = { x: PANEL.width - BUTTON, y: PANEL.height - BUTTON };
    const sign = minimised ? 1 : -1;
    place = { x: place.x + sign * shift.x, y: place.y + sign * shift.y, minimised };
    render();
    save();
    if (!minimised) guard(); // a phone shown again is looked at before it takes a click
    (minimised ? fab : minimise).focus();
  };
  minimise.addEventListener('click', () => setMinimised(true));
  fab.addEventListener('click', () => setMinimised(false));

  bar.addEventListener('pointerdown', (down) => {
    if (down.button !== 0 || down.target.closest('button')) return;
    const start = { x: place.x, y: place.y, px: down.clientX, py: down.clientY };
    bar.setPointerCapture(down.pointerId);
    bar.classList.add('dragging');
    const move = (event) => {
      place.x = start.x + event.clientX - start.px;
      place.y = start.y + event.clientY - start.py;
      render();
    };
    const end = () => {
      bar.classList.remove('dragging');
      bar.removeEventListener('pointermove', move);
      save();
    };
    bar.addEventListener('pointermove', move);
    bar.addEventListener('lostpointercapture', end, { once: true });
  });
  addEventListener('resize', render, { passive: true });

  // The guard: the phone takes no clicks while the page covers it, makes it transparent,
  // filters, clips or shrinks it (a click meant for the page must never land on a phone the
  // user cannot see), and only after it has been in plain view for CLEAR_FOR_MS again.
  const hidingFilter = (filter) => {
    if (filter === 'none') return false;
    if (/url\(/.test(filter)) return true;
    for (const [, name, arg] of filter.matchAll(/([a-z-]+)\(([^)]*)\)/g)) {
      const amount = parseFloat(arg) * (arg.trim().endsWith('%') ? 0.01 : 1);
      if (name === 'opacity' && amount < 0.95) return true;
      if (name === 'blur' && amount > 0) return true;
      if ((name === 'brightness' || name === 'contrast') && (amount < 0.5 || amount > 3)) return true;
      if (name === 'invert' && amount > 0.3 && amount < 0.7) return true;
    }
    return false;
  };
  // A transform on the root reaches the phone only through its box, which is checked below.
  const problem = () => {
    if (!host.isConnected) return 'detached';
    for (let node = host; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (parseFloat(style.opacity) < 0.95) return 'transparent';
      if (style.visibility !== 'visible' || style.display === 'none') return 'hidden';
      if (hidingFilter(style.filter)) return 'filtered';
      if (node !== host && (style.clipPath !== 'none' || (style.mask || 'none') !== 'none')) return 'clipped';
    }
    const box = panel.getBoundingClientRect();
    if (Math.abs(box.width - PANEL.width) > 1 || Math.abs(box.height - PANEL.height) > 1) return 'resized';
    // An opaque cover that takes the clicks needs nothing from us: the click lands on it, and
    // the user sees that it is not the phone. What it draws over cells is handled per cell.
    return null;
  };
  let clearSince = 0;
  let paused = false;
  let spoiled = false; // the page hid the phone since it was last in plain view
  const setPaused = (on) => {
    paused = on;
    shield.hidden = !on;
    shield.classList.toggle('quiet', !spoiled); // blocks, says nothing, before the first look
    frame.inert = on;
  };
  const guard = () => {
    if (place.minimised) return paused && setPaused(false);
    const now = performance.now();
    if (problem()) {
      clearSince = 0;
      spoiled = true;
      if (!paused || shield.classList.contains('quiet')) setPaused(true);
    } else if (paused) {
      clearSince ||= now;
      if (!spoiled || now - clearSince >= CLEAR_FOR_MS) {
        spoiled = false;
        setPaused(false);
      }
    }
  };
  setPaused(true); // until the first look says the phone is in plain view
  const guardTimer = setInterval(guard, GUARD_MS);
  if (typeof IntersectionObserverEntry !== 'undefined' && 'isVisible' in IntersectionObserverEntry.prototype) {
    // IntersectionObserver v2 sees what hit testing cannot: anything drawn over a cell, also
    // a decoy with pointer-events: none. Such a cell blocks clicks at once, and lets them
    // through again only after CLEAR_FOR_MS in plain view.
    const cleared = new WeakMap();
    const watcher = new IntersectionObserver((entries) => {
      for (const { target, isIntersecting, isVisible } of entries) {
        clearTimeout(cleared.get(target));
        if (isIntersecting && !isVisible) target.classList.add('blocked');
        else cleared.set(target, setTimeout(() => target.classList.remove('blocked'), CLEAR_FOR_MS));
      }
    }, { trackVisibility: true, delay: 100, threshold: [0, 1] });
    for (const cell of cells) watcher.observe(cell);
  }

  // The background asks to take the widget away when the user switches the site off.
  chrome.runtime.onMessage.addListener((message) => {
    if (message && message.kind === 'removeWidget') {
      clearInterval(guardTimer);
      host.remove();
      globalThis.__crmBridgeWidget = false;
    }
  });

  chrome.storage.local.get(placementKey).then((items) => {
    const saved = items[placementKey];
    if (saved && Number.isFinite(saved.x) && Number.isFinite(saved.y)) {
      place = { x: saved.x, y: saved.y, minimised: Boolean(saved.minimised) };
    }
    render();
  }, render);

  render();
  // On the root element, after the body: no page element but the root is an ancestor whose
  // transform, filter or opacity could reach the phone (the guard checks that one).
  document.documentElement.appendChild(host);
  setTimeout(guard, 0); // the first look, as soon as the phone is laid out
})();
