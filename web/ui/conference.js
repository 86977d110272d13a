// One conference call's state (docs/signaling.md, "Conference rooms"): the
// room, the roster, who speaks, and which received video transceiver (by
// SDP mid) carries whose picture. Every change redraws the tiles.

import { ConferenceView } from './tiles.js';

export class Conference {
  /**
   * @param {object} info the `conference` message: {room, name, mode, self}
   * @param {{ext: string, name: string}} me the logged-in user
   */
  constructor({ room, name, mode, self }, me) {
    this.room = room || '';
    this.name = name || '';
    this.mode = ['all', 'speaker', 'none'].includes(mode) ? mode : 'all';
    this.self = self || '';
    this.me = me || { ext: '', name: '' };
    this.roster = [];
    this.dominant = '';
    this.speaking = [];
    this.slots = [];
    this.tracks = new Map(); // mid → {track, stream}
    this.local = { stream: null, video: false, off: false };
    this.closed = false;
    this.view = new ConferenceView();
    this.render();
  }

  /** The status line text, e.g. "Conference 800 Board". */
  get title() {
    return this.name ? `Conference ${this.room} ${this.name}` : `Conference ${this.room}`;
  }

  onRoster(members) {
    this.roster = Array.isArray(members) ? members.filter((m) => m && m.id) : [];
    this.render();
  }

  onSpeakers(dominant, speaking) {
    this.dominant = dominant || '';
    this.speaking = Array.isArray(speaking) ? speaking : [];
    this.render();
  }

  onSlots(slots) {
    this.slots = Array.isArray(slots) ? slots.filter((s) => s && s.mid) : [];
    this.render();
  }

  /** A received video track (from RTCPeerConnection ontrack) and its transceiver's mid. */
  addVideoTrack(mid, track) {
    if (!mid || this.closed) return;
    const known = this.tracks.get(mid);
    if (known && known.track === track) return;
    this.tracks.set(mid, { track, stream: new MediaStream([track]) });
    // A remote track is muted until its first packets arrive: show the avatar until then.
    const redraw = () => this.render();
    track.addEventListener('mute', redraw);
    track.addEventListener('unmute', redraw);
    this.render();
  }

  /** The local capture for the "You" tile; video is false for audio-only calls. */
  setLocal(stream, video, off) {
    this.local = { stream, video: !!video, off: !!off };
    this.render();
  }

  setLocalVideoOff(off) {
    this.local.off = !!off;
    this.render();
  }

  /** A JSON picture of the state, for tests and debugging (window.xphone.conference()). */
  snapshot() {
    return {
      room: this.room,
      name: this.name,
      mode: this.mode,
      self: this.self,
      roster: this.roster.map((m) => ({ ...m })),
      dominant: this.dominant,
      speaking: [...this.speaking],
      slots: this.slots.map((s) => ({ ...s })),
      mids: [...this.tracks.keys()],
    };
  }

  /** Member id → the mid of the video transceiver showing them (latest video-slots). */
  videoMids() {
    const out = new Map();
    if (this.mode === 'none') return out;
    for (const s of this.slots) {
      if (s.member) out.set(s.member, s.mid);
    }
    return out;
  }

  render() {
    if (this.closed) return;
    const mids = this.videoMids();
    const members = [];
    for (const m of this.roster) {
      if (m.id === this.self) continue;
      const t = mids.has(m.id) ? this.tracks.get(mids.get(m.id)) : null;
      members.push({
        key: m.id,
        label: `Participant ${m.number}`,
        name: m.name || '',
        number: m.number || '',
        dominant: this.dominant === m.id,
        speaking: this.speaking.includes(m.id),
        stream: t ? t.stream : null,
        live: !!t && !t.track.muted && t.track.readyState === 'live',
      });
    }
    const showLocal = this.local.video && !this.local.off && this.local.stream &&
      this.local.stream.getVideoTracks().length > 0;
    members.push({
      key: 'self',
      label: 'You',
      name: 'You',
      ownName: this.me.name,
      number: this.me.ext,
      self: true,
      dominant: !!this.self && this.dominant === this.self,
      speaking: this.speaking.includes(this.self),
      stream: showLocal ? this.local.stream : null,
      live: true,
      mirror: true,
    });
    let featured = null;
    if (this.mode === 'speaker') {
      const slot = this.slots.find((s) => s.member && s.member !== this.self &&
        this.roster.some((m) => m.id === s.member));
      if (slot) featured = slot.member;
    }
    let roster = this.roster.map((m) => ({ number: m.number, name: m.name, self: m.id === this.self }));
    if (!roster.length) roster = [{ number: this.me.ext, name: this.me.name, self: true }];
    this.view.update({ mode: this.mode, featured, members, roster });
  }

  /** Ends the view; the call's tracks stop with its PeerConnection. */
  destroy() {
    if (this.closed) return;
    this.closed = true;
    this.view.destroy();
    this.tracks.clear();
  }
}
