// The signalling WebSocket of docs/signaling.md, with reconnect and backoff.
// A dropped socket does not end the calls: the reconnect names the tab the
// server gave in `hello` (ws?tab=ID), and the server resumes it with its
// calls (docs/signaling.md, "Reconnecting").
//
// Events (EventTarget):
//   'open'    – the socket is open (the server then sends `hello`)
//   'message' – detail: one parsed server message
//   'close'   – detail: {code, reason, willReconnect}

const MIN_BACKOFF_MS = 400;
const MAX_BACKOFF_MS = 10000;

/** Builds the ws(s):// URL of the `ws` endpoint relative to the page. */
export function socketURL(base = document.baseURI) {
  const url = new URL('ws', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  url.search = '';
  return url.href;
}

export class Signaling extends EventTarget {
  /**
   * @param {object} opts
   * @param {string} [opts.url] WebSocket URL (default: `ws` next to the page)
   * @param {() => Promise<boolean>} [opts.shouldReconnect] asked before every
   *   reconnect attempt; false stops for good (e.g. the session is gone).
   */
  constructor({ url = socketURL(), shouldReconnect = async () => true } = {}) {
    super();
    this.url = url;
    this.shouldReconnect = shouldReconnect;
    this.ws = null;
    this.running = false;
    this.attempt = 0;
    this.timer = null;
    this.reqSeq = 0;
    this.tabId = ''; // from `hello`: what a reconnect resumes
    this.opened = 0; // sockets opened so far (tests read it)
  }

  /** The URL of the next socket: the tab to resume, once the server named one. */
  connectURL() {
    if (!this.tabId) return this.url;
    const u = new URL(this.url);
    u.searchParams.set('tab', this.tabId);
    return u.href;
  }

  /** True while the socket is open. */
  get connected() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Connects and keeps reconnecting until stop(). */
  start() {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.connect();
  }

  /** Closes the socket and stops reconnecting. */
  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = null;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(1000, 'bye'); } catch { /* already closed */ }
    }
  }

  /** A fresh request id; the server echoes it in its direct reply. */
  nextReq() {
    this.reqSeq += 1;
    return `r${this.reqSeq}`;
  }

  /** Sends one message; returns false when the socket is not open. */
  send(msg) {
    if (!this.connected) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  connect() {
    const ws = new WebSocket(this.connectURL());
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.opened += 1;
      this.dispatchEvent(new CustomEvent('open'));
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        console.warn('xphone: ignoring a non-JSON message');
        return;
      }
      if (msg && typeof msg.type === 'string') {
        this.dispatchEvent(new CustomEvent('message', { detail: msg }));
      }
    };
    // onerror is always followed by onclose; all handling happens there.
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const willReconnect = this.running;
      this.dispatchEvent(new CustomEvent('close', {
        detail: { code: ev.code, reason: ev.reason, willReconnect },
      }));
      if (willReconnect) this.scheduleReconnect();
    };
  }

  scheduleReconnect() {
    // Exponential backoff with jitter, so that the tabs a server restart
    // dropped all at once do not come back in lockstep.
    const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.attempt);
    const delay = base * (0.5 + Math.random() * 0.5);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      this.timer = null;
      if (!this.running) return;
      let again = true;
      try {
        again = await this.shouldReconnect();
      } catch {
        again = true; // the server is unreachable: keep trying
      }
      if (!this.running) return;
      if (!again) {
        this.running = false;
        return;
      }
      this.connect();
    }, delay);
  }
}
