// Package eventstest reads what the code under test told an events.FakeRecorder. Only
// tests import it.
package eventstest

import (
	"strings"

	"k8s.io/client-go/tools/events"
)

// Drain takes every event the recorder holds, oldest first ("Type Reason Note").
func Drain(r *events.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-r.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// Count is how many of the events contain text.
func Count(told []string, text string) int {
	n := 0
	for _, e := range told {
		if strings.Contains(e, text) {
			n++
		}
	}
	return n
}
