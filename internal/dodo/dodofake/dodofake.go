// Package dodofake is a stand-in for the Dodo client in controller tests, in the style of
// External Secrets' and Crossplane's fakes: every method counts its call and answers with
// its func field when one is set, else passes the call on to a real client (typically the
// simulator's, from simtest). Only tests import it.
package dodofake

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// writes are the methods that change something at Dodo.
var writes = map[string]bool{"CreateSubscription": true, "UpdateSubscription": true, "ChangePlan": true,
	"UpdatePaymentMethod": true, "Charge": true}

// Fake has the methods of *dodo.Client that the controllers call (the union of their
// PaymentsAPI interfaces, which check it where a test hands a Fake to a Reconciler). A
// method with its func field set answers with it; otherwise it passes the call on to
// Client (a call with neither panics). Func fields and After
// are set by the test between calls, not while the code under test runs.
type Fake struct {
	// Client answers the calls whose func field is nil.
	Client *dodo.Client
	// After, when set, runs with the method's name after every call returned: a test
	// stops the process there (CrashAfterNext) or changes the world between a call and
	// what its caller does next (AfterNext).
	After func(method string)

	GetSubscriptionFn      func(ctx context.Context, id string) (*dodo.Subscription, error)
	ListAllSubscriptionsFn func(ctx context.Context, p dodo.ListSubscriptionsParams) ([]dodo.SubscriptionListItem, error)
	ListAllPaymentsFn      func(ctx context.Context, p dodo.ListPaymentsParams) ([]dodo.PaymentListItem, error)
	GetPaymentFn           func(ctx context.Context, id string) (*dodo.Payment, error)
	CreateSubscriptionFn   func(ctx context.Context, req dodo.CreateSubscriptionRequest) (*dodo.CreateSubscriptionResponse, error)
	UpdateSubscriptionFn   func(ctx context.Context, id string, req dodo.UpdateSubscriptionRequest) (*dodo.Subscription, error)
	ChangePlanFn           func(ctx context.Context, id string, req dodo.ChangePlanRequest) (*dodo.ChangePlanResponse, error)
	UpdatePaymentMethodFn  func(ctx context.Context, id string, req dodo.UpdatePaymentMethodRequest) (*dodo.UpdatePaymentMethodResponse, error)
	ChargeFn               func(ctx context.Context, id string, req dodo.ChargeRequest) (*dodo.ChargeResponse, error)

	mu    sync.Mutex
	calls map[string]int
}

// New is a Fake that passes every call on to next.
func New(next *dodo.Client) *Fake { return &Fake{Client: next} }

// Count is how many times method (a name such as "Charge") was called.
func (f *Fake) Count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// Counts are the calls so far by method.
func (f *Fake) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.calls)
}

// Total is the number of calls of any method.
func (f *Fake) Total() int {
	n := 0
	for _, c := range f.Counts() {
		n += c
	}
	return n
}

// Writes is the number of calls that change something at Dodo.
func (f *Fake) Writes() int {
	n := 0
	for method, c := range f.Counts() {
		if writes[method] {
			n += c
		}
	}
	return n
}

// count counts a call of method.
func (f *Fake) count(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[method]++
}

// next is what answers a call of method that no func field answers.
func (f *Fake) next(method string) *dodo.Client {
	if f.Client == nil {
		panic(fmt.Sprintf("dodofake: %s called with neither its func field nor Client set", method))
	}
	return f.Client
}

// answer counts a call of method, makes it, then runs After.
func answer[T any](f *Fake, method string, call func() (T, error)) (T, error) {
	f.count(method)
	out, err := call()
	if f.After != nil {
		f.After(method)
	}
	return out, err
}

// AfterNext makes fn run once, right after the next call of method returned (it replaces
// After).
func (f *Fake) AfterNext(method string, fn func()) {
	f.After = func(m string) {
		if m == method {
			f.After = nil
			fn()
		}
	}
}

// Crash is what the Fake panics with to stop the operator process in the middle of a
// reconcile (CrashAfterNext, Crashed).
type Crash struct{}

// CrashAfterNext stops the process right after the next call of method returned: what
// the call did at Dodo is done, and the caller never learns its answer.
func (f *Fake) CrashAfterNext(method string) { f.AfterNext(method, func() { panic(Crash{}) }) }

// Crashed runs fn and reports whether it stopped with a Crash; any other panic goes on.
func Crashed(fn func()) (crashed bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(Crash); !ok {
				panic(r)
			}
			crashed = true
		}
	}()
	fn()
	return false
}

// GetSubscription counts the call and answers with GetSubscriptionFn, else Client.
func (f *Fake) GetSubscription(ctx context.Context, id string) (*dodo.Subscription, error) {
	fn := f.GetSubscriptionFn
	if fn == nil {
		fn = f.next("GetSubscription").GetSubscription
	}
	return answer(f, "GetSubscription", func() (*dodo.Subscription, error) { return fn(ctx, id) })
}

// ListAllSubscriptions counts the call and answers with ListAllSubscriptionsFn, else Client.
func (f *Fake) ListAllSubscriptions(ctx context.Context, p dodo.ListSubscriptionsParams) ([]dodo.SubscriptionListItem, error) {
	fn := f.ListAllSubscriptionsFn
	if fn == nil {
		fn = f.next("ListAllSubscriptions").ListAllSubscriptions
	}
	return answer(f, "ListAllSubscriptions", func() ([]dodo.SubscriptionListItem, error) { return fn(ctx, p) })
}

// ListAllPayments counts the call and answers with ListAllPaymentsFn, else Client.
func (f *Fake) ListAllPayments(ctx context.Context, p dodo.ListPaymentsParams) ([]dodo.PaymentListItem, error) {
	fn := f.ListAllPaymentsFn
	if fn == nil {
		fn = f.next("ListAllPayments").ListAllPayments
	}
	return answer(f, "ListAllPayments", func() ([]dodo.PaymentListItem, error) { return fn(ctx, p) })
}

// GetPayment counts the call and answers with GetPaymentFn, else Client.
func (f *Fake) GetPayment(ctx context.Context, id string) (*dodo.Payment, error) {
	fn := f.GetPaymentFn
	if fn == nil {
		fn = f.next("GetPayment").GetPayment
	}
	return answer(f, "GetPayment", func() (*dodo.Payment, error) { return fn(ctx, id) })
}

// CreateSubscription counts the call and answers with CreateSubscriptionFn, else Client.
func (f *Fake) CreateSubscription(ctx context.Context, req dodo.CreateSubscriptionRequest) (*dodo.CreateSubscriptionResponse, error) {
	fn := f.CreateSubscriptionFn
	if fn == nil {
		fn = f.next("CreateSubscription").CreateSubscription
	}
	return answer(f, "CreateSubscription", func() (*dodo.CreateSubscriptionResponse, error) { return fn(ctx, req) })
}

// UpdateSubscription counts the call and answers with UpdateSubscriptionFn, else Client.
func (f *Fake) UpdateSubscription(ctx context.Context, id string, req dodo.UpdateSubscriptionRequest) (*dodo.Subscription, error) {
	fn := f.UpdateSubscriptionFn
	if fn == nil {
		fn = f.next("UpdateSubscription").UpdateSubscription
	}
	return answer(f, "UpdateSubscription", func() (*dodo.Subscription, error) { return fn(ctx, id, req) })
}

// ChangePlan counts the call and answers with ChangePlanFn, else Client.
func (f *Fake) ChangePlan(ctx context.Context, id string, req dodo.ChangePlanRequest) (*dodo.ChangePlanResponse, error) {
	fn := f.ChangePlanFn
	if fn == nil {
		fn = f.next("ChangePlan").ChangePlan
	}
	return answer(f, "ChangePlan", func() (*dodo.ChangePlanResponse, error) { return fn(ctx, id, req) })
}

// UpdatePaymentMethod counts the call and answers with UpdatePaymentMethodFn, else Client.
func (f *Fake) UpdatePaymentMethod(ctx context.Context, id string,
	req dodo.UpdatePaymentMethodRequest) (*dodo.UpdatePaymentMethodResponse, error) {
	fn := f.UpdatePaymentMethodFn
	if fn == nil {
		fn = f.next("UpdatePaymentMethod").UpdatePaymentMethod
	}
	return answer(f, "UpdatePaymentMethod", func() (*dodo.UpdatePaymentMethodResponse, error) { return fn(ctx, id, req) })
}

// Charge counts the call and answers with ChargeFn, else Client.
func (f *Fake) Charge(ctx context.Context, id string, req dodo.ChargeRequest) (*dodo.ChargeResponse, error) {
	fn := f.ChargeFn
	if fn == nil {
		fn = f.next("Charge").Charge
	}
	return answer(f, "Charge", func() (*dodo.ChargeResponse, error) { return fn(ctx, id, req) })
}
