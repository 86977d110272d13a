// The Settings dialog: Microphone, Camera and Speaker (where the browser
// lets a page choose the output), the live Microphone level, and the
// Language select (also on the login form).

import { LANGS, currentLang, nameOf, t } from '../i18n.js';
import {
  el, node, setAttr, show,
} from './dom.js';

let open = false;

/** Fills a select with options [{value, label}] and selects value. */
function fillSelect(select, options, value) {
  const sig = JSON.stringify(options);
  if (select.dataset.sig !== sig) {
    select.dataset.sig = sig;
    select.replaceChildren(...options.map((o) => {
      const opt = node('option', '', o.label);
      opt.value = o.value;
      return opt;
    }));
  }
  if (select.value !== value) select.value = value;
}

/** A device list as options: the browser's default first, then each device by name. */
function deviceOptions(list, defaultKey, unnamedKey) {
  return [{ value: '', label: t(defaultKey) }, ...list.map((d) => ({ value: d.id, label: d.label || t(unnamedKey, { n: d.n }) }))];
}

function renderLanguage() {
  const options = LANGS.map((l) => ({ value: l, label: nameOf(l) }));
  fillSelect(el.loginLang, options, currentLang());
  fillSelect(el.settingsLang, options, currentLang());
}

export function renderSettings(s) {
  renderLanguage();
  show(el.settingsBackdrop, s.settings);
  if (!s.settings) {
    open = false;
    return;
  }
  const d = s.devices;
  fillSelect(el.settingsMic, deviceOptions(d.mics, 'settings.default_mic', 'settings.mic_n'), d.mic);
  fillSelect(el.settingsCamera, deviceOptions(d.cameras, 'settings.default_camera', 'settings.camera_n'), d.camera);
  show(el.speakerField, d.speakerSupported);
  fillSelect(el.settingsSpeaker, deviceOptions(d.speakers, 'settings.default_speaker', 'settings.speaker_n'), d.speaker);
  setAttr(el.micLevel, 'aria-valuenow', String(d.level));
  setAttr(el.micLevel, 'aria-valuetext', t('settings.level_text', { level: d.level }));
  el.micLevel.style.setProperty('--level', `${d.level}%`);
  if (!open) el.settingsMic.focus();
  open = true;
}
