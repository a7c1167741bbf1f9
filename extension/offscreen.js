// Chrome's offscreen document for the bulk import: the service worker cannot parse HTML, so it
// asks this page (created with reason DOM_PARSER only while an import runs) to read list pages.
// It answers our background alone: not content scripts, not other extensions.
import { readPage } from './page_reader.js';

const background = chrome.runtime.getURL('background.js');
chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (!message || message.target !== 'pageReader' || sender.id !== chrome.runtime.id
    || sender.tab || sender.url !== background) return false;
  readPage(message.request).then(sendResponse,
    (err) => sendResponse({ kind: 'network', message: String((err && err.message) || err) }));
  return true; // answered asynchronously
});
