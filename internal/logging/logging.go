// Package logging builds the one log format every process of the operator writes:
// slog's JSON (or text) handler behind logr, so the operator and the webhook receiver
// share keys (time, level, msg) and a log pipeline parses both the same way.
package logging

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/go-logr/logr"
)

// Options are the logging flags both binaries accept.
type Options struct {
	// Format is "json" (the default, for log pipelines) or "text" (for a terminal).
	Format string
	// Verbosity is logr's V level: 0 logs calls, writes and failures; 1 adds routine
	// conflicts, refusals and skipped work; higher levels add more detail.
	Verbosity int
}

// BindFlags registers --log-format and -v on fs.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Format, "log-format", "json", "Log format: json or text (same keys in every dodo-operator process).")
	fs.IntVar(&o.Verbosity, "v", 0,
		"Log verbosity: 0 logs payments API calls, writes and failures; 1 adds routine conflicts, refusals and skipped work.")
}

// New returns a logger writing to w in the chosen format.
func New(w io.Writer, o Options) (logr.Logger, error) {
	// logr's V(n) maps to slog level -n: a handler at level -v shows V(0)..V(v).
	handlerOptions := &slog.HandlerOptions{Level: slog.Level(-o.Verbosity)}
	switch o.Format {
	case "", "json":
		return logr.FromSlogHandler(slog.NewJSONHandler(w, handlerOptions)), nil
	case "text":
		return logr.FromSlogHandler(slog.NewTextHandler(w, handlerOptions)), nil
	default:
		return logr.Discard(), fmt.Errorf("--log-format %q: want json or text", o.Format)
	}
}
