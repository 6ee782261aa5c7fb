package sequencetest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// stats are the figures of a run, printed in the summary line.
type stats struct {
	sequences, steps, checks, violations, calls, reconciles, hooks int
	faults, writes                                                 map[string]int
	stepKinds                                                      map[string]int
}

func (s *stats) fault(kind string) { s.faults[kind]++ }

func (s *stats) summary(elapsed time.Duration) string {
	faults := make([]string, 0, len(s.faults))
	kinds := make([]string, 0, len(s.stepKinds))
	writes := make([]string, 0, len(s.writes))
	for _, k := range slices.Sorted(maps.Keys(s.writes)) {
		writes = append(writes, fmt.Sprintf("%s=%d", k, s.writes[k]))
	}
	for _, k := range slices.Sorted(maps.Keys(s.faults)) {
		faults = append(faults, fmt.Sprintf("%s=%d", k, s.faults[k]))
	}
	for _, k := range slices.Sorted(maps.Keys(s.stepKinds)) {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, s.stepKinds[k]))
	}
	return fmt.Sprintf("SEQUENCES: %d sequences, %d steps, %d reconciles, %d Dodo calls, %d webhook deliveries, "+
		"%d invariant checks, %d violations, %s wall; faults: %s; Dodo writes: %s; steps: %s", s.sequences, s.steps,
		s.reconciles, s.calls, s.hooks, s.checks, s.violations, elapsed.Round(time.Millisecond), strings.Join(faults, " "), strings.Join(writes, " "),
		strings.Join(kinds, " "))
}

// TestRandomSequences runs seeded random sequences of user actions, reconciles, faults,
// kills and time passing, and checks the money invariants after every step (package doc).
func TestRandomSequences(t *testing.T) {
	start := time.Now()
	st := &stats{faults: map[string]int{}, writes: map[string]int{}, stepKinds: map[string]int{}}
	for _, seed := range seeds() {
		w, err := newWorld(seed, st)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		runSequence(w)
		w.close()
		st.sequences++
		st.violations += len(w.violations)
		if len(w.violations) > 0 {
			t.Errorf("%s", w.report())
		} else if *verboseFlag {
			t.Logf("seed %d:\n  %s", seed, strings.Join(w.log, "\n  "))
		}
	}
	t.Logf("%s", st.summary(time.Since(start)))
}

// runSequence runs 30 to 60 random steps, then drains, checking after each step. It goes
// on after a violation (each is reported once), so that one bug does not hide another.
func runSequence(w *world) {
	steps := 30 + w.rng.IntN(31)
	for w.step = 1; w.step <= steps; w.step++ {
		kind := w.randomStep()
		w.expireFaults()
		w.stats.steps++
		w.stats.stepKinds[kind]++
		w.checkState()
	}
	w.logf("drain")
	w.drain()
	w.checkState()
}
