package harness

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func entry(manager, subresource, at, fields string) metav1.ManagedFieldsEntry {
	t, _ := time.Parse(time.RFC3339, at)
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, Subresource: subresource,
		Time: &metav1.Time{Time: t}, FieldsV1: metav1.NewFieldsV1(fields)}
}

func TestAttribute(t *testing.T) {
	const t0, t1, t2 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"
	op, opStatus := entry("dodo-operator", "", t0, "{f:metadata}"), entry("dodo-operator", "status", t1, "{f:status:a}")
	recv := entry("webhook-receiver", "status", t1, "{f:status:b}")
	cases := []struct {
		name     string
		old, new []metav1.ManagedFieldsEntry
		status   bool
		want     Writer
		how      Attribution
	}{
		{"create", nil, []metav1.ManagedFieldsEntry{entry("bench", "", t0, "{f:spec}")}, false, Writer{"bench", ""}, ByChange},
		{"the receiver's entry is new", []metav1.ManagedFieldsEntry{op, opStatus},
			[]metav1.ManagedFieldsEntry{op, opStatus, recv}, true, Writer{"webhook-receiver", "status"}, ByChange},
		{"retimed beats a shrunk loser", []metav1.ManagedFieldsEntry{op, opStatus, recv},
			[]metav1.ManagedFieldsEntry{op, entry("dodo-operator", "status", t1, "{}"), entry("webhook-receiver", "status", t2, "{f:status:a,b}")},
			true, Writer{"webhook-receiver", "status"}, ByChange},
		{"same second, same fields", []metav1.ManagedFieldsEntry{op, opStatus},
			[]metav1.ManagedFieldsEntry{op, opStatus}, true, Writer{"dodo-operator", "status"}, ByNewestTime},
		{"two managers in the newest second", []metav1.ManagedFieldsEntry{op, opStatus, recv},
			[]metav1.ManagedFieldsEntry{op, opStatus, recv}, true, Writer{Unattributed, "status"}, NotAttributed},
		{"an object write picks the object's entry", []metav1.ManagedFieldsEntry{op, opStatus},
			[]metav1.ManagedFieldsEntry{op, opStatus}, false, Writer{"dodo-operator", ""}, ByNewestTime},
	}
	for _, c := range cases {
		got, how := attribute(entriesOf(c.old), entriesOf(c.new), c.status)
		if got != c.want || how != c.how {
			t.Errorf("%s: attribute = %v, %v; want %v, %v", c.name, got, how, c.want, c.how)
		}
	}
}

func TestFlattenAndChangedPaths(t *testing.T) {
	obj := func(reason, observed string) map[string]any {
		return map[string]any{
			"metadata": map[string]any{"name": "a", "resourceVersion": "7", "finalizers": []any{"f"}},
			"spec":     map[string]any{"quantity": int64(1)},
			"status": map[string]any{"lastObservedAt": observed, "conditions": []any{
				map[string]any{"type": "Ready", "status": "True", "reason": reason},
				map[string]any{"type": "Synced", "status": "True"},
			}},
		}
	}
	old, next := flatten(obj("Available", "t1")), flatten(obj("Other", "t2"))
	next["metadata.labels.x"] = 1
	got := changedPaths(old, next)
	want := []string{"metadata.labels.x", "status.conditions[Ready].reason", "status.lastObservedAt"}
	if !slices.Equal(got, want) {
		t.Fatalf("changedPaths = %v, want %v", got, want)
	}
	if _, ok := old["metadata.resourceVersion"]; ok {
		t.Error("resourceVersion is flattened")
	}
	if !statusTouched(got) || statusTouched(got[:1]) {
		t.Error("statusTouched is wrong")
	}
}

func TestSummarizePaths(t *testing.T) {
	paths := []string{"status.conditions[Ready].message", "status.conditions[Ready].reason", "status.lastObservedAt", "status.x"}
	if got, want := summarizePaths(paths, 6), "status.conditions[Ready].{message,reason}, status.lastObservedAt, status.x"; got != want {
		t.Errorf("summarizePaths = %q, want %q", got, want)
	}
	if got, want := summarizePaths(paths, 1), "status.conditions[Ready].{message,reason}, +2 more"; got != want {
		t.Errorf("summarizePaths(limit 1) = %q, want %q", got, want)
	}
	added := []string{"status.conditions[Ready].status", "status.conditions[Ready].type", "status.phase"}
	if got, want := summarizePaths(added, 6), "status.conditions[Ready], status.phase"; got != want {
		t.Errorf("summarizePaths(added) = %q, want %q", got, want)
	}
	if got := summarizePaths(nil, 6); got != "(nothing)" {
		t.Errorf("summarizePaths(nil) = %q", got)
	}
}

func TestParseAPIWritesAndMarkdown(t *testing.T) {
	text := `apiserver_request_total{code="201",resource="subscriptions",subresource="",verb="POST"} 10
apiserver_request_total{code="200",resource="subscriptions",subresource="",verb="PUT"} 7
apiserver_request_total{code="200",resource="subscriptions",subresource="status",verb="PATCH"} 20
apiserver_request_total{code="200",resource="subscriptions",subresource="status",verb="PUT"} 5
apiserver_request_total{code="409",resource="subscriptions",subresource="status",verb="PATCH"} 3
apiserver_request_total{code="200",resource="subscriptions",subresource="",verb="LIST"} 99
apiserver_request_total{code="200",resource="ondemandcharges",subresource="status",verb="PATCH"} 50
`
	got := ParseAPIWrites(text, "subscriptions")
	if want := (APIWrites{Creates: 10, ObjectWrites: 7, StatusWrites: 25, Conflicts: 3}); got != want {
		t.Fatalf("ParseAPIWrites = %+v, want %+v", got, want)
	}
	if d := got.Minus(APIWrites{1, 2, 3, 1}); d != (APIWrites{9, 5, 22, 2}) {
		t.Fatalf("Minus = %+v", d)
	}
	if got := ParseAPIWrites(text, "ondemandcharges"); got != (APIWrites{StatusWrites: 50}) {
		t.Fatalf("ParseAPIWrites(ondemandcharges) = %+v", got)
	}
	key := WriteKey{Phase: "steady", Kind: "Subscription", Writer: Writer{"dodo-operator", "status"}}
	rep := WriteReport{Phases: []string{"steady"},
		Rows:    []WriteRow{{WriteKey: key, StatusWrites: 4, Inferred: 1, ObjectsWritten: 4, Objects: 8}},
		Server:  map[WriteKey]APIWrites{{Phase: "steady", Kind: "Subscription"}: {StatusWrites: 6}},
		Changes: []ChangeRow{{ChangeKey: ChangeKey{WriteKey: key, Fields: "status.lastObservedAt"}, Writes: 4}}}
	var out bytes.Buffer
	rep.Markdown(&out, 3)
	for _, want := range []string{"| steady | Subscription | dodo-operator (status), 1 by newest time | 0 | 0 | 4 | 4 / 8 | 0.500 |",
		"| steady | Subscription | API server count (2xx) | 0 | 0 | 6 |", "| status.lastObservedAt | 4 |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPhaseOf(t *testing.T) {
	w := &WriteWatcher{bounds: []bound{{rv: 10, name: "a"}, {rv: 20, name: ""}, {rv: 30, name: "b"}}}
	for rv, want := range map[uint64]string{5: "", 10: "", 11: "a", 20: "a", 25: "", 31: "b"} {
		if got := w.phaseOf(rv); got != want {
			t.Errorf("phaseOf(%d) = %q, want %q", rv, got, want)
		}
	}
}
