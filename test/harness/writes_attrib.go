package harness

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Writer is who made one write: a field manager (for an Update, the client's user agent
// up to the first "/", e.g. "dodo-operator", "webhook-receiver", or the benchmark's own
// program) and the subresource it wrote through ("" for the object itself, "status").
type Writer struct {
	Manager, Subresource string
}

// Unattributed is the manager of a write no entry of managedFields explains.
const Unattributed = "(unattributed)"

// statusSubresource is the subresource status is written through.
const statusSubresource = "status"

// Attribution says how attribute found the writer.
type Attribution int

// How a write was attributed.
const (
	// ByChange: the managedFields entry whose time or fieldsV1 changed with the write
	// (the newest time when several did, as when a write took fields from another
	// manager: the loser's fieldsV1 shrinks, its time stays).
	ByChange Attribution = iota
	// ByNewestTime: no entry changed (a manager's second write to its own fields within
	// the same second: time has one-second resolution); the entry with the newest time.
	ByNewestTime
	// NotAttributed: neither rule gives one entry (two managers wrote in the same second).
	NotAttributed
)

// fieldEntry is one managedFields entry, reduced to what attribution compares.
type fieldEntry struct {
	Writer
	operation string
	time      string // RFC 3339, one-second resolution
	fields    uint64 // hash of fieldsV1
}

func (e fieldEntry) key() string { return e.Manager + "\x00" + e.operation + "\x00" + e.Subresource }

// entriesOf reduces an object's managedFields.
func entriesOf(managed []metav1.ManagedFieldsEntry) []fieldEntry {
	out := make([]fieldEntry, 0, len(managed))
	for _, m := range managed {
		e := fieldEntry{Writer: Writer{Manager: m.Manager, Subresource: m.Subresource}, operation: string(m.Operation)}
		if m.Time != nil {
			e.time = m.Time.UTC().Format(time.RFC3339)
		}
		if m.FieldsV1 != nil {
			e.fields = hashBytes(m.FieldsV1.GetRawBytes())
		}
		out = append(out, e)
	}
	return out
}

// attribute names the writer of the write that turned an object with managedFields old
// into one with new (old nil for a create). statusChanged says whether the write changed
// status: status is written only through the status subresource, everything else only
// through the object, which narrows the candidates.
func attribute(old, new []fieldEntry, statusChanged bool) (Writer, Attribution) {
	before := make(map[string]fieldEntry, len(old))
	for _, e := range old {
		before[e.key()] = e
	}
	var changed, retimed []fieldEntry
	for _, e := range new {
		prev, ok := before[e.key()]
		if !ok || prev.time != e.time {
			retimed = append(retimed, e)
		}
		if !ok || prev.time != e.time || prev.fields != e.fields {
			changed = append(changed, e)
		}
	}
	subresource := ""
	if statusChanged {
		subresource = statusSubresource
	}
	for _, pool := range [][]fieldEntry{retimed, changed} {
		if w, ok := newest(throughSubresource(pool, subresource)); ok {
			return w, ByChange
		}
	}
	if len(changed) == 0 {
		if w, ok := newest(throughSubresource(new, subresource)); ok {
			return w, ByNewestTime
		}
	}
	return Writer{Manager: Unattributed, Subresource: subresource}, NotAttributed
}

// throughSubresource keeps the entries of subresource, or all of them when none is.
func throughSubresource(entries []fieldEntry, subresource string) []fieldEntry {
	var out []fieldEntry
	for _, e := range entries {
		if e.Subresource == subresource {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return entries
	}
	return out
}

// newest is the writer of the entry with the newest time, when exactly one has it.
func newest(entries []fieldEntry) (Writer, bool) {
	var best fieldEntry
	count := 0
	for _, e := range entries {
		switch {
		case count == 0 || e.time > best.time:
			best, count = e, 1
		case e.time == best.time:
			count++
		}
	}
	return best.Writer, count == 1
}

// flatten maps each leaf of an object's labels, annotations, finalizers, owner
// references, deletion timestamp, spec and status to a hash of its value. A list whose
// items all have a "type" (conditions) is keyed by type; any other list is one leaf.
func flatten(obj map[string]any) map[string]uint64 {
	out := map[string]uint64{}
	meta, _ := obj["metadata"].(map[string]any)
	for _, k := range []string{"labels", "annotations", "finalizers", "ownerReferences", "deletionTimestamp"} {
		if v, ok := meta[k]; ok {
			flattenInto(out, "metadata."+k, v)
		}
	}
	for _, k := range []string{"spec", "status"} {
		if v, ok := obj[k]; ok {
			flattenInto(out, k, v)
		}
	}
	return out
}

func flattenInto(out map[string]uint64, path string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, item := range x {
			flattenInto(out, path+"."+k, item)
		}
	case []any:
		types := make([]string, 0, len(x))
		for _, item := range x {
			m, _ := item.(map[string]any)
			typ, ok := m["type"].(string)
			if !ok {
				out[path] = hashValue(x)
				return
			}
			types = append(types, typ)
		}
		for i, item := range x {
			flattenInto(out, fmt.Sprintf("%s[%s]", path, types[i]), item)
		}
	default:
		out[path] = hashValue(x)
	}
}

// changedPaths lists the leaves that differ between two flattened objects, sorted.
func changedPaths(old, new map[string]uint64) []string {
	var out []string
	for path, h := range new {
		if prev, ok := old[path]; !ok || prev != h {
			out = append(out, path)
		}
	}
	for path := range old {
		if _, ok := new[path]; !ok {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out
}

// statusTouched reports whether any of the paths is in status.
func statusTouched(paths []string) bool {
	return slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, "status") })
}

// summarizePaths prints changed leaves compactly: a condition's fields are grouped
// ("status.conditions[Ready].{message,reason}"; a condition added or removed is named
// alone), and at most limit groups are named.
func summarizePaths(paths []string, limit int) string {
	if len(paths) == 0 {
		return "(nothing)"
	}
	var groups []string
	fields := map[string][]string{}
	for _, p := range paths {
		group, field := p, ""
		if open := strings.LastIndex(p, "]."); open >= 0 {
			group, field = p[:open+1], p[open+2:]
		}
		if _, seen := fields[group]; !seen {
			groups = append(groups, group)
		}
		if field != "" {
			fields[group] = append(fields[group], field)
		} else if fields[group] == nil {
			fields[group] = []string{}
		}
	}
	parts := make([]string, 0, min(len(groups), limit)+1)
	for i, g := range groups {
		if i == limit {
			parts = append(parts, fmt.Sprintf("+%d more", len(groups)-limit))
			break
		}
		switch f := fields[g]; {
		case len(f) == 0 || slices.Contains(f, "type"): // a leaf, or a condition added or removed
			parts = append(parts, g)
		case len(f) == 1:
			parts = append(parts, g+"."+f[0])
		default:
			parts = append(parts, g+".{"+strings.Join(f, ",")+"}")
		}
	}
	return strings.Join(parts, ", ")
}

func hashValue(v any) uint64 {
	data, err := json.Marshal(v)
	if err != nil {
		data = fmt.Appendf(nil, "%v", v)
	}
	return hashBytes(data)
}

func hashBytes(data []byte) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(data)
	return h.Sum64()
}
