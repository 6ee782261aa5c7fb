package dodo

// The internal tests' doubles, for the external tests (package dodo_test).

// RecordingClock fires every timer at once and records the waits asked for.
type RecordingClock = recordingClock

// NewRecordingClock is a RecordingClock at 2026-01-01.
var NewRecordingClock = newRecordingClock
