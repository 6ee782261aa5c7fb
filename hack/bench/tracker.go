package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// tracker watches the Subscriptions of one namespace (an informer, like `kubectl get -w`)
// and records when each became Active and Ready, when a webhook's effect became visible,
// and any condition that mentions the payments API's rate limit.
type tracker struct {
	mu          sync.Mutex
	active      map[string]time.Time
	allActive   chan struct{}
	want        int
	sent        map[string]time.Time // webhook-id -> when it was sent
	delays      []time.Duration
	rateLimited map[string]string // object -> condition message mentioning a 429
}

func startTracker(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, namespace string, want int) (*tracker, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{namespace: {}},
		DefaultTransform: cache.TransformStripManagedFields()})
	if err != nil {
		return nil, err
	}
	informer, err := c.GetInformer(ctx, &billingv1alpha1.Subscription{})
	if err != nil {
		return nil, err
	}
	t := &tracker{active: map[string]time.Time{}, allActive: make(chan struct{}), want: want,
		sent: map[string]time.Time{}, rateLimited: map[string]string{}}
	_, err = informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { t.observe(obj) },
		UpdateFunc: func(_, obj any) { t.observe(obj) },
	})
	if err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the tracker's cache did not sync")
	}
	return t, nil
}

func (t *tracker) observe(obj any) {
	sub, ok := obj.(*billingv1alpha1.Subscription)
	if !ok {
		return
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range sub.Status.Conditions {
		if mentionsRateLimit(c.Message) {
			t.rateLimited[sub.Name] = c.Type + ": " + c.Message
		}
	}
	if ev := sub.Status.LastWebhookEvent; ev != nil {
		if sentAt, ok := t.sent[ev.ID]; ok {
			t.delays = append(t.delays, now.Sub(sentAt))
			delete(t.sent, ev.ID)
		}
	}
	if _, seen := t.active[sub.Name]; seen || !isActiveAndReady(sub) {
		return
	}
	t.active[sub.Name] = now
	if len(t.active) == t.want {
		close(t.allActive)
	}
}

// isActiveAndReady: Dodo says active and the operator's Ready condition agrees.
func isActiveAndReady(sub *billingv1alpha1.Subscription) bool {
	return sub.Status.SubscriptionID != "" && sub.Status.ProviderStatus == "active" &&
		harness.ConditionStatus(sub.Status.Conditions, billingv1alpha1.ConditionReady) == "True"
}

// mentionsRateLimit reports whether a condition message shows a 429 reaching the object.
func mentionsRateLimit(message string) bool {
	m := strings.ToLower(message)
	return strings.Contains(m, "429") || strings.Contains(m, "too_many_requests") || strings.Contains(m, "rate limit")
}

// waitAllActive waits until want objects were seen Active and Ready.
func (t *tracker) waitAllActive(ctx context.Context) error {
	select {
	case <-t.allActive:
		return nil
	case <-ctx.Done():
		t.mu.Lock()
		defer t.mu.Unlock()
		return fmt.Errorf("%d of %d Active after the timeout: %w", len(t.active), t.want, ctx.Err())
	}
}

// lastActive is when the last object became Active.
func (t *tracker) lastActive() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	var last time.Time
	for _, at := range t.active {
		if at.After(last) {
			last = at
		}
	}
	return last
}

// expect registers a webhook that is about to be sent.
func (t *tracker) expect(webhookID string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent[webhookID] = at
}

// takeDelays returns the delays measured since the last call, and how many sent webhooks
// were never seen applied.
func (t *tracker) takeDelays() ([]time.Duration, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delays, unseen := t.delays, len(t.sent)
	t.delays, t.sent = nil, map[string]time.Time{}
	return delays, unseen
}

func (t *tracker) rateLimitedConditions() map[string]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]string, len(t.rateLimited))
	for k, v := range t.rateLimited {
		out[k] = v
	}
	return out
}
