// The Transfer dialog of a 1:1 call (F19): a number, then Transfer now
// (blind: the other party is put through at once) or Consult (attended:
// the current call is held and the number is called first).

const $ = (id) => document.getElementById(id);

const el = {
  backdrop: $('transfer-backdrop'),
  form: $('transfer-form'),
  text: $('transfer-text'),
  input: $('transfer-input'),
  error: $('transfer-error'),
  now: $('transfer-now'),
  consult: $('transfer-consult'),
  cancel: $('transfer-cancel'),
};

/** The open dialog's {onBlind, onConsult, onClose}, or null. */
let current = null;

/** Trims what the user typed; keeps digits, *, # and a leading +. */
function target() {
  return el.input.value.replace(/[\s().-]/g, '');
}

/** Runs action(number) when a number was entered, else asks for one. */
function withTarget(action) {
  if (!current) return;
  const to = target();
  if (!to) {
    setError('Enter the number to transfer to');
    el.input.focus();
    return;
  }
  const handler = current[action];
  close();
  handler(to);
}

/** Wires the dialog's events once. */
export function init() {
  el.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    withTarget('onBlind'); // Enter in the field = Transfer now
  });
  el.consult.addEventListener('click', () => withTarget('onConsult'));
  el.cancel.addEventListener('click', cancel);
  el.backdrop.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      cancel();
    }
  });
  el.input.addEventListener('input', () => setError(''));
}

/**
 * Opens the dialog for the call with `peer`. `canConsult` is false when the
 * tab has no room for a consultation call. onBlind(to) and onConsult(to)
 * act; onClose() runs when the dialog closes without acting.
 */
export function open({ peer, canConsult, onBlind, onConsult, onClose = () => {} }) {
  current = { onBlind, onConsult, onClose };
  el.text.textContent = `Put ${peer} through to another number.`;
  el.consult.disabled = !canConsult;
  el.consult.title = canConsult ? 'Call the number first, then complete the transfer' : 'End the other call first';
  setError('');
  el.input.value = '';
  el.backdrop.hidden = false;
  el.input.focus();
}

export function isOpen() {
  return !!current;
}

/** Shows why a transfer was refused. */
export function setError(text) {
  el.error.textContent = text || '';
  el.input.setAttribute('aria-invalid', text ? 'true' : 'false');
}

/** Closes the dialog without transferring. */
export function cancel() {
  if (!current) return;
  const { onClose } = current;
  close();
  onClose();
}

function close() {
  current = null;
  el.backdrop.hidden = true;
  el.error.textContent = '';
}
