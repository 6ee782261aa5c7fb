package webhookreceiver

import (
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestOwnWritesForgetOldEntriesOnceFull(t *testing.T) {
	var w ownWrites
	for i := range maxOwnWrites {
		w.wrote(types.NamespacedName{Name: strconv.Itoa(i)}, testStart)
	}
	later := testStart.Add(ownWriteWindow)
	w.wrote(types.NamespacedName{Name: "new"}, later)
	if len(w.at) != 1 || !w.recent(types.NamespacedName{Name: "new"}, later) {
		t.Fatalf("%d entries kept after the sweep; want only the new one", len(w.at))
	}
	if w.recent(types.NamespacedName{Name: "0"}, later) {
		t.Fatal("an entry past the window counts as recent")
	}
}
