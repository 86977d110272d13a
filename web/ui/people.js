// The Users panel (docs/signaling.md, "Meetings"): everyone in the room with
// a raised hand or a muted microphone marked; for moderators per-person
// "Mute NUMBER" (pressed while a moderator's mute holds) and "Remove NUMBER"
// buttons, and the room's "Lock room" toggle. The server checks every
// action again; the panel only offers them.

const $ = (id) => document.getElementById(id);

export class PeopleView {
  /**
   * @param {{moderate(action: string, member: string, on: boolean): void}} actions
   */
  constructor(actions) {
    this.panel = $('users-panel');
    this.list = $('people-list');
    this.lock = $('lock-room');
    this.actions = actions;
    this.locked = false;
    this.onLock = () => this.actions.moderate('lock', '', !this.locked);
    this.lock.addEventListener('click', this.onLock);
  }

  get open() {
    return !this.panel.hidden;
  }

  setOpen(open) {
    this.panel.hidden = !open;
  }

  /**
   * Redraws the list. roster: [{id, number, name, muted, mod_muted, hand,
   * moderator}]; self: this participant's id; moderator: may moderate.
   */
  update(roster, self, moderator, locked) {
    this.locked = !!locked;
    this.lock.hidden = !moderator;
    this.lock.setAttribute('aria-pressed', locked ? 'true' : 'false');
    this.lock.title = locked ? 'Unlock room' : 'Lock room';
    const rows = roster.map((m) => this.row(m, m.id === self, moderator));
    this.list.replaceChildren(...rows);
  }

  row(m, self, moderator) {
    const li = document.createElement('li');
    li.className = 'people-row';
    li.dataset.member = m.id;
    li.dataset.hand = m.hand ? 'true' : 'false';
    li.dataset.muted = m.muted ? 'true' : 'false';
    const who = document.createElement('span');
    who.className = 'people-who';
    who.textContent = `${m.number} ${m.name || ''}`.trim() + (self ? ' (you)' : '');
    li.append(who);
    const marks = document.createElement('span');
    marks.className = 'people-marks';
    if (m.hand) marks.append(mark('people-hand', '✋', 'Hand raised'));
    if (m.muted) marks.append(mark('people-muted', '🔇', m.mod_muted ? 'Muted by moderator' : 'Muted'));
    if (m.moderator) marks.append(mark('people-mod', '★', 'Moderator'));
    li.append(marks);
    if (moderator && !self) {
      const mute = button(`Mute ${m.number}`, m.mod_muted ? 'Unmute' : 'Mute', 'people-mute');
      mute.setAttribute('aria-pressed', m.mod_muted ? 'true' : 'false');
      mute.addEventListener('click', () => this.actions.moderate('mute', m.id, !m.mod_muted));
      const remove = button(`Remove ${m.number}`, 'Remove', 'people-remove');
      remove.addEventListener('click', () => this.actions.moderate('remove', m.id, true));
      li.append(mute, remove);
    }
    return li;
  }

  destroy() {
    this.lock.removeEventListener('click', this.onLock);
    this.setOpen(false);
    this.list.replaceChildren();
    this.lock.hidden = true;
  }
}

function mark(className, glyph, label) {
  const s = document.createElement('span');
  s.className = `people-mark ${className}`;
  s.setAttribute('role', 'img');
  s.setAttribute('aria-label', label);
  s.title = label;
  s.textContent = glyph;
  return s;
}

function button(name, caption, className) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `btn btn-small ${className}`;
  b.setAttribute('aria-label', name);
  b.title = name;
  b.textContent = caption;
  return b;
}
