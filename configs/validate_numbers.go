package configs

import (
	"fmt"
	"strings"
)

// validateExtensions checks every extension and returns the set of valid,
// first-seen numbers with their index, for the room clash check.
func validateExtensions(ps *problems, exts []Extension) map[string]int {
	seen := make(map[string]int, len(exts))
	for i, e := range exts {
		p := fmt.Sprintf("extensions[%d]", i)
		if msg := checkNumber(e.Number); msg != "" {
			ps.add(p+".number", "%s", msg)
		} else if j, dup := seen[e.Number]; dup {
			ps.add(p+".number", "%q is already used by extensions[%d]", e.Number, j)
		} else {
			seen[e.Number] = i
		}
		if msg := checkName(e.Name); msg != "" {
			ps.add(p+".name", "%s", msg)
		}
		e.validateSecret(ps, p)
	}
	return seen
}

func (e Extension) validateSecret(ps *problems, p string) {
	if e.Password != "" && e.PasswordHash != "" {
		ps.add(p+".password", "set password or password_hash, not both")
	}
	if len(e.Password) > MaxPasswordBytes {
		ps.add(p+".password", "is longer than %d bytes (the bcrypt limit)", MaxPasswordBytes)
	}
	if e.PasswordHash != "" && !looksLikeBcrypt(e.PasswordHash) {
		ps.add(p+".password_hash", "is not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters); create one with `xphone hash-password`")
	}
}

func looksLikeBcrypt(h string) bool {
	if len(h) != 60 {
		return false
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		if strings.HasPrefix(h, prefix) {
			return true
		}
	}
	return false
}

// validateRooms checks every room; exts maps extension numbers to indexes.
func validateRooms(ps *problems, rooms []Room, exts map[string]int) {
	seen := make(map[string]int, len(rooms))
	for i, r := range rooms {
		p := fmt.Sprintf("rooms[%d]", i)
		if msg := checkNumber(r.Number); msg != "" {
			ps.add(p+".number", "%s", msg)
		} else if j, clash := exts[r.Number]; clash {
			ps.add(p+".number", "%q is already used by extensions[%d]", r.Number, j)
		} else if j, dup := seen[r.Number]; dup {
			ps.add(p+".number", "%q is already used by rooms[%d]", r.Number, j)
		} else {
			seen[r.Number] = i
		}
		if msg := checkName(r.Name); msg != "" {
			ps.add(p+".name", "%s", msg)
		}
		switch r.Video {
		case "", VideoAll, VideoSpeaker, VideoNone, VideoLastN:
		default:
			ps.add(p+".video", "%q is not one of all, speaker, last_n, none", r.Video)
		}
		if r.MaxParticipants < 0 {
			ps.add(p+".max_participants", "%d must be 0 (no limit) or more", r.MaxParticipants)
		}
		if r.PIN != "" && !isDigits(r.PIN) {
			ps.add(p+".pin", "must be digits only")
		}
		for j, m := range r.Moderators {
			if _, ok := exts[m]; !ok {
				ps.add(fmt.Sprintf("%s.moderators[%d]", p, j), "%q is not an extension", m)
			}
		}
	}
}
