// Call waiting: a tab has at most two calls, one shown and one held. Accepting
// a call holds the connected one; switching holds the shown call and resumes
// the other.

import { otherCall, state } from './state.js';
import { renderCalls, showCall } from './callview.js';
import { setHold } from './incall.js';
import { hangupCall } from './ending.js';

/**
 * Makes room for an accepted call: a connected 1:1 call is held (call
 * waiting); a call still being set up, or a conference, ends. With two calls
 * already, the shown one ends.
 */
export function makeRoomForCall() {
  if (state.calls.length >= 2) hangupCall(state.call);
  for (const c of [...state.calls]) {
    if (c.state === 'connected' && !c.conf && c.id) {
      if (!c.holdLocal) setHold(c, true);
    } else {
      hangupCall(c);
    }
  }
}

/** Shows `target` and resumes it; the call shown until now is held (call waiting). */
export function switchTo(target) {
  const cur = state.call;
  if (!target || target.ended) return;
  if (cur && cur !== target && cur.state === 'connected' && !cur.conf && !cur.holdLocal) setHold(cur, true);
  if (target.state === 'connected' && target.holdLocal) setHold(target, false);
  if (cur !== target) showCall(target);
  renderCalls();
}

/** Switch call: shows and resumes the tab's other call. */
export function switchCall() {
  const other = otherCall(state.call);
  if (other) switchTo(other);
}
