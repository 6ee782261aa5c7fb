package webhookreceiver

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
)

// lastWebhookInterval is how often an account's status.lastWebhookAt is written at most:
// it shows that Dodo reaches the account's path, which a minute's precision shows as well,
// and it must never cost a write per event.
const lastWebhookInterval = time.Minute

// lastWebhookTimeout bounds the write; it delays the answer of one delivery a minute.
const lastWebhookTimeout = 2 * time.Second

// webhookMarks remembers when this process last wrote each account's lastWebhookAt.
type webhookMarks struct {
	mu sync.Mutex
	at map[accounts.Key]time.Time
}

// due says whether lastWebhookAt should be written at now, and if so claims the write, so
// that concurrent deliveries make one. recorded is the account's status as the cache has
// it: another replica, or this process before a restart, may have written it recently.
func (m *webhookMarks) due(key accounts.Key, now time.Time, recorded *metav1.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	last := m.at[key]
	if recorded != nil && recorded.After(last) {
		last = recorded.Time
	}
	// A time ahead of now by more than the interval is a clock jump: write again.
	if age := now.Sub(last); !last.IsZero() && age > -lastWebhookInterval && age < lastWebhookInterval {
		return false
	}
	m.at[key] = now
	return true
}

// noteAccepted records that a delivery for the account was accepted: one merge patch of
// status.lastWebhookAt, at most once a lastWebhookInterval. A failure is only logged; the
// next delivery after the interval writes again.
func (r *Receiver) noteAccepted(ctx context.Context, acct *accounts.Account) {
	now := r.clock.Now()
	if !r.marks.due(acct.Key, now, lastWebhookAt(acct.Object)) {
		return
	}
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"lastWebhookAt": metav1.NewTime(now)}})
	if err != nil {
		r.log.Error(err, "Could not record the account's lastWebhookAt", "account", acct.Key.String())
		return
	}
	obj, ok := acct.Object.DeepCopyObject().(client.Object) // never change the cache's copy
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lastWebhookTimeout)
	defer cancel()
	if err := r.client.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)); err != nil {
		r.log.Error(err, "Could not record the account's lastWebhookAt", "account", acct.Key.String())
	}
}

func lastWebhookAt(obj client.Object) *metav1.Time {
	switch o := obj.(type) {
	case *billingv1alpha1.DodoAccount:
		return o.Status.LastWebhookAt
	case *billingv1alpha1.ClusterDodoAccount:
		return o.Status.LastWebhookAt
	}
	return nil
}
