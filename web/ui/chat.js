// The room's chat panel (docs/signaling.md, "Meetings"): a log of
// "NAME: text" lines and a Message box. Text is put on the page as text
// (textContent), never as markup: a message can show "<b>" but never run
// anything. Messages that arrive while the panel is closed count as unread
// on the Chat button's badge.

const $ = (id) => document.getElementById(id);

/** Lines kept in the log (the server keeps the room's history). */
const MAX_LINES = 500;

export class ChatView {
  /** @param {(text: string) => boolean} onSend sends a message; false when it could not */
  constructor(onSend) {
    this.panel = $('chat-panel');
    this.log = $('chat-log');
    this.form = $('chat-form');
    this.input = $('chat-input');
    this.error = $('chat-error');
    this.button = $('chat-toggle');
    this.badge = $('chat-badge');
    this.unreadText = $('chat-unread');
    this.onSend = onSend;
    this.seen = new Set(); // message ids in the log
    this.unread = 0;
    this.onSubmit = (ev) => {
      ev.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      if (this.onSend(text)) {
        this.input.value = '';
        this.setError('');
      }
    };
    this.form.addEventListener('submit', this.onSubmit);
  }

  get open() {
    return !this.panel.hidden;
  }

  /** Opens or closes the panel; opening reads everything. */
  setOpen(open) {
    this.panel.hidden = !open;
    this.button.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) {
      this.setUnread(0);
      this.log.scrollTop = this.log.scrollHeight;
      this.input.focus();
    }
  }

  /** Adds messages ({id, number, name, text}); history replaces the log. */
  add(messages, history) {
    if (history) {
      this.log.replaceChildren();
      this.seen.clear();
    }
    let fresh = 0;
    for (const m of messages) {
      if (!m || typeof m.text !== 'string' || this.seen.has(m.id)) continue;
      this.seen.add(m.id);
      this.log.append(line(m));
      fresh++;
    }
    while (this.log.childElementCount > MAX_LINES) this.log.firstElementChild.remove();
    this.log.scrollTop = this.log.scrollHeight;
    if (!history && !this.open) this.setUnread(this.unread + fresh);
  }

  setUnread(n) {
    this.unread = n;
    this.badge.hidden = n === 0;
    this.badge.textContent = n > 99 ? '99+' : String(n);
    this.unreadText.textContent = n ? `${n} unread` : '';
    this.button.dataset.unread = String(n);
  }

  setError(text) {
    this.error.textContent = text || '';
  }

  /** Empties the panel when the call ends. */
  destroy() {
    this.form.removeEventListener('submit', this.onSubmit);
    this.setOpen(false);
    this.log.replaceChildren();
    this.input.value = '';
    this.setError('');
    this.setUnread(0);
  }
}

/** One "NAME: text" line; the time goes in a tooltip. */
function line(m) {
  const p = document.createElement('p');
  p.className = 'chat-line';
  const who = document.createElement('span');
  who.className = 'chat-who';
  who.textContent = `${m.name || m.number}: `;
  const text = document.createElement('span');
  text.className = 'chat-text';
  text.textContent = m.text;
  p.append(who, text);
  if (m.at) p.title = new Date(m.at).toLocaleTimeString();
  return p;
}
