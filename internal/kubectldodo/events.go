package kubectldodo

import (
	"context"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// recentEvents is how many events status shows: enough for the last transitions, few
// enough to read; `kubectl events --for` shows them all.
const recentEvents = 10

// objectEvents lists the core/v1 Events about one object, by its UID (the name alone would
// also match a deleted object of the same name), oldest first, at most recentEvents.
// Events written through events.k8s.io/v1 (the operator's recorder) are listed here too:
// both APIs serve the same objects.
func objectEvents(ctx context.Context, c client.Client, obj client.Object) ([]corev1.Event, error) {
	list := &corev1.EventList{}
	if err := c.List(ctx, list, client.InNamespace(obj.GetNamespace()),
		client.MatchingFields{"involvedObject.uid": string(obj.GetUID())}); err != nil {
		return nil, err
	}
	items := list.Items
	sort.SliceStable(items, func(i, j int) bool { return eventBefore(&items[i], &items[j]) })
	if len(items) > recentEvents {
		items = items[len(items)-recentEvents:]
	}
	return items, nil
}

// eventTime is when an event was last seen, whichever API wrote it: core/v1 writers set
// lastTimestamp, events.k8s.io/v1 writers set eventTime and, for repeats, series; the
// creation time only when neither did.
func eventTime(e *corev1.Event) time.Time {
	var t time.Time
	for _, candidate := range []time.Time{e.FirstTimestamp.Time, e.LastTimestamp.Time, e.EventTime.Time} {
		if candidate.After(t) {
			t = candidate
		}
	}
	if e.Series != nil && e.Series.LastObservedTime.After(t) {
		t = e.Series.LastObservedTime.Time
	}
	if t.IsZero() {
		return e.CreationTimestamp.Time
	}
	return t
}

// eventBefore orders by time, then, for events of the same second (core/v1 timestamps have
// no finer grain, and one reconcile emits several), by resourceVersion: opaque in general,
// but etcd's revisions are increasing integers, and an order that follows creation is
// better than the list's order by name. Anything else keeps the list's order.
func eventBefore(a, b *corev1.Event) bool {
	ta, tb := eventTime(a), eventTime(b)
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	ra, errA := strconv.ParseUint(a.ResourceVersion, 10, 64)
	rb, errB := strconv.ParseUint(b.ResourceVersion, 10, 64)
	return errA == nil && errB == nil && ra < rb
}

func eventCount(e *corev1.Event) int32 {
	if e.Series != nil && e.Series.Count > e.Count {
		return e.Series.Count
	}
	return max(e.Count, 1)
}
