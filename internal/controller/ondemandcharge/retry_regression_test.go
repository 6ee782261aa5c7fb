package ondemandcharge

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// Regressions of issue 13 (docs/retry-policy.md): each failed on the code before the fix.

var (
	day0   = time.Date(2026, 3, 2, 13, 10, 0, 0, time.UTC)
	failed = dodo.PaymentStatusFailed
	paid   = dodo.PaymentStatusSucceeded
)

const day = 24 * time.Hour

// expectScheduledAtLeast checks that a retry is scheduled, not made, no earlier than
// earliest and at the anchor's time of day (within the spread).
func expectScheduledAtLeast(t *testing.T, u *unitCase, earliest, anchor time.Time) {
	t.Helper()
	st := u.s.charge.Status
	if u.api.moneyCalls() != 0 || len(st.Attempts) != int(st.AttemptCount) || st.NextAttemptAt == nil {
		t.Fatalf("money calls %d, next %v, attempts %+v", u.api.moneyCalls(), st.NextAttemptAt, st.Attempts)
	}
	next := st.NextAttemptAt.UTC()
	if next.Before(earliest) {
		t.Fatalf("next attempt at %v, %v before the earliest allowed %v", next, earliest.Sub(next), earliest)
	}
	if off := timeOfDay(next) - timeOfDay(anchor); (off+day)%day >= spreadWindow {
		t.Fatalf("next attempt at %v is not at the anchor's time of day %v (+ spread)", next, anchor.UTC())
	}
}

func timeOfDay(t time.Time) time.Duration {
	t = t.UTC()
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
}

// Case 1: attempt 2 ran late, on day 12; attempt 3 was due at once (day 10 had passed).
func TestRegressionScheduleCountsFromThePreviousAttempt(t *testing.T) {
	second := day0.Add(12 * day)
	api := newScriptedAPI(payment("pay_1", failed, "INSUFFICIENT_FUNDS", 700, day0, "pm_card", nil),
		payment("pay_2", failed, "PROCESSING_ERROR", 700, second, "pm_card", nil))
	u := newUnitCase(t, api, "on_hold", day0, second.Add(time.Hour),
		declinedAttempt(1, "pay_1", day0, "INSUFFICIENT_FUNDS"), declinedAttempt(2, "pay_2", second, "PROCESSING_ERROR"))
	u.afterFailure()
	expectScheduledAtLeast(t, u, second.Add(7*day), day0)
}

// Case 2: first attempt at 23:50 UTC, anchor 00:05: attempt 2 came 48 h 25 min later, and
// attempt 3 six days after attempt 2.
func TestRegressionAnchoringNeverCompressesAnInterval(t *testing.T) {
	first := time.Date(2026, 3, 2, 23, 50, 0, 0, time.UTC)
	anchor := time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC)
	u := newUnitCase(t, newScriptedAPI(payment("pay_1", failed, "INSUFFICIENT_FUNDS", 700, first, "pm_card", nil)),
		"on_hold", anchor, first.Add(2*time.Minute), declinedAttempt(1, "pay_1", first, "INSUFFICIENT_FUNDS"))
	u.afterFailure()
	expectScheduledAtLeast(t, u, first.Add(3*day), anchor)

	second := first.Add(3*day + 8*time.Minute) // 23:58 on day 3
	u = newUnitCase(t, newScriptedAPI(payment("pay_1", failed, "INSUFFICIENT_FUNDS", 700, first, "pm_card", nil),
		payment("pay_2", failed, "TRY_AGAIN_LATER", 700, second, "pm_card", nil)),
		"on_hold", anchor, second.Add(2*time.Minute),
		declinedAttempt(1, "pay_1", first, "INSUFFICIENT_FUNDS"), declinedAttempt(2, "pay_2", second, "TRY_AGAIN_LATER"))
	u.afterFailure()
	expectScheduledAtLeast(t, u, second.Add(7*day), anchor)
}

// Case 3: the card the retry charges was declined STOLEN_CARD outside the charge (here a
// payment of the subscription's own payment-method change); the day-3 retry charged it.
func TestRegressionLatestDeclineOnTheCardIsEvaluated(t *testing.T) {
	for name, tc := range map[string]struct {
		card       string
		wantCharge bool
	}{
		"SameCardStops":    {"pm_card", false},
		"OtherCardIgnored": {"pm_old", true},
		"UnknownCardStops": {"", false},
	} {
		t.Run(name, func(t *testing.T) {
			external := day0.Add(day)
			api := newScriptedAPI(payment("pay_1", failed, "INSUFFICIENT_FUNDS", 700, day0, "pm_card", nil),
				payment("pay_ext", failed, "STOLEN_CARD", 1500, external, tc.card, nil))
			u := newUnitCase(t, api, "on_hold", day0, day0.Add(3*day+time.Hour), declinedAttempt(1, "pay_1", day0, "INSUFFICIENT_FUNDS"))
			at := metav1.NewTime(external)
			u.sub.Status.LastPayment = &billingv1alpha1.PaymentSummary{PaymentID: "pay_ext", Status: "failed",
				DeclineCode: "STOLEN_CARD", At: &at}
			u.afterFailure()
			if charged := u.api.moneyCalls() > 0; charged != tc.wantCharge {
				t.Fatalf("charged %v, want %v (status %+v)", charged, tc.wantCharge, u.s.charge.Status)
			}
			if !tc.wantCharge && (u.s.charge.Status.Phase != billingv1alpha1.ChargePhaseFailed || u.s.out.finished == nil ||
				u.s.out.finished.Reason != "HardDecline") {
				t.Fatalf("phase %s, finished %+v", u.s.charge.Status.Phase, u.s.out.finished)
			}
		})
	}
}

// Case 4: unknown, missing and user-fixable codes were retried as soft declines.
func TestRegressionOnlyRetryableCodesAreRetried(t *testing.T) {
	for _, code := range []string{"SOMETHING_NEW", "", "INCORRECT_CVC", "GENERIC_DECLINE", "UNKNOWN_ERROR"} {
		t.Run("code="+code, func(t *testing.T) {
			api := newScriptedAPI(payment("pay_1", failed, code, 700, day0, "pm_card", nil))
			u := newUnitCase(t, api, "on_hold", day0, day0.Add(3*day+time.Hour), declinedAttempt(1, "pay_1", day0, code))
			u.afterFailure()
			if u.api.moneyCalls() != 0 || u.s.out.stalled == nil || u.s.charge.Status.NextAttemptAt != nil {
				t.Fatalf("money calls %d, stalled %+v, next %v", u.api.moneyCalls(), u.s.out.stalled, u.s.charge.Status.NextAttemptAt)
			}
		})
	}
}

// Case 5: the lookup of earlier payments listed the whole subscription without bounds,
// so Dodo's page cap hid the oldest payments (or refused the list).
func TestRegressionEarlierPaymentsAreFoundPastThePageCap(t *testing.T) {
	for name, refuses := range map[string]bool{"EmptyPageAtTheCap": false, "ErrorAtTheCap": true} {
		t.Run(name, func(t *testing.T) {
			start := day0.Add(-300 * day)
			api := newScriptedAPI(payment("pay_mine", failed, "INSUFFICIENT_FUNDS", 700, start.Add(time.Hour), "pm_card",
				map[string]string{stamp.KeyChargeKey: "c", stamp.KeyRetryAttempt: "0"}))
			for i := range 250 {
				id := fmt.Sprintf("pay_other_%03d", i)
				api.payments[id] = payment(id, paid, "", 100, start.Add(2*day+time.Duration(i)*day), "pm_card", nil)
			}
			api.pageCap, api.capRefuses = 200, refuses
			u := newUnitCase(t, api, "active", start, day0)
			found, err := u.r.adoptEarlierPayments(u.ctx, u.s, u.sub)
			if err != nil || !found || len(u.s.charge.Status.Attempts) != 1 || u.s.charge.Status.Attempts[0].PaymentID != "pay_mine" {
				t.Fatalf("found %v, err %v, attempts %+v", found, err, u.s.charge.Status.Attempts)
			}
			for _, call := range api.listCalls {
				if call.CreatedAtGTE == nil || call.CreatedAtLTE == nil {
					t.Fatalf("a list call without a time bound: %+v", call)
				}
			}
		})
	}
}

// Issue 12, item 7: any later succeeded payment counted as the dues payment.
func TestRegressionSettledByDuesNeedsTheDuesPayment(t *testing.T) {
	cases := map[string]struct {
		later       *dodo.Payment
		wantSettled bool
		wantStall   bool
	}{
		"DuesPayment": {payment("pay_dues", paid, "", 700, day0.Add(day), "pm_card", nil), true, false},
		"AnotherChargesPayment": {payment("pay_other", paid, "", 5000, day0.Add(day), "pm_card",
			map[string]string{stamp.KeyChargeKey: "other", stamp.KeyRetryAttempt: "0"}), false, false},
		"SmallerAmount":    {payment("pay_small", paid, "", 300, day0.Add(day), "pm_card", nil), false, true},
		"BeforeTheDecline": {payment("pay_early", paid, "", 900, day0.Add(time.Second), "pm_card", nil), false, true},
		"OtherCurrency":    {withCurrency(payment("pay_eur", paid, "", 900, day0.Add(day), "pm_card", nil), "EUR"), false, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			api := newScriptedAPI(payment("pay_1", failed, "INSUFFICIENT_FUNDS", 700, day0, "pm_card", nil), tc.later)
			u := newUnitCase(t, api, "active", day0, day0.Add(2*day), declinedAttempt(1, "pay_1", day0, "INSUFFICIENT_FUNDS"))
			u.afterFailure()
			settled := u.s.out.finished != nil && u.s.out.finished.Reason == billingv1alpha1.ReasonSettledByDues
			if settled != tc.wantSettled || (u.s.out.stalled != nil) != tc.wantStall || u.api.moneyCalls() != 0 {
				t.Fatalf("settled %v (want %v), stalled %+v (want %v), money calls %d", settled, tc.wantSettled,
					u.s.out.stalled, tc.wantStall, u.api.moneyCalls())
			}
		})
	}
}

func withCurrency(p *dodo.Payment, currency string) *dodo.Payment {
	p.Currency = currency
	return p
}
