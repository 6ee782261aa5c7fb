package webhookreceiver

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// ownWriteWindow is how long after the receiver's own write to an object its cache may
// still show the copy before it: the watch brings the write back within milliseconds on a
// healthy API server; a second is far beyond that and short enough to forget quickly.
const ownWriteWindow = time.Second

// maxOwnWrites bounds the memory: past it, entries older than the window are swept.
const maxOwnWrites = 1024

// ownWrites remembers when the receiver last wrote each object. Two events for one object
// a few milliseconds apart (subscription.active and payment.succeeded at creation) would
// otherwise write the second on a cached copy without the first: a conflict every time.
type ownWrites struct {
	mu sync.Mutex
	at map[types.NamespacedName]time.Time
}

func (w *ownWrites) wrote(key types.NamespacedName, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.at == nil {
		w.at = map[types.NamespacedName]time.Time{}
	}
	if len(w.at) >= maxOwnWrites {
		for k, t := range w.at {
			if now.Sub(t) >= ownWriteWindow {
				delete(w.at, k)
			}
		}
	}
	w.at[key] = now
}

// recent says whether the receiver wrote key within the window.
func (w *ownWrites) recent(key types.NamespacedName, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.at[key]
	return ok && now.Sub(t) < ownWriteWindow
}
