// The conference part of the card, drawn from the shown call's room state
// (rooms.js) and meeting (meeting.js): one ConferenceView (tiles.js) while a
// room call is shown. Shared screens are tiles of their own ("Screen
// NUMBER"), shown large (presenter layout) unless the user pinned a tile.

import { t } from '../i18n.js';
import { ConferenceView } from './tiles.js';
import { streamOf } from './phone.js';

/** Member id → the mid of the video transceiver showing them (latest video-slots). */
function videoMids(conf) {
  const out = new Map();
  if (conf.mode === 'none') return out;
  for (const sl of conf.slots) {
    if (sl.member && !sl.screen) out.set(sl.member, sl.mid);
  }
  return out;
}

/** The tiles of shared screens: "Screen NUMBER", in slot order. */
function screenTiles(call) {
  const conf = call.conf;
  const out = [];
  if (conf.mode === 'none') return out;
  for (const sl of conf.slots) {
    const m = sl.screen && sl.member ? conf.roster.find((r) => r.id === sl.member) : null;
    if (!m) continue;
    const track = call.videoTracks.get(sl.mid) || null;
    out.push({
      key: `${m.id}#screen`,
      label: t('conf.screen', { number: m.number }),
      name: t('conf.screen_name', { name: m.name || m.number }),
      number: '',
      screen: true,
      dominant: false,
      speaking: false,
      stream: track ? streamOf(track) : null,
      live: !!track && !track.muted && track.readyState === 'live',
    });
  }
  return out;
}

/**
 * The tile shown large, if any: a pinned one; else a shared screen
 * (presenter layout); else, in a speaker room or the speaker layout, the
 * speaker (the member the speaker slot shows, or the dominant speaker).
 */
function featuredOf(call, members, meeting) {
  const conf = call.conf;
  const keys = new Set(members.map((m) => m.key));
  if (meeting && meeting.pinned && keys.has(meeting.pinned)) return meeting.pinned;
  const screen = members.find((m) => m.screen);
  if (screen) return screen.key;
  if (conf.mode === 'speaker') {
    const slot = conf.slots.find((sl) => sl.member && !sl.screen && sl.member !== conf.self &&
      conf.roster.some((m) => m.id === sl.member));
    if (slot) return slot.member;
  }
  if (meeting && meeting.speakerLayout && members.length > 1) {
    if (conf.dominant && conf.dominant !== conf.self && keys.has(conf.dominant)) return conf.dominant;
    const other = members.find((m) => !m.self);
    return other ? other.key : null;
  }
  return null;
}

/** The tiles' model: {mode, featured, members, roster} (tiles.js). */
function modelOf(s, call) {
  const conf = call.conf;
  const me = conf.roster.find((m) => m.id === conf.self) || null;
  const user = s.me || { ext: '', name: '' };
  const mids = videoMids(conf);
  const members = screenTiles(call);
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
      muted: !!m.muted,
      hand: !!m.hand,
      pinnable: true,
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
    ownName: user.name,
    number: user.ext,
    self: true,
    dominant: !!conf.self && conf.dominant === conf.self,
    speaking: conf.speaking.includes(conf.self),
    muted: call.micMuted || !!(me && me.muted),
    hand: !!(me && me.hand),
    stream: showLocal ? local : null,
    live: true,
    mirror: true,
  });
  const featured = featuredOf(call, members, call.meeting);
  let roster = conf.roster.map((m) => ({
    number: m.number, name: m.name, self: m.id === conf.self, hand: !!m.hand,
  }));
  if (!roster.length) roster = [{ number: user.ext, name: user.name, self: true }];
  return {
    mode: conf.mode, featured, members, roster, pinned: call.meeting ? call.meeting.pinned : '',
  };
}

/** The conference view: onPin(key) pins a tile (meeting.js). */
export function conferenceView({ onPin }) {
  let view = null;
  return (s) => {
    const call = s.shown;
    if (!call || !call.conf) {
      if (view) {
        view.destroy();
        view = null;
      }
      return;
    }
    if (!view) view = new ConferenceView({ onPin });
    view.update(modelOf(s, call));
  };
}
