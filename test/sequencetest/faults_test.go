package sequencetest

// Faults are armed for the next matching operation of the operator (a Dodo write, a Dodo
// read, a status write, any Dodo call for a kill) and stay armed until they fire or the
// step they were armed until has passed. At most one of each kind is armed at a time.

// faultsUntil are the last steps of the armed Dodo fault, kill and status fault.
type faultsUntil struct{ dodo, kill, status int }

// armFault arms a random fault (a kill too, when withKill) until step and names it.
func (w *world) armFault(until int, withKill bool) string {
	r := w.rng.IntN(100)
	if withKill && r < 20 {
		w.armKill(until)
		return faultKill
	}
	switch r = w.rng.IntN(100); {
	case r < 30:
		w.api.fault, w.until.dodo = &dodoFault{kind: faultLostAnswer, writes: true}, until
		return faultLostAnswer
	case r < 50:
		w.api.fault, w.until.dodo = &dodoFault{kind: faultFailedCall, writes: true}, until
		return faultFailedCall
	case r < 60:
		w.api.fault, w.until.dodo = &dodoFault{kind: faultReadLost}, until
		return faultReadLost
	case r < 74:
		w.kube.statusFault, w.until.status = faultStatusBefore, until
		return faultStatusBefore
	case r < 87:
		w.kube.statusFault, w.until.status = faultStatusConflict, until
		return faultStatusConflict
	}
	w.kube.statusFault, w.until.status = faultStatusAfter, until
	return faultStatusAfter
}

// armKill kills the operator right after its next Dodo write (mostly) or call, until step.
func (w *world) armKill(until int) {
	w.api.kill, w.until.kill = &killPoint{writes: w.rng.IntN(10) < 7}, until
}

// expireFaults disarms what was armed until the current step.
func (w *world) expireFaults() {
	if w.until.dodo <= w.step {
		w.api.fault = nil
	}
	if w.until.kill <= w.step {
		w.api.kill = nil
	}
	if w.until.status <= w.step {
		w.kube.statusFault = ""
	}
}

func (w *world) clearFaults() {
	w.api.fault, w.api.kill, w.kube.statusFault = nil, nil, ""
}

// stepArmFault arms a fault (or a kill) for the next few steps: it fires in whichever
// reconcile makes the matching call first.
func (w *world) stepArmFault() bool {
	kind := w.armFault(w.step+8, true)
	w.logf("arm %s for the next 8 steps", kind)
	return true
}

// armFaultKind arms a Dodo fault of that kind for the next write of the current step.
func (w *world) armFaultKind(kind string) {
	w.api.fault, w.until.dodo = &dodoFault{kind: kind, writes: kind != faultReadLost}, w.step
}
