package server

import (
	"log/slog"

	"xphone/configs"
	"xphone/sfu"
)

// bridgeSpecs lists the rooms that dial a PBX conference.
func bridgeSpecs(rooms []configs.Room) []sfu.BridgeSpec {
	var out []sfu.BridgeSpec
	for _, r := range rooms {
		if r.Bridge != nil {
			out = append(out, sfu.BridgeSpec{Room: r.Number, Trunk: r.Bridge.Trunk, Number: r.Bridge.Number})
		}
	}
	return out
}

// bridgePermissions maps a bridged room's number to the permission class
// its bridge call has in the dial plan (default internal). The bridge
// dials with the room's number as caller, so the toll-fraud check in the
// trunk applies to it like to any extension.
func bridgePermissions(rooms []configs.Room) map[string]string {
	out := map[string]string{}
	for _, r := range rooms {
		if r.Bridge != nil {
			out[r.Number] = r.Bridge.Permission
		}
	}
	return out
}

// setBridges applies the rooms' bridge settings (start and reload).
func (s *Server) setBridges(rooms []configs.Room) {
	perms := bridgePermissions(rooms)
	s.bridgePerms.Store(&perms)
	if s.bridges != nil {
		s.bridges.Update(bridgeSpecs(rooms))
	}
}

// trunkDialer is the running trunk called name, for bridges; nil if none.
func (s *Server) trunkDialer(name string) sfu.Dialer {
	for _, t := range s.trunks.All() {
		if t.Name() == name {
			return t
		}
	}
	return nil
}

// logWarnings logs the config's warnings (valid settings that are
// probably mistakes), as check-config prints them.
func logWarnings(cfg *configs.Config, log *slog.Logger) {
	for _, w := range cfg.Warnings() {
		log.Warn("config warning", "warning", w)
	}
}
