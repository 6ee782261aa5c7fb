package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
)

// APIWrites are the API server's writes on one resource, from apiserver_request_total:
// successful creates, writes of the object and of its status, and conflicts of any write.
type APIWrites struct {
	Creates, ObjectWrites, StatusWrites, Conflicts float64
}

// Minus is w less before (the writes made since before was read).
func (w APIWrites) Minus(before APIWrites) APIWrites {
	return APIWrites{Creates: w.Creates - before.Creates, ObjectWrites: w.ObjectWrites - before.ObjectWrites,
		StatusWrites: w.StatusWrites - before.StatusWrites, Conflicts: w.Conflicts - before.Conflicts}
}

// ScrapeAPIWrites reads the API server's write counters for WrittenKinds, by resource.
func ScrapeAPIWrites(ctx context.Context, cfg *rest.Config) (map[string]APIWrites, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cfg.Host, "/")+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping the API server: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping the API server: HTTP %d", resp.StatusCode)
	}
	out := map[string]APIWrites{}
	for _, k := range WrittenKinds {
		out[k.Resource] = ParseAPIWrites(string(body), k.Resource)
	}
	return out, nil
}

// ParseAPIWrites sums apiserver_request_total for resource: successful creates, writes
// (PUT, PATCH) of the object and of its status, and conflicts of any write.
func ParseAPIWrites(text, resource string) APIWrites {
	sum := func(keep func(verb, subresource, code string) bool) float64 {
		return MetricSumWhere(text, "apiserver_request_total", func(l map[string]string) bool {
			return l["resource"] == resource && keep(l["verb"], l["subresource"], l["code"])
		})
	}
	ok := func(code string) bool { return strings.HasPrefix(code, "2") }
	write := func(verb string) bool { return verb == "PUT" || verb == "PATCH" }
	return APIWrites{
		Creates:      sum(func(v, s, c string) bool { return v == "POST" && ok(c) }),
		ObjectWrites: sum(func(v, s, c string) bool { return write(v) && s == "" && ok(c) }),
		StatusWrites: sum(func(v, s, c string) bool { return write(v) && s == statusSubresource && ok(c) }),
		Conflicts:    sum(func(v, s, c string) bool { return (write(v) || v == "POST") && c == "409" }),
	}
}

// WriteRow is one writer's writes on one kind during one phase.
type WriteRow struct {
	WriteKey
	Creates, ObjectWrites, StatusWrites int
	// Inferred of the writes were attributed by the newest time only (ByNewestTime).
	Inferred int
	// ObjectsWritten is how many objects the writer wrote; Objects how many of the kind
	// existed at the end of the phase.
	ObjectsWritten, Objects int
}

// PerObject is the writer's creates and writes per object of the kind.
func (r WriteRow) PerObject() float64 {
	if r.Objects == 0 {
		return 0
	}
	return float64(r.Creates+r.ObjectWrites+r.StatusWrites) / float64(r.Objects)
}

// ChangeRow is how many of a writer's writes changed one set of fields.
type ChangeRow struct {
	ChangeKey
	Writes int
}

// WriteReport is what a WriteWatcher counted, phase by phase.
type WriteReport struct {
	Phases  []string
	Rows    []WriteRow
	Server  map[WriteKey]APIWrites // Writer empty
	Changes []ChangeRow
	Err     error
}

// Report returns the counts of the phases ended so far, in phase order.
func (w *WriteWatcher) Report() WriteReport {
	w.mu.Lock()
	defer w.mu.Unlock()
	rep := WriteReport{Phases: slices.Clone(w.ended), Server: map[WriteKey]APIWrites{}, Err: w.err}
	for k, t := range w.tallies {
		if !slices.Contains(rep.Phases, k.Phase) {
			continue
		}
		row := WriteRow{WriteKey: k, Creates: t.creates, Inferred: t.inferred, ObjectsWritten: len(t.objects),
			Objects: w.exist[WriteKey{Phase: k.Phase, Kind: k.Kind}]}
		if k.Writer.Subresource == statusSubresource {
			row.StatusWrites = t.writes
		} else {
			row.ObjectWrites = t.writes
		}
		rep.Rows = append(rep.Rows, row)
	}
	for k, v := range w.server {
		rep.Server[k] = v
	}
	for k, n := range w.changes {
		if slices.Contains(rep.Phases, k.Phase) {
			rep.Changes = append(rep.Changes, ChangeRow{ChangeKey: k, Writes: n})
		}
	}
	rep.sort()
	return rep
}

func (r *WriteReport) sort() {
	phase := func(p string) int { return slices.Index(r.Phases, p) }
	slices.SortFunc(r.Rows, func(a, b WriteRow) int {
		if c := compareKeys(a.WriteKey, b.WriteKey, phase); c != 0 {
			return c
		}
		return strings.Compare(a.Writer.Subresource, b.Writer.Subresource)
	})
	slices.SortFunc(r.Changes, func(a, b ChangeRow) int {
		if c := compareKeys(a.WriteKey, b.WriteKey, phase); c != 0 {
			return c
		}
		if a.Writes != b.Writes {
			return b.Writes - a.Writes
		}
		return strings.Compare(a.Fields, b.Fields)
	})
}

func compareKeys(a, b WriteKey, phase func(string) int) int {
	if c := phase(a.Phase) - phase(b.Phase); c != 0 {
		return c
	}
	if c := strings.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	return strings.Compare(a.Writer.Manager, b.Writer.Manager)
}

// Markdown prints two tables: writes per object by writer, with the API server's own
// count of each phase beside them, and, for each writer, the fields its writes changed
// (the top most frequent sets).
func (r WriteReport) Markdown(out io.Writer, top int) {
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(out, format, args...) }
	p("| Phase | Kind | Writer (field manager) | Creates | Object writes | Status writes | Objects written / existing | Per object |\n")
	p("|---|---|---|---|---|---|---|---|\n")
	for _, phase := range r.Phases {
		for _, k := range WrittenKinds {
			rows := slices.DeleteFunc(slices.Clone(r.Rows), func(x WriteRow) bool { return x.Phase != phase || x.Kind != k.Kind })
			s := r.Server[WriteKey{Phase: phase, Kind: k.Kind}]
			if len(rows) == 0 && s == (APIWrites{}) && k != WrittenKinds[0] {
				continue // a phase with no write at all shows once, on the first kind
			}
			for _, x := range rows {
				p("| %s | %s | %s | %d | %d | %d | %d / %d | %.3f |\n", phase, k.Kind, writerText(x), x.Creates, x.ObjectWrites,
					x.StatusWrites, x.ObjectsWritten, x.Objects, x.PerObject())
			}
			p("| %s | %s | API server count (2xx) | %.0f | %.0f | %.0f | %.0f conflicts (409) | |\n", phase, k.Kind,
				s.Creates, s.ObjectWrites, s.StatusWrites, s.Conflicts)
		}
	}
	if r.Err != nil {
		p("\nThe write watch failed, so writes may be missing: %v\n", r.Err)
	}
	p("\n| Phase | Kind | Writer | Fields the writes changed | Writes |\n|---|---|---|---|---|\n")
	shown := map[WriteKey]int{}
	for _, c := range r.Changes {
		if shown[c.WriteKey]++; shown[c.WriteKey] > top {
			continue
		}
		p("| %s | %s | %s | %s | %d |\n", c.Phase, c.Kind, writerText(WriteRow{WriteKey: c.WriteKey}), c.Fields, c.Writes)
	}
}

func writerText(r WriteRow) string {
	text := r.Writer.Manager
	if r.Writer.Subresource != "" {
		text += " (" + r.Writer.Subresource + ")"
	}
	if r.Inferred > 0 {
		text += fmt.Sprintf(", %d by newest time", r.Inferred)
	}
	return text
}
