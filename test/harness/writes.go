package harness

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	toolswatch "k8s.io/client-go/tools/watch"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// WrittenKinds are the kinds a WriteWatcher watches, with their resources.
var WrittenKinds = []struct{ Kind, Resource string }{
	{"Subscription", "subscriptions"}, {"OnDemandCharge", "ondemandcharges"},
}

// WriteWatcher watches the Subscriptions and OnDemandCharges of one namespace with their
// managedFields (an uncached watch: the operator's and the receiver's caches strip them)
// and attributes every stored write to the field manager that made it (see attribute).
// Writes are counted in phases the caller names (Phase); writes outside a phase are not
// counted. Each phase also keeps the API server's own count of successful writes, so
// writes that stored nothing new (the API server does not store, and no watcher sees, a
// write that changes nothing) show as the difference.
//
// Limits: a watch that breaks resumes from the last version seen (no write is lost, but
// one whose version was compacted away ends the watch with an error, see Err); a write
// is counted in the phase its resourceVersion falls in (see Phase).
type WriteWatcher struct {
	cfg *rest.Config
	ns  string

	mu sync.Mutex
	// bounds are the phases in order, each from the store's revision when it started.
	bounds  []bound
	objects map[string]objectState // kind/name
	tallies map[WriteKey]*writeTally
	changes map[ChangeKey]int
	server  map[WriteKey]APIWrites // per phase and kind, Writer ""
	exist   map[WriteKey]int       // objects per phase and kind at its end
	atStart map[string]APIWrites   // the API server's counts by resource at the phase's start
	streams map[string]*streamState
	ended   []string // phases ended, in order
	err     error
}

// WriteKey names one phase, kind and writer.
type WriteKey struct {
	Phase, Kind string
	Writer      Writer
}

// ChangeKey is one phase, kind and writer with the fields its writes changed.
type ChangeKey struct {
	WriteKey
	Fields string
}

type writeTally struct {
	creates, writes, inferred int
	objects                   map[string]struct{}
}

type objectState struct {
	entries []fieldEntry
	leaves  map[string]uint64
}

// bound is the start of a phase: writes of a later resourceVersion belong to it.
type bound struct {
	rv   uint64
	name string
}

type streamState struct {
	lastRV    uint64
	lastEvent time.Time
}

// WatchWrites lists the namespace's objects of WrittenKinds and watches them until ctx
// ends.
func WatchWrites(ctx context.Context, cfg *rest.Config, namespace string) (*WriteWatcher, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	w := &WriteWatcher{cfg: cfg, ns: namespace, objects: map[string]objectState{}, tallies: map[WriteKey]*writeTally{},
		changes: map[ChangeKey]int{}, server: map[WriteKey]APIWrites{}, exist: map[WriteKey]int{},
		streams: map[string]*streamState{}}
	for _, k := range WrittenKinds {
		ri := dyn.Resource(testenv.GVR(k.Resource)).Namespace(namespace)
		list, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", k.Resource, err)
		}
		for i := range list.Items {
			w.objects[k.Kind+"/"+list.Items[i].GetName()] = stateOf(&list.Items[i])
		}
		lw := &toolscache.ListWatch{WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return ri.Watch(ctx, o)
		}}
		rw, err := toolswatch.NewRetryWatcherWithContext(ctx, list.GetResourceVersion(), lw)
		if err != nil {
			return nil, err
		}
		w.streams[k.Kind] = &streamState{}
		go w.receive(ctx, k.Kind, rw)
	}
	return w, nil
}

func stateOf(u *unstructured.Unstructured) objectState {
	return objectState{entries: entriesOf(u.GetManagedFields()), leaves: flatten(u.Object)}
}

func (w *WriteWatcher) receive(ctx context.Context, kind string, rw *toolswatch.RetryWatcher) {
	defer rw.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-rw.Done():
			w.fail(fmt.Errorf("the %s watch ended", kind))
			return
		case ev, ok := <-rw.ResultChan():
			if !ok {
				return
			}
			if ev.Type == watch.Error {
				w.fail(fmt.Errorf("the %s watch: %v", kind, ev.Object))
				continue
			}
			if u, isU := ev.Object.(*unstructured.Unstructured); isU {
				w.observe(kind, ev.Type, u)
			}
		}
	}
}

func (w *WriteWatcher) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.err = errors.Join(w.err, err)
}

// Err is what went wrong with the watches (nil when every write was seen).
func (w *WriteWatcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// observe counts one watch event: a create or a write, attributed to its writer.
func (w *WriteWatcher) observe(kind string, typ watch.EventType, u *unstructured.Unstructured) {
	state := stateOf(u)
	key := kind + "/" + u.GetName()
	rv, _ := strconv.ParseUint(u.GetResourceVersion(), 10, 64)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.streams[kind].lastRV = max(w.streams[kind].lastRV, rv)
	w.streams[kind].lastEvent = time.Now()
	old, known := w.objects[key]
	if typ == watch.Deleted {
		delete(w.objects, key)
		return
	}
	w.objects[key] = state
	phase := w.phaseOf(rv)
	if phase == "" {
		return
	}
	paths := changedPaths(old.leaves, state.leaves)
	writer, how := attribute(old.entries, state.entries, statusTouched(paths))
	wk := WriteKey{Phase: phase, Kind: kind, Writer: writer}
	t := w.tallies[wk]
	if t == nil {
		t = &writeTally{objects: map[string]struct{}{}}
		w.tallies[wk] = t
	}
	t.objects[u.GetName()] = struct{}{}
	if typ == watch.Added && !known {
		t.creates++
		return
	}
	t.writes++
	if how == ByNewestTime {
		t.inferred++
	}
	w.changes[ChangeKey{WriteKey: wk, Fields: summarizePaths(paths, 6)}]++
}

// phaseOf is the phase a write of resourceVersion rv belongs to ("" for none).
func (w *WriteWatcher) phaseOf(rv uint64) string {
	name := ""
	for _, b := range w.bounds {
		if rv > b.rv {
			name = b.name
		}
	}
	return name
}

// current is the phase started last ("" for none).
func (w *WriteWatcher) current() string {
	if len(w.bounds) == 0 {
		return ""
	}
	return w.bounds[len(w.bounds)-1].name
}

// Phase ends the current phase and starts the one named ("" ends it without starting
// another). The boundary is the store's revision read right after the API server's write
// counters: a write belongs to the phase its resourceVersion falls in (resourceVersions
// compared as numbers, which holds for the etcd behind envtest, not by API contract). It
// then waits (up to 30 s) until each watch has delivered the ending phase's writes.
func (w *WriteWatcher) Phase(ctx context.Context, name string) error {
	counts, err := ScrapeAPIWrites(ctx, w.cfg)
	if err != nil {
		return err
	}
	rv, err := w.currentVersion(ctx)
	if err != nil {
		return err
	}
	w.mu.Lock()
	ending := w.current()
	w.bounds = append(w.bounds, bound{rv: rv, name: name})
	started := w.atStart
	w.atStart = counts
	w.mu.Unlock()
	w.catchUp(ctx, rv)
	w.mu.Lock()
	defer w.mu.Unlock()
	if ending == "" {
		return nil
	}
	for _, k := range WrittenKinds {
		pk := WriteKey{Phase: ending, Kind: k.Kind}
		w.server[pk] = counts[k.Resource].Minus(started[k.Resource])
		n := 0
		for key := range w.objects {
			if strings.HasPrefix(key, k.Kind+"/") {
				n++
			}
		}
		w.exist[pk] = n
	}
	w.ended = append(w.ended, ending)
	return nil
}

// catchUp waits until every watch has seen revision target or has been quiet for a
// second (nothing more to deliver), for at most 30 s.
func (w *WriteWatcher) catchUp(ctx context.Context, target uint64) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		w.mu.Lock()
		done := true
		for _, s := range w.streams {
			if s.lastRV < target && time.Since(s.lastEvent) < time.Second {
				done = false
			}
		}
		w.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// currentVersion is the resourceVersion of a quorum list: the store's latest revision.
func (w *WriteWatcher) currentVersion(ctx context.Context) (uint64, error) {
	dyn, err := dynamic.NewForConfig(w.cfg)
	if err != nil {
		return 0, err
	}
	list, err := dyn.Resource(testenv.GVR(WrittenKinds[0].Resource)).Namespace(w.ns).List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(list.GetResourceVersion(), 10, 64)
}
