package siptrunk

import (
	"context"
	"log/slog"

	"github.com/emiago/sipgo/sip"
)

// sipgo logs some errors with the offending message attached ("data").
// The front door keeps such messages away from it, but whatever sipgo
// logs goes through this handler: message contents are dropped and long
// values cut, so a far side can never make us write what it sent.

// maxLoggedValue bounds any string sipgo logs.
const maxLoggedValue = 160

type sipgoHandler struct{ slog.Handler }

func (h sipgoHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "data" {
			return true
		}
		if a.Value.Kind() == slog.KindString && len(a.Value.String()) > maxLoggedValue {
			a.Value = slog.StringValue(a.Value.String()[:maxLoggedValue] + "…")
		}
		out.AddAttrs(a)
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h sipgoHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return sipgoHandler{h.Handler.WithAttrs(as)}
}

func (h sipgoHandler) WithGroup(name string) slog.Handler {
	return sipgoHandler{h.Handler.WithGroup(name)}
}

// sipgoLogger is log for sipgo: through sipgoHandler.
func sipgoLogger(log *slog.Logger) *slog.Logger { return slog.New(sipgoHandler{log.Handler()}) }

// strayResponse counts a response no transaction of ours matches (a
// retransmission, or a far side's junk) instead of sipgo logging it.
func (t *Trunk) strayResponse(res *sip.Response) {
	t.Stats.StrayResponses.Add(1)
	t.log.Debug("SIP response matching no transaction dropped", "status", res.StatusCode)
}
