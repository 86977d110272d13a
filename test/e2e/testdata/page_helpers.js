// Test helpers injected into every document before the page's own scripts
// (Page.addScriptToEvaluateOnNewDocument). They find elements the way a user
// or a screen reader does: by role and accessible name, visible ones only.
// They also record every text the role=status element shows, so a test can
// assert on a status that was only visible briefly.
(() => {
  if (window.__xpt) return;

  const INPUT_TEXTBOX = new Set(['', 'text', 'tel', 'password', 'email', 'search', 'url']);

  /** The element's role: explicit role attribute, else a small implicit map. */
  function roleOf(el) {
    const explicit = el.getAttribute('role');
    if (explicit) return explicit.trim().split(/\s+/)[0];
    switch (el.tagName) {
      case 'BUTTON': return 'button';
      case 'INPUT': {
        const type = (el.getAttribute('type') || '').toLowerCase();
        if (INPUT_TEXTBOX.has(type)) return 'textbox';
        if (type === 'button' || type === 'submit' || type === 'reset') return 'button';
        return type;
      }
      case 'TEXTAREA': return 'textbox';
      case 'SELECT': return el.multiple ? 'listbox' : 'combobox';
      case 'DIALOG': return 'dialog';
      case 'A': return el.hasAttribute('href') ? 'link' : '';
      default: return '';
    }
  }

  const squash = (s) => (s || '').replace(/\s+/g, ' ').trim();

  /** Text of a subtree, skipping aria-hidden parts (a simplified name-from-content). */
  function textOf(node) {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeType !== Node.ELEMENT_NODE) return '';
    if (node.getAttribute('aria-hidden') === 'true') return '';
    if (node.hasAttribute('aria-label')) return ' ' + node.getAttribute('aria-label') + ' ';
    let out = '';
    for (const child of node.childNodes) out += textOf(child);
    return out;
  }

  /** A simplified accessible name: labelledby, aria-label, <label>, content, title. */
  function nameOf(el) {
    const by = el.getAttribute('aria-labelledby');
    if (by) {
      const text = by.split(/\s+/).map((id) => {
        const ref = document.getElementById(id);
        return ref ? textOf(ref) : '';
      }).join(' ');
      if (squash(text)) return squash(text);
    }
    if (el.hasAttribute('aria-label')) return squash(el.getAttribute('aria-label'));
    if (el.labels && el.labels.length) {
      return squash([...el.labels].map((l) => textOf(l)).join(' '));
    }
    if (['button', 'link', 'tab', 'menuitem'].includes(roleOf(el))) {
      const text = squash(textOf(el));
      if (text) return text;
    }
    return squash(el.getAttribute('title') || '');
  }

  /** Visible = rendered with a box, not visibility:hidden (opacity does not count). */
  function isVisible(el) {
    if (!el.isConnected) return false;
    if (el.checkVisibility && !el.checkVisibility({ visibilityProperty: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }

  function all(role) {
    return [...document.querySelectorAll('*')].filter((el) => roleOf(el) === role);
  }

  /** The first visible element with this role and exact accessible name. */
  function find(role, name) {
    return all(role).find((el) => isVisible(el) && nameOf(el) === name) || null;
  }

  /** Names of visible elements with this role (for error messages). */
  function names(role) {
    return all(role).filter(isVisible).map(nameOf);
  }

  /** Visible text of the first visible element with this role ('' if none). */
  function text(role) {
    const el = all(role).find(isVisible);
    return el ? squash(el.textContent) : null;
  }

  /** Center of the element in viewport coordinates, after scrolling it into view. */
  function center(role, name) {
    const el = find(role, name);
    if (!el) return null;
    el.scrollIntoView({ block: 'center', inline: 'center' });
    const r = el.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2, disabled: !!el.disabled };
  }

  /** A snapshot of what a user would see, for failure messages. */
  function describe() {
    const roles = ['button', 'textbox', 'status', 'timer', 'alert', 'dialog'];
    const out = {};
    for (const r of roles) out[r] = all(r).filter(isVisible).map((el) => nameOf(el) || squash(el.textContent));
    out.state = window.xphone ? window.xphone.state() : null;
    out.statusLog = statusLog.slice(-10);
    return out;
  }

  const statusLog = [];
  function watchStatus() {
    const el = document.querySelector('[role="status"]');
    if (!el) return;
    const record = () => {
      const t = squash(el.textContent);
      if (t && statusLog[statusLog.length - 1] !== t) statusLog.push(t);
    };
    new MutationObserver(record).observe(el, { childList: true, characterData: true, subtree: true });
    record();
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', watchStatus);
  } else {
    watchStatus();
  }

  window.__xpt = { roleOf, nameOf, isVisible, find, names, text, center, describe, statusLog };
})();
