package sequencetest

import (
	"context"
	"errors"
	"strconv"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// faultyClient is the operator's API-server client. A status-write fault fails the next
// status write, before it is stored (nothing stored) or after (stored, but the caller
// gets an error), or makes it conflict with a concurrent write. A killed client refuses everything: a killed process makes no more
// calls, and the reconcile's deferred status write must not reach the API server.
type faultyClient struct {
	client.Client
	statusFault string // faultStatusBefore or faultStatusAfter, for the next status write
	dead        bool
	fired       func(kind string)
	// writes counts the writes stored; touched hears of each written object (the watch).
	writes    int
	touched   func(client.Object)
	conflicts int
}

var (
	errInjected = errors.New("injected fault: the API server did not answer")
	errKilled   = errors.New("the operator process was killed")
)

func (c *faultyClient) count(obj client.Object, err error) error {
	if err == nil {
		c.writes++
		if c.touched != nil {
			c.touched(obj)
		}
	}
	return err
}

func (c *faultyClient) kill()   { c.dead = true }
func (c *faultyClient) revive() { c.dead = false }

func (c *faultyClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if c.dead {
		return errKilled
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

func (c *faultyClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if c.dead {
		return errKilled
	}
	return c.Client.List(ctx, list, opts...)
}

func (c *faultyClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if c.dead {
		return errKilled
	}
	return c.count(obj, c.Client.Update(ctx, obj, opts...))
}

func (c *faultyClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if c.dead {
		return errKilled
	}
	return c.count(obj, c.Client.Patch(ctx, obj, patch, opts...))
}

func (c *faultyClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	if c.dead {
		return errKilled
	}
	return c.count(obj, c.Client.Delete(ctx, obj, opts...))
}

func (c *faultyClient) Status() client.SubResourceWriter {
	return &faultyStatus{c: c, inner: c.Client.Status()}
}

type faultyStatus struct {
	c     *faultyClient
	inner client.SubResourceWriter
}

// write applies the armed fault around one status write of obj.
func (s *faultyStatus) write(obj client.Object, do func() error) error {
	if s.c.dead {
		return errKilled
	}
	fault := s.c.statusFault
	s.c.statusFault = ""
	if fault != "" && s.c.fired != nil {
		s.c.fired(fault)
	}
	switch fault {
	case faultStatusConflict:
		s.c.concurrentWrite(obj)
	case faultStatusBefore:
		return errInjected
	case faultStatusAfter:
		if err := s.c.count(obj, do()); err != nil {
			return err
		}
		return errInjected
	}
	return s.c.count(obj, do())
}

func (s *faultyStatus) Create(ctx context.Context, obj client.Object, sub client.Object, opts ...client.SubResourceCreateOption) error {
	return s.write(obj, func() error { return s.inner.Create(ctx, obj, sub, opts...) })
}

func (s *faultyStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	return s.write(obj, func() error { return s.inner.Update(ctx, obj, opts...) })
}

func (s *faultyStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	return s.write(obj, func() error { return s.inner.Patch(ctx, obj, patch, opts...) })
}

func (s *faultyStatus) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
	return s.write(nil, func() error { return s.inner.Apply(ctx, obj, opts...) })
}

// concurrentWrite stores a change of the webhook receiver's own field (recentWebhookIDs)
// just before the operator's status write: the write is then based on a stale copy and
// conflicts, as when the receiver writes during a reconcile.
func (c *faultyClient) concurrentWrite(obj client.Object) {
	if obj == nil {
		return
	}
	c.conflicts++
	id := "concurrent-" + strconv.Itoa(c.conflicts)
	ctx, key := context.Background(), client.ObjectKeyFromObject(obj)
	switch obj.(type) {
	case *billingv1alpha1.Subscription:
		fresh := &billingv1alpha1.Subscription{}
		if c.Client.Get(ctx, key, fresh) == nil {
			fresh.Status.RecentWebhookIDs = lastN(append(fresh.Status.RecentWebhookIDs, id), 32)
			_ = c.count(fresh, c.Client.Status().Update(ctx, fresh))
		}
	case *billingv1alpha1.OnDemandCharge:
		fresh := &billingv1alpha1.OnDemandCharge{}
		if c.Client.Get(ctx, key, fresh) == nil {
			fresh.Status.RecentWebhookIDs = lastN(append(fresh.Status.RecentWebhookIDs, id), 32)
			_ = c.count(fresh, c.Client.Status().Update(ctx, fresh))
		}
	}
}

func lastN(ids []string, n int) []string {
	if len(ids) > n {
		return ids[len(ids)-n:]
	}
	return ids
}
