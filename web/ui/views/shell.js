// The frame around the phone: which view shows (loading, login, main), the
// login form's state, the user top right, the connection badge, the
// page's static texts in the current language.

import { currentLang, t } from '../i18n.js';
import {
  applyStaticTexts, el, setAttr, setDisabled, setPressed, setText, show, textOf,
} from './dom.js';

let textsLang = '';
let lastView = '';

export function renderShell(s) {
  if (s.view !== lastView) {
    // The password never outlives the form's use.
    if (s.view === 'login' || lastView === 'login') el.loginPassword.value = '';
    lastView = s.view;
  }
  if (textsLang !== currentLang()) {
    applyStaticTexts();
    textsLang = currentLang();
  }
  show(el.loadingView, s.view === 'loading');
  show(el.loginView, s.view === 'login');
  show(el.mainView, s.view === 'main');
  setText(el.loginError, textOf(s.login.error));
  setDisabled(el.loginSubmit, s.login.busy);
  setAttr(el.loginForm, 'aria-busy', s.login.busy ? 'true' : 'false');
  const ext = s.me ? s.me.ext : '';
  setText(el.userExt, ext);
  setText(el.userName, s.me ? s.me.name : '');
  const title = ext ? `Xphone – ${ext}` : 'Xphone';
  if (document.title !== title) document.title = title;
  show(el.connBadge, s.view === 'main' && s.conn.lost);
  setText(el.connBadge, t(s.conn.refused ? 'conn.disconnected' : 'conn.reconnecting'));
  setPressed(el.dnd, s.dnd);
}
