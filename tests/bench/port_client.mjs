// The extension-page side of the worker's port, as source text for `page.evaluate` (which
// cannot import): `eval(PORT_CLIENT)(name)` opens a port, waits for `ready`, and resolves with
// `{ port, ask }`, where `ask(body)` sends one request and resolves with its reply.

export const PORT_CLIENT = `
  (async function connect(name) {
    const port = chrome.runtime.connect({ name });
    await new Promise((resolve) => port.onMessage.addListener(function ready(m) { if (m.kind === 'ready') { port.onMessage.removeListener(ready); resolve(); } }));
    let id = 0;
    const ask = (body) => new Promise((resolve) => {
      id += 1; const mine = id;
      port.onMessage.addListener(function on(m) { if (m.kind === 'reply' && m.id === mine) { port.onMessage.removeListener(on); resolve(m.reply); } });
      port.postMessage({ id: mine, body });
    });
    return { port, ask };
  })`;
