// crm-bridge content script: puts the widget host (an extension page) into an enabled CRM page.
//
// Plain JavaScript on purpose: Chromium applies the page's CSP to WebAssembly compiled in a
// content script, so a CRM page with `script-src 'self'` would block a Wasm one
// (../shared/toolchain.md). It reads no page data and exposes none: the widget, the contacts and
// every message live inside the extension frame, which the page can neither read nor script.
// The frame sits in a closed shadow root so page scripts and styles cannot reach or restyle it.
(() => {
  if (globalThis.__crmBridgeWidget) return; // injected twice (registration + manual scan)
  globalThis.__crmBridgeWidget = true;

  const PANEL = { width: 320, height: 588 }; // widget 300×500 + our bar and status line
  const BUTTON = 52; // minimised round button
  const MARGIN = 16;
  const placementKey = `placement:${location.origin}`;

  const host = document.createElement('crm-bridge-phone');
  host.style.cssText =
    'all: initial; position: fixed; top: 0; left: 0; z-index: 2147483647; contain: layout;';
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
      .panel { width: ${PANEL.width}px; height: ${PANEL.height}px; display: flex; flex-direction: column;
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
      [hidden] { display: none !important; }`;
  const text = (key) => chrome.i18n.getMessage(key); // every UI string lives in _locales
  const minimise = element('button', { className: 'min', type: 'button', title: text('widgetMinimise'),
    'aria-label': text('widgetMinimise') }, '\u2013');
  const bar = element('div', { className: 'bar' }, element('span', { className: 'title' }, text('widgetTitle')), minimise);
  const frame = element('iframe', { allow: 'microphone; autoplay', title: text('widgetFrameTitle') });
  const panel = element('div', { className: 'panel', role: 'dialog', 'aria-label': text('widgetTitle') }, bar, frame);
  const fab = element('button', { className: 'fab', type: 'button', title: text('widgetOpen'),
    'aria-label': text('widgetOpen'), hidden: true }, '\u260e');
  root.append(style, panel, fab);
  // The widget host frames the phone only with a single-use ticket from the background, which
  // gives one only to this script on an enabled site; the fragment never leaves the browser and
  // the page cannot read the frame's address (closed shadow root, cross-origin frame).
  const hostUrl = chrome.runtime.getURL('widget.html?placement=floating');
  chrome.runtime.sendMessage({ id: 1, body: { kind: 'widgetTicket' } }).then((answer) => {
    const ticket = answer && answer.reply && answer.reply.kind === 'ticket' ? answer.reply.ticket : '';
    frame.src = `${hostUrl}#ticket=${encodeURIComponent(ticket)}`;
  }, () => { frame.src = hostUrl; }); // the host then explains that it was not admitted

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
    host.style.transform = `translate(${Math.round(place.x)}px, ${Math.round(place.y)}px)`;
  };
  const save = () => chrome.storage.local.set({ [placementKey]: place }).catch(() => {});

  const setMinimised = (minimised) => {
    if (minimised === place.minimised) return;
    const shift = { x: PANEL.width - BUTTON, y: PANEL.height - BUTTON };
    const sign = minimised ? 1 : -1;
    place = { x: place.x + sign * shift.x, y: place.y + sign * shift.y, minimised };
    render();
    save();
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

  // The background asks to take the widget away when the user switches the site off.
  chrome.runtime.onMessage.addListener((message) => {
    if (message && message.kind === 'removeWidget') {
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
  (document.body || document.documentElement).appendChild(host);
})();
