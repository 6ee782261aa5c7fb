package ondemandcharge

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

func TestAllowRetryAnnotationAllowsOneMoreAttempt(t *testing.T) {
	api := newScriptedAPI(payment("pay_1", failed, "SOMETHING_NEW", 700, day0, "pm_card", nil))
	u := newUnitCase(t, api, "on_hold", day0, day0.Add(time.Hour), declinedAttempt(1, "pay_1", day0, "SOMETHING_NEW"))
	u.afterFailure()
	if u.s.out.stalled == nil || u.s.out.stalled.Reason != billingv1alpha1.ReasonDeclineNotRetryable || api.moneyCalls() != 0 {
		t.Fatalf("stalled %+v, money calls %d", u.s.out.stalled, api.moneyCalls())
	}

	u.s = &scope{charge: u.s.charge, before: u.s.charge.DeepCopy(), now: day0.Add(3*day + time.Hour), api: u.r.API}
	u.s.charge.Annotations = map[string]string{billingv1alpha1.AnnotationAllowRetry: "2"} // names no declined attempt
	if u.r.applyResolution(u.s) {
		t.Fatal("an annotation naming another attempt resolved the stall")
	}
	u.s.charge.Annotations[billingv1alpha1.AnnotationAllowRetry] = "1"
	if !u.r.applyResolution(u.s) {
		t.Fatal("the annotation did not resolve the stall")
	}
	u.afterFailure()
	st := u.s.charge.Status
	if api.moneyCalls() != 1 || len(st.Attempts) != 2 || st.Attempts[1].Via != viaDues || u.s.out.stalled != nil {
		t.Fatalf("money calls %d, attempts %+v, stalled %+v", api.moneyCalls(), st.Attempts, u.s.out.stalled)
	}
}

func TestAllowRetryAnswersAnUnclearDuesPayment(t *testing.T) {
	api := newScriptedAPI(payment("pay_1", failed, "INSUFFICIENT_FUNDS", 700, day0, "pm_card", nil),
		payment("pay_small", paid, "", 300, day0.Add(day), "pm_card", nil))
	u := newUnitCase(t, api, "active", day0, day0.Add(2*day), declinedAttempt(1, "pay_1", day0, "INSUFFICIENT_FUNDS"))
	u.s.charge.Annotations = map[string]string{billingv1alpha1.AnnotationAllowRetry: "1"}
	u.afterFailure()
	if u.s.out.stalled != nil || u.s.out.finished != nil || u.s.charge.Status.NextAttemptAt == nil || api.moneyCalls() != 0 {
		t.Fatalf("stalled %+v, finished %+v, next %v", u.s.out.stalled, u.s.out.finished, u.s.charge.Status.NextAttemptAt)
	}
}

func TestPaymentLookupListsOncePerSmallHistory(t *testing.T) {
	api := newScriptedAPI()
	for i := range 50 {
		id := fmt.Sprintf("pay_%d", i)
		api.payments[id] = payment(id, paid, "", 100, day0.Add(-time.Duration(i)*day), "pm_card", nil)
	}
	u := newUnitCase(t, api, "active", day0.Add(-100*day), day0)
	if found, err := u.r.adoptEarlierPayments(u.ctx, u.s, u.sub); found || err != nil || len(api.listCalls) != 1 {
		t.Fatalf("found %v, err %v, %d list calls", found, err, len(api.listCalls))
	}
	call := api.listCalls[0]
	if !call.CreatedAtGTE.Equal(day0.Add(-101*day)) || !call.CreatedAtLTE.Equal(day0.Add(lookupSlack)) {
		t.Fatalf("bounds %v .. %v", call.CreatedAtGTE, call.CreatedAtLTE)
	}
}

func TestPaymentLookupFailsClosed(t *testing.T) {
	// More payments in one second than a page holds: no window can be read whole.
	api := newScriptedAPI(payment("pay_mine", failed, "INSUFFICIENT_FUNDS", 700, day0.Add(-day), "pm_card",
		map[string]string{stamp.KeyChargeKey: "c"}))
	for i := range 150 {
		id := fmt.Sprintf("pay_%03d", i)
		api.payments[id] = payment(id, paid, "", 100, day0.Add(-2*time.Hour), "pm_card", nil)
	}
	api.pageCap = listPageSize
	u := newUnitCase(t, api, "active", day0.Add(-10*day), day0)
	found, err := u.r.adoptEarlierPayments(u.ctx, u.s, u.sub)
	if found || !errors.Is(err, errTooManyPayments) || len(u.s.charge.Status.Attempts) != 0 || len(api.listCalls) > maxListCalls {
		t.Fatalf("found %v, err %v, %d list calls", found, err, len(api.listCalls))
	}
}

func TestPaymentLookupReturnsOtherErrorsAtOnce(t *testing.T) {
	api := &failingListAPI{scriptedAPI: newScriptedAPI()}
	u := newUnitCase(t, api.scriptedAPI, "active", day0.Add(-10*day), day0)
	u.r.API, u.s.api = api, api
	if _, err := u.r.adoptEarlierPayments(u.ctx, u.s, u.sub); err == nil || api.calls != 1 {
		t.Fatalf("err %v after %d calls", err, api.calls)
	}
}

type failingListAPI struct {
	*scriptedAPI
	calls int
}

func (f *failingListAPI) ListAllPayments(_ context.Context, _ dodo.ListPaymentsParams) ([]dodo.PaymentListItem, error) {
	f.calls++
	return nil, &dodo.APIError{StatusCode: 500, Code: "INTERNAL", Message: "try later"}
}
