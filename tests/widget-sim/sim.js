// Widget simulator: behaves like RingCentral Embeddable seen from its host window.
// Like the real widget (protocol.md §2.2) it posts everything to window.parent with target '*'
// and matches answers by responseId only.
const log = document.getElementById('log');
const note = (text, kind = '') => {
  const item = document.createElement('li');
  item.textContent = text;
  if (kind) item.className = kind;
  log.append(item);
};
const pending = new Map();

function request(path, body) {
  const requestId = crypto.randomUUID();
  window.parent.postMessage({ type: 'rc-post-message-request', requestId, path, body }, '*');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { pending.delete(requestId); reject(new Error(`timeout on ${path}`)); }, 3000);
    pending.set(requestId, (response) => { clearTimeout(timer); resolve(response); });
  });
}

window.addEventListener('message', (event) => {
  const message = event.data || {};
  if (message.type === 'rc-post-message-response' && pending.has(message.responseId)) {
    const settle = pending.get(message.responseId);
    pending.delete(message.responseId);
    settle(message.response);
  } else if (message.type === 'rc-adapter-register-third-party-service') {
    note(`Service registered: ${message.service && message.service.name}`, 'ok');
  }
});

window.parent.postMessage({ type: 'rc-login-status-notify', loggedIn: false, loginNumber: '' }, '*');
note('Posted rc-login-status-notify');
request('/sim/hello', { from: 'widget-sim' }).then((response) => {
  note(`Host answered a service request (data: ${JSON.stringify(response && response.data)})`, 'ok');
  document.body.dataset.relay = 'answered';
}, (error) => {
  note(`No answer from the host: ${error.message}`, 'fail');
  document.body.dataset.relay = 'timeout';
});
