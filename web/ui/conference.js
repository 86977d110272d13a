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
    this.pinned = ''; // tile key the user pinned large ('' = none)
    this.speakerLayout = false; // the user's choice: speaker layout instead of the grid
    this.localMuted = false; // this participant's microphone is off
    this.onChange = () => {}; // meeting.js redraws its panels from the roster
    this.view = new ConferenceView({ onPin: (key) => this.pin(key) });
    this.render();
  }

  /** The status line text, e.g. "800 · Board": short enough for a phone. */
  get title() {
    return this.name ? `${this.room} · ${this.name}` : this.room;
  }

  onRoster(members) {
    this.roster = Array.isArray(members) ? members.filter((m) => m && m.id) : [];
    if (this.pinned && !this.tileKeys().has(this.pinned)) this.pinned = '';
    this.render();
    this.onChange();
  }

  /** This participant's roster entry, or null. */
  get selfMember() {
    return this.roster.find((m) => m.id === this.self) || null;
  }

  /** Pins the tile key large (again: unpins it). */
  pin(key) {
    this.pinned = this.pinned === key ? '' : key;
    this.render();
  }

  /** Speaker layout (the dominant speaker large) or the grid. */
  setSpeakerLayout(on) {
    this.speakerLayout = !!on;
    this.render();
  }

  setLocalMuted(muted) {
    this.localMuted = !!muted;
    this.render();
  }

  /** Keys of the tiles that exist now: members' cameras and shared screens. */
  tileKeys() {
    const keys = new Set(this.roster.map((m) => m.id));
    for (const s of this.slots) if (s.screen && s.member) keys.add(`${s.member}#screen`);
    return keys;
  }

  onSpeakers(dominant, speaking) {
    this.dominant = dominant || '';
    this.speaking = Array.isArray(speaking) ? speaking : [];
    this.render();
  }

  onSlots(slots) {
    this.slots = Array.isArray(slots) ? slots.filter((s) => s && s.mid) : [];
    if (this.pinned && !this.tileKeys().has(this.pinned)) this.pinned = '';
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
      pinned: this.pinned,
      layout: this.view.layoutName,
    };
  }

  /** Member id → the mid of the video transceiver showing them (latest video-slots). */
  videoMids() {
    const out = new Map();
    if (this.mode === 'none') return out;
    for (const s of this.slots) {
      if (s.member && !s.screen) out.set(s.member, s.mid);
    }
    return out;
  }

  /** The tiles of shared screens: "Screen NUMBER", in slot order. */
  screenTiles() {
    const out = [];
    if (this.mode === 'none') return out;
    for (const s of this.slots) {
      const m = s.screen && s.member ? this.roster.find((r) => r.id === s.member) : null;
      if (!m) continue;
      const t = this.tracks.get(s.mid);
      out.push({
        key: `${m.id}#screen`,
        label: `Screen ${m.number}`,
        name: `${m.name || m.number} · screen`,
        number: '',
        screen: true,
        dominant: false,
        speaking: false,
        stream: t ? t.stream : null,
        live: !!t && !t.track.muted && t.track.readyState === 'live',
      });
    }
    return out;
  }

  render() {
    if (this.closed) return;
    const mids = this.videoMids();
    const members = this.screenTiles();
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
        muted: !!m.muted,
        hand: !!m.hand,
        pinnable: true,
        stream: t ? t.stream : null,
        live: !!t && !t.track.muted && t.track.readyState === 'live',
      });
    }
    const me = this.selfMember;
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
      muted: this.localMuted || !!(me && me.muted),
      hand: !!(me && me.hand),
      stream: showLocal ? this.local.stream : null,
      live: true,
      mirror: true,
    });
    const featured = this.featured(members);
    let roster = this.roster.map((m) => ({ number: m.number, name: m.name, self: m.id === this.self, hand: !!m.hand }));
    if (!roster.length) roster = [{ number: this.me.ext, name: this.me.name, self: true }];
    this.view.update({ mode: this.mode, featured, members, roster, pinned: this.pinned });
  }

  /**
   * The tile shown large, if any: a pinned one; else a shared screen
   * (presenter layout); else, in a speaker room or the speaker layout, the
   * speaker (the member the speaker slot shows, or the dominant speaker).
   */
  featured(members) {
    const keys = new Set(members.map((m) => m.key));
    if (this.pinned && keys.has(this.pinned)) return this.pinned;
    const screen = members.find((m) => m.screen);
    if (screen) return screen.key;
    if (this.mode === 'speaker') {
      const slot = this.slots.find((s) => s.member && !s.screen && s.member !== this.self &&
        this.roster.some((m) => m.id === s.member));
      if (slot) return slot.member;
    }
    if (this.speakerLayout && members.length > 1) {
      if (this.dominant && this.dominant !== this.self && keys.has(this.dominant)) return this.dominant;
      const other = members.find((m) => !m.self);
      return other ? other.key : null;
    }
    return null;
  }

  /** Ends the view; the call's tracks stop with its PeerConnection. */
  destroy() {
    if (this.closed) return;
    this.closed = true;
    this.view.destroy();
    this.tracks.clear();
  }
}
