package main

import "testing"

func TestUnwrap(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"one paragraph", "nextBillingDate is the end of the\ncurrent period.", "nextBillingDate is the end of the current period."},
		{"paragraphs stay", "First line\nof one.\n\nSecond.", "First line of one.\n\nSecond."},
		{"list items stay", "Modes:\n- Cancel\n- Orphan", "Modes:\n- Cancel\n- Orphan"},
		{"indented examples stay", "Example:\n  kubectl get dsub\n  kubectl get odc", "Example:\n  kubectl get dsub\n  kubectl get odc"},
		{"single line unchanged", "Ready.", "Ready."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Unwrap(tt.in); got != tt.want {
				t.Errorf("Unwrap(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
