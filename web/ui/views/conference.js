// The conference part of the card, drawn from the shown call's room state
// (rooms.js): one ConferenceView (tiles.js) while a room call is shown.

import { t } from '../i18n.js';
import { ConferenceView } from './tiles.js';
import { streamOf } from './phone.js';

let view = null;

/** Member id → the mid of the video transceiver showing them (latest video-slots). */
function videoMids(conf) {
  const out = new Map();
  if (conf.mode === 'none') return out;
  for (const sl of conf.slots) {
    if (sl.member) out.set(sl.member, sl.mid);
  }
  return out;
}

/** The tiles' model: {mode, featured, members, roster} (tiles.js). */
function modelOf(s, call) {
  const conf = call.conf;
  const me = s.me || { ext: '', name: '' };
  const mids = videoMids(conf);
  const members = [];
  for (const m of conf.roster) {
    if (m.id === conf.self) continue;
    const track = mids.has(m.id) ? call.videoTracks.get(mids.get(m.id)) : null;
    members.push({
      key: m.id,
      label: t('conf.participant', { number: m.number }),
      name: m.name || '',
      number: m.number || '',
      dominant: conf.dominant === m.id,
      speaking: conf.speaking.includes(m.id),
      stream: track ? streamOf(track) : null,
      live: !!track && !track.muted && track.readyState === 'live',
    });
  }
  const local = call.leg ? call.leg.stream : null;
  const showLocal = call.video && !call.videoStopped && local && local.getVideoTracks().length > 0;
  members.push({
    key: 'self',
    label: t('conf.you'),
    name: t('conf.you'),
    ownName: me.name,
    number: me.ext,
    self: true,
    dominant: !!conf.self && conf.dominant === conf.self,
    speaking: conf.speaking.includes(conf.self),
    stream: showLocal ? local : null,
    live: true,
    mirror: true,
  });
  let featured = null;
  if (conf.mode === 'speaker') {
    const slot = conf.slots.find((sl) => sl.member && sl.member !== conf.self &&
      conf.roster.some((m) => m.id === sl.member));
    if (slot) featured = slot.member;
  }
  let roster = conf.roster.map((m) => ({ number: m.number, name: m.name, self: m.id === conf.self }));
  if (!roster.length) roster = [{ number: me.ext, name: me.name, self: true }];
  return { mode: conf.mode, featured, members, roster };
}

/** Renders the shown call's room, or removes the tiles when none is shown. */
export function renderConference(s) {
  const call = s.shown;
  if (!call || !call.conf) {
    if (view) {
      view.destroy();
      view = null;
    }
    return;
  }
  if (!view) view = new ConferenceView();
  view.update(modelOf(s, call));
}
