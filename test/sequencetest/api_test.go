package sequencetest

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

// actor is the object being reconciled, carried in the context passed to Reconcile so
// that every Dodo call can be charged to it.
type actor struct {
	kind string // "sub" or "charge"
	name string
	uid  types.UID
}

type actorKey struct{}

func withActor(ctx context.Context, a actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

func actorOf(ctx context.Context) actor {
	a, _ := ctx.Value(actorKey{}).(actor)
	return a
}

// Fault kinds, also the names in the summary.
const (
	faultLostAnswer     = "dodo-answer-lost-after-commit"
	faultFailedCall     = "dodo-failed-before-commit(502)"
	faultStatusBefore   = "status-write-failed-before-commit"
	faultStatusAfter    = "status-write-failed-after-commit"
	faultStatusConflict = "status-write-conflicted"
	faultKill           = "operator-killed-after-dodo-call"
	faultReadLost       = "dodo-read-failed"
	faultRestart        = "operator-restarted"
	faultExpiredLinks   = "payment-links-expired"
	faultDecliningCard  = "checkout-with-declining-card"
	faultDuplicateHook  = "webhook-delivered-twice"
	faultReorderedHook  = "webhook-swapped-with-next"
	faultHeldBackHook   = "webhook-held-back"
)

// dodoFault is armed for the next matching call of one reconcile.
type dodoFault struct {
	kind   string
	writes bool // the next write (create, update, change-plan, update-payment-method, charge); else the next read
}

// killPoint kills the operator right after the next matching call returned.
type killPoint struct {
	writes bool // after the next write; else after the next call of any kind
}

type crash struct{}

// recordingAPI is the operator's Dodo client: it checks every write against the model
// before sending it, fires armed faults and kills, and counts.
type recordingAPI struct {
	w     *world
	inner *dodo.Client
	fault *dodoFault
	kill  *killPoint
}

var routes = map[string]string{
	"CreateSubscription": simulator.RouteCreateSubscription, "UpdateSubscription": simulator.RoutePatchSubscription,
	"ChangePlan": simulator.RouteChangePlan, "UpdatePaymentMethod": simulator.RouteUpdatePaymentMethod,
	"Charge": simulator.RouteCharge, "GetSubscription": simulator.RouteGetSubscription,
	"ListAllSubscriptions": simulator.RouteListSubscriptions, "ListAllPayments": simulator.RouteListPayments,
	"GetPayment": simulator.RouteGetPayment,
}

// call runs one Dodo call with the armed fault and kill.
func (a *recordingAPI) call(ctx context.Context, method string, write bool, fn func() error) error {
	a.w.stats.calls++
	if write {
		a.w.model.writes++
		a.w.stats.writes[method]++
		a.w.checkHotLoop(actorOf(ctx), method)
	}
	var fault *dodoFault
	if a.fault != nil && a.fault.writes == write {
		fault, a.fault = a.fault, nil
		rf := simulator.RouteFaults{FailAfterCommitRate: 1}
		if fault.kind == faultFailedCall || fault.kind == faultReadLost {
			rf = simulator.RouteFaults{ErrorRate: 1, ErrorStatus: 502}
		}
		if err := a.w.sim.SetFaults(simulator.Faults{Routes: map[string]simulator.RouteFaults{routes[method]: rf}}); err != nil {
			panic(err)
		}
		a.w.stats.fault(fault.kind)
	}
	err := fn()
	if fault != nil {
		_ = a.w.sim.SetFaults(simulator.Faults{})
		a.w.logf("   %s: %s %s", actorOf(ctx).name, fault.kind, method)
	}
	if write {
		a.w.logf("   %s %s: %s%s", actorOf(ctx).kind, actorOf(ctx).name, method, errSuffix(err))
	}
	if a.kill != nil && (write || !a.kill.writes) {
		a.kill = nil
		a.w.stats.fault(faultKill)
		a.w.logf("   operator killed after %s", method)
		a.w.kube.kill()
		panic(crash{})
	}
	return err
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if len(msg) > 90 {
		msg = msg[:90] + "..."
	}
	return " -> error: " + strings.ReplaceAll(msg, "\n", " ")
}

func (a *recordingAPI) GetSubscription(ctx context.Context, id string) (out *dodo.Subscription, err error) {
	err = a.call(ctx, "GetSubscription", false, func() error { out, err = a.inner.GetSubscription(ctx, id); return err })
	return out, err
}

func (a *recordingAPI) ListAllSubscriptions(ctx context.Context, p dodo.ListSubscriptionsParams) (out []dodo.SubscriptionListItem, err error) {
	err = a.call(ctx, "ListAllSubscriptions", false, func() error { out, err = a.inner.ListAllSubscriptions(ctx, p); return err })
	return out, err
}

func (a *recordingAPI) ListAllPayments(ctx context.Context, p dodo.ListPaymentsParams) (out []dodo.PaymentListItem, err error) {
	err = a.call(ctx, "ListAllPayments", false, func() error { out, err = a.inner.ListAllPayments(ctx, p); return err })
	return out, err
}

func (a *recordingAPI) GetPayment(ctx context.Context, id string) (out *dodo.Payment, err error) {
	err = a.call(ctx, "GetPayment", false, func() error { out, err = a.inner.GetPayment(ctx, id); return err })
	return out, err
}

func (a *recordingAPI) CreateSubscription(ctx context.Context, req dodo.CreateSubscriptionRequest) (out *dodo.CreateSubscriptionResponse, err error) {
	a.w.checkCreate(actorOf(ctx))
	err = a.call(ctx, "CreateSubscription", true, func() error { out, err = a.inner.CreateSubscription(ctx, req); return err })
	if err == nil {
		a.w.learnSubscription(out.SubscriptionID, req.Metadata["k8s_uid"])
	}
	return out, err
}

func (a *recordingAPI) UpdateSubscription(ctx context.Context, id string, req dodo.UpdateSubscriptionRequest) (out *dodo.Subscription, err error) {
	a.w.checkWrite(ctx, "UpdateSubscription", id)
	err = a.call(ctx, "UpdateSubscription", true, func() error { out, err = a.inner.UpdateSubscription(ctx, id, req); return err })
	return out, err
}

func (a *recordingAPI) ChangePlan(ctx context.Context, id string, req dodo.ChangePlanRequest) (out *dodo.ChangePlanResponse, err error) {
	a.w.checkWrite(ctx, "ChangePlan", id)
	err = a.call(ctx, "ChangePlan", true, func() error { out, err = a.inner.ChangePlan(ctx, id, req); return err })
	if mayHaveApplied(err) {
		a.w.checkChangePlan(actorOf(ctx), id, req)
	}
	return out, err
}

func (a *recordingAPI) UpdatePaymentMethod(ctx context.Context, id string, req dodo.UpdatePaymentMethodRequest) (
	out *dodo.UpdatePaymentMethodResponse, err error) {
	a.w.checkWrite(ctx, "UpdatePaymentMethod", id)
	key := a.w.paymentMethodCallKey(actorOf(ctx), id, req)
	err = a.call(ctx, "UpdatePaymentMethod", true, func() error { out, err = a.inner.UpdatePaymentMethod(ctx, id, req); return err })
	if mayHaveApplied(err) {
		a.w.countPaymentMethodCall(actorOf(ctx), id, key)
	}
	return out, err
}

// mayHaveApplied: a call Dodo answered with a refusal (any error but an unknown outcome)
// changed nothing, and sending it again later is no repeat (invariants 3 and 4 count the
// others).
func mayHaveApplied(err error) bool { return err == nil || dodo.IsOutcomeUnknown(err) }

func (a *recordingAPI) Charge(ctx context.Context, id string, req dodo.ChargeRequest) (out *dodo.ChargeResponse, err error) {
	a.w.checkWrite(ctx, "Charge", id)
	err = a.call(ctx, "Charge", true, func() error { out, err = a.inner.Charge(ctx, id, req); return err })
	return out, err
}

func (a actor) String() string { return fmt.Sprintf("%s %s (%s)", a.kind, a.name, shortUID(a.uid)) }

func shortUID(uid types.UID) string {
	if len(uid) > 8 {
		return string(uid[:8])
	}
	return string(uid)
}
