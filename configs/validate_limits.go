package configs

import (
	"net"
	"net/netip"
	"unicode"
)

// Bounds of the limits and metrics keys.
const (
	MaxPerExtension     = 1000
	MinWSMessageBytes   = 4 << 10
	MaxWSMessageBytes   = 16 << 20
	MaxWSMessageRate    = 10000
	MinMetricsTokenSize = 16
)

func (l Limits) validate(ps *problems) {
	caps := []struct {
		key string
		v   int
	}{{"sessions", l.PerExtension.Sessions}, {"tabs", l.PerExtension.Tabs}, {"calls", l.PerExtension.Calls}}
	for _, c := range caps {
		if c.v < 1 || c.v > MaxPerExtension {
			ps.add("limits.per_extension."+c.key, "%d is out of range, want 1 to %d", c.v, MaxPerExtension)
		}
	}
	ws := l.WebSocket
	if !(ws.MessagesPerSecond > 0 && ws.MessagesPerSecond <= MaxWSMessageRate) { // also refuses NaN
		ps.add("limits.websocket.messages_per_second", "%v is out of range, want more than 0 and at most %d",
			ws.MessagesPerSecond, MaxWSMessageRate)
	}
	if ws.Burst < 1 || ws.Burst > 100*MaxWSMessageRate {
		ps.add("limits.websocket.burst", "%d is out of range, want 1 to %d", ws.Burst, 100*MaxWSMessageRate)
	}
	if ws.MaxMessageBytes < MinWSMessageBytes || ws.MaxMessageBytes > MaxWSMessageBytes {
		ps.add("limits.websocket.max_message_bytes", "%d is out of range, want %d to %d",
			ws.MaxMessageBytes, MinWSMessageBytes, MaxWSMessageBytes)
	}
}

func (m Metrics) validate(ps *problems) {
	if m.Token != "" {
		if len(m.Token) < MinMetricsTokenSize {
			ps.add("metrics.token", "is %d characters long, want at least %d (e.g. from `openssl rand -hex 16`)",
				len(m.Token), MinMetricsTokenSize)
		}
		for _, r := range m.Token {
			if r > unicode.MaxASCII || !unicode.IsGraphic(r) || unicode.IsSpace(r) {
				ps.add("metrics.token", "must be printable ASCII without spaces")
				break
			}
		}
	}
	if m.Listen == "" {
		return
	}
	if err := checkHostPort(m.Listen); err != nil {
		ps.add("metrics.listen", "%q %v", m.Listen, err)
		return
	}
	if !loopbackHost(m.Listen) && m.Token == "" {
		ps.add("metrics.listen", "%q is reachable from other machines; set metrics.token too, or listen on 127.0.0.1",
			m.Listen)
	}
}

// loopbackHost reports whether host:port binds only loopback addresses.
func loopbackHost(hostPort string) bool {
	host, _, _ := net.SplitHostPort(hostPort)
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
