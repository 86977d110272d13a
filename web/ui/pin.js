// The PIN dialog of protected conference rooms: opened when a dial ends with
// `pin_required` or `wrong_pin`; Join dials the room again with the PIN.

const $ = (id) => document.getElementById(id);

const el = {
  backdrop: $('pin-backdrop'),
  form: $('pin-form'),
  text: $('pin-text'),
  input: $('pin-input'),
  error: $('pin-error'),
  cancel: $('pin-cancel'),
};

/** The open dialog's {number, video, onJoin, onCancel}, or null. */
let current = null;

/** Wires the dialog's events once. */
export function init() {
  el.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!current) return;
    const pin = el.input.value.replace(/\s+/g, '');
    if (!pin) {
      el.error.textContent = 'Enter the PIN';
      el.input.focus();
      return;
    }
    const { number, video, onJoin } = current;
    close();
    onJoin({ number, video, pin });
  });
  el.cancel.addEventListener('click', cancel);
  el.backdrop.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      cancel();
    }
  });
}

/**
 * Opens the dialog for room `number`; `wrong` shows that the last PIN was
 * refused. onJoin({number, video, pin}) places the call again.
 */
export function open({ number, video, wrong, onJoin, onCancel = () => {} }) {
  current = { number, video, onJoin, onCancel };
  el.text.textContent = `Conference ${number} is protected. Enter its PIN to join.`;
  el.error.textContent = wrong ? 'Wrong PIN. Please try again.' : '';
  el.input.value = '';
  el.input.setAttribute('aria-invalid', wrong ? 'true' : 'false');
  el.backdrop.hidden = false;
  el.input.focus();
}

export function isOpen() {
  return !!current;
}

/** Closes the dialog without joining. */
export function cancel() {
  if (!current) return;
  const { onCancel } = current;
  close();
  onCancel();
}

function close() {
  current = null;
  el.backdrop.hidden = true;
  el.input.value = '';
  el.error.textContent = '';
}
