package simulator

import (
	"net/http"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

const halfPeriod = 15 * 24 * time.Hour // day 16 of April's 30

func changePlanPath(id string) string { return "/subscriptions/" + id + "/change-plan" }

// TestChangePlanProrationModes checks each mode against the docs' worked
// example: $30 → $80 on day 16 of 30.
func TestChangePlanProrationModes(t *testing.T) {
	for name, tc := range map[string]struct {
		mode       dodo.ProrationBillingMode
		wantCharge int64
		wantNext   time.Time
	}{
		"prorated":    {dodo.ProrationProratedImmediately, 2500, testStart.AddDate(0, 1, 0)},
		"full":        {dodo.ProrationFullImmediately, 8000, testStart.Add(halfPeriod).AddDate(0, 1, 0)},
		"difference":  {dodo.ProrationDifferenceImmediately, 5000, testStart.AddDate(0, 1, 0)},
		"do not bill": {dodo.ProrationDoNotBill, 0, testStart.AddDate(0, 1, 0)},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			resp := h.create(newSubReq("pdt_sim_basic", "upgrade@example.com"))
			h.sim.Advance(halfPeriod)
			var out dodo.ChangePlanResponse
			h.mustCall(http.MethodPost, changePlanPath(resp.SubscriptionID), dodo.ChangePlanRequest{
				ProductID: "pdt_sim_pro", Quantity: 1, ProrationBillingMode: tc.mode,
			}, &out)
			h.sim.Advance(DefaultSettleDelay)

			sub := h.subscription(resp.SubscriptionID)
			assertEqual(t, "product", sub.ProductID, "pdt_sim_pro")
			assertEqual(t, "recurring amount", sub.RecurringPreTaxAmount, int64(8000))
			assertEqual(t, "next billing", sub.NextBillingDate, tc.wantNext)
			payments := h.payments(resp.SubscriptionID)
			if tc.wantCharge == 0 {
				assertEqual(t, "no charge", len(payments), 1)
				assertEqual(t, "no payment id", out.PaymentID == nil, true)
				return
			}
			assertEqual(t, "payments", len(payments), 2)
			assertEqual(t, "payment id", *out.PaymentID, payments[1].PaymentID)
			assertEqual(t, "charge", payments[1].TotalAmount, tc.wantCharge)
			assertEqual(t, "charge status", *payments[1].Status, dodo.PaymentStatusSucceeded)
			h.expectEvents(resp.SubscriptionID, 3,
				[]string{"subscription.plan_changed", "subscription.updated", "payment.succeeded"})
		})
	}
}

func TestChangePlanDowngradeCreditsRenewal(t *testing.T) {
	h := newHarness(t)
	resp := h.create(newSubReq("pdt_sim_pro", "downgrade@example.com"))
	h.sim.Advance(halfPeriod)
	h.mustCall(http.MethodPost, changePlanPath(resp.SubscriptionID), dodo.ChangePlanRequest{
		ProductID: "pdt_sim_basic", Quantity: 1, ProrationBillingMode: dodo.ProrationProratedImmediately,
	}, nil)
	assertEqual(t, "credit", h.sim.State().Subscriptions[0].SimCredit, int64(2500))
	h.sim.Advance(halfPeriod)
	payments := h.payments(resp.SubscriptionID)
	assertEqual(t, "payments", len(payments), 2)
	assertEqual(t, "renewal minus credit", payments[1].TotalAmount, int64(3000-2500))
	assertEqual(t, "credit used", h.sim.State().Subscriptions[0].SimCredit, int64(0))
}

// switchToDecliningCard makes later charges of the subscription decline.
func switchToDecliningCard(t *testing.T, h *harness, subID string) {
	t.Helper()
	var upd dodo.UpdatePaymentMethodResponse
	h.mustCall(http.MethodPost, "/subscriptions/"+subID+"/update-payment-method", dodo.UseNewPaymentMethod(nil), &upd)
	if upd.PaymentID != nil {
		t.Fatal("an active subscription's method switch must not charge")
	}
	if err := h.sim.CompleteCheckout((*upd.PaymentLink)[len(h.srv.URL+checkoutPathPrefix):], "4000000000000002"); err != nil {
		t.Fatal(err)
	}
}

func TestChangePlanPaymentFailure(t *testing.T) {
	for name, tc := range map[string]struct {
		onFailure   dodo.OnPaymentFailure
		wantProduct string
		wantStatus  dodo.SubscriptionStatus
		wantEvents  []string
	}{
		"apply_change": {dodo.OnPaymentFailureApplyChange, "pdt_sim_pro", dodo.SubscriptionStatusOnHold, []string{
			"subscription.plan_changed", "subscription.updated", "payment.failed", "subscription.on_hold", "subscription.updated",
		}},
		"prevent_change": {dodo.OnPaymentFailurePreventChange, "pdt_sim_basic", dodo.SubscriptionStatusActive, []string{
			"payment.failed",
		}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			resp := h.create(newSubReq("pdt_sim_basic", "fail@example.com"))
			switchToDecliningCard(t, h, resp.SubscriptionID)
			h.flush()
			before := len(h.hook.typesFor(resp.SubscriptionID))
			h.mustCall(http.MethodPost, changePlanPath(resp.SubscriptionID), dodo.ChangePlanRequest{
				ProductID: "pdt_sim_pro", Quantity: 1, ProrationBillingMode: dodo.ProrationFullImmediately,
				OnPaymentFailure: tc.onFailure,
			}, nil)
			h.sim.Advance(DefaultSettleDelay)
			sub := h.subscription(resp.SubscriptionID)
			assertEqual(t, "product", sub.ProductID, tc.wantProduct)
			assertEqual(t, "status", sub.Status, tc.wantStatus)
			h.flush()
			assertTypes(t, "events", h.hook.typesFor(resp.SubscriptionID)[before:], tc.wantEvents)
		})
	}
}

func TestChangePlanScheduledForNextBillingDate(t *testing.T) {
	h := newHarness(t)
	resp := h.create(newSubReq("pdt_sim_basic", "scheduled@example.com"))
	h.mustCall(http.MethodPost, changePlanPath(resp.SubscriptionID), dodo.ChangePlanRequest{
		ProductID: "pdt_sim_pro", Quantity: 2, ProrationBillingMode: dodo.ProrationDoNotBill,
		EffectiveAt: dodo.EffectiveNextBillingDate,
	}, nil)
	sub := h.subscription(resp.SubscriptionID)
	assertEqual(t, "product unchanged", sub.ProductID, "pdt_sim_basic")
	if sub.ScheduledChange == nil {
		t.Fatal("scheduled_change missing")
	}
	assertEqual(t, "scheduled at", sub.ScheduledChange.EffectiveAt, testStart.AddDate(0, 1, 0))
	h.sim.Advance(30 * 24 * time.Hour)
	sub = h.subscription(resp.SubscriptionID)
	assertEqual(t, "product", sub.ProductID, "pdt_sim_pro")
	assertEqual(t, "quantity", sub.Quantity, 2)
	assertEqual(t, "scheduled cleared", sub.ScheduledChange == nil, true)
	payments := h.payments(resp.SubscriptionID)
	assertEqual(t, "renewal at new price", payments[1].TotalAmount, int64(16000))
}
