package sfu

import "time"

// CallRecord is the outcome of one dial: who called which number, whether
// and when it was answered, how it ended. Call control hands one to the
// CallRecorder when the dial fails, or when the two parties it connected
// stop talking to each other (a hang-up, or one of them transferred away).
// What becomes of it (call history of the extensions involved) is the
// recorder's business.
type CallRecord struct {
	CallID string
	Caller Identity
	// Origin is where the caller entered: an extension's browser, a trunk.
	Origin Origin
	To     string   // the number dialled
	Callee Identity // who answered; zero when nobody did
	Room   bool     // To is a conference room
	Video  bool     // the caller offered video
	// Transferor is who put the caller through to To (blind transfer);
	// zero for calls the caller placed.
	Transferor Identity
	Started    time.Time // the dial began
	Answered   time.Time // zero: not answered
	Ended      time.Time
	// Reason is why an unanswered dial failed (busy, no_answer, dnd, …);
	// empty for answered calls.
	Reason Reason
}

// CallRecorder takes the records of finished dials. RecordCall runs on
// call control's goroutines: it must not block (queue slow work).
type CallRecorder interface {
	RecordCall(CallRecord)
}

// pairing is the record of the answered dial a call is carrying now, and
// the two legs it connected; it is handed over when either leg leaves.
type pairing struct {
	rec          CallRecord
	caller, peer Leg
}

// record hands r to the configured recorder, if any.
func (c *Calls) record(r CallRecord) {
	if c.cfg.Recorder != nil {
		c.cfg.Recorder.RecordCall(r)
	}
}

// failedDial records a dial of req that ended with err before answer.
func (c *Calls) failedDial(cl *call, req PlaceRequest, started time.Time, err error) {
	c.record(CallRecord{CallID: cl.id, Caller: req.Caller.Identity(), Origin: req.Caller.Origin(), To: req.To,
		Video: req.Video, Transferor: req.transferor, Started: started, Ended: c.cfg.Now(), Reason: ReasonFor(err)})
}

// answered starts the pairing of req's caller with the leg that answered.
func (cl *call) answered(req PlaceRequest, callee Leg, started, at time.Time) {
	cl.pair = &pairing{caller: req.Caller, peer: callee, rec: CallRecord{
		CallID: cl.id, Caller: req.Caller.Identity(), Origin: req.Caller.Origin(), To: req.To,
		Callee: callee.Identity(), Video: req.Video, Transferor: req.transferor, Started: started, Answered: at,
	}}
}

// unpair hands the current pairing over when l, one of its legs, leaves.
func (cl *call) unpair(l Leg) {
	if p := cl.pair; p != nil && (p.caller == l || p.peer == l) {
		cl.pair = nil
		p.rec.Ended = cl.calls.cfg.Now()
		cl.calls.record(p.rec)
	}
}
