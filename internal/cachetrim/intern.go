package cachetrim

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// Limits of the intern table: condition types, reasons and messages are a few hundred
// distinct strings across every object (the same sentences in each), so the table stays
// small; the caps only keep an unusual stream of distinct messages from growing it.
const (
	maxInterned    = 2048
	maxInternedLen = 512
)

// interner gives equal strings one copy: the informer decodes each object's conditions
// into fresh strings, the same few sentences 10,000 times (issue 17: memory per cached
// object). Interned strings are the same values, so nothing that reads them can tell.
type interner struct {
	mu      sync.Mutex
	strings map[string]string
}

func (in *interner) intern(s string) string {
	if s == "" || len(s) > maxInternedLen {
		return s
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if canonical, ok := in.strings[s]; ok {
		return canonical
	}
	if len(in.strings) < maxInterned {
		in.strings[s] = s
	}
	return s
}

func (in *interner) conditions(conditions []metav1.Condition) {
	for i := range conditions {
		c := &conditions[i]
		c.Type, c.Reason, c.Message = in.intern(c.Type), in.intern(c.Reason), in.intern(c.Message)
	}
}

// object interns what repeats across the objects of the operator's kinds: the namespace,
// the conditions, and status values drawn from a small set.
func (in *interner) object(obj any) {
	switch o := obj.(type) {
	case *billingv1alpha1.Subscription:
		o.Namespace = in.intern(o.Namespace)
		o.Spec.ProductID = in.intern(o.Spec.ProductID)
		st := &o.Status
		in.conditions(st.Conditions)
		st.ProviderStatus, st.ProductID, st.Currency = in.intern(st.ProviderStatus), in.intern(st.ProductID), in.intern(st.Currency)
		if st.LastWebhookEvent != nil {
			st.LastWebhookEvent.Type = in.intern(st.LastWebhookEvent.Type)
		}
	case *billingv1alpha1.OnDemandCharge:
		o.Namespace = in.intern(o.Namespace)
		in.conditions(o.Status.Conditions)
	}
}
