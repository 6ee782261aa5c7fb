package simulator

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestCreateWithoutLinkActivatesOnDefaultCard(t *testing.T) {
	h := newHarness(t)
	resp := h.create(newSubReq("pdt_sim_basic", "alice@example.com"))
	sub := h.subscription(resp.SubscriptionID)
	assertEqual(t, "status", sub.Status, dodo.SubscriptionStatusActive)
	assertEqual(t, "next billing", sub.NextBillingDate, testStart.AddDate(0, 1, 0))
	first := h.payment(resp.PaymentID)
	assertEqual(t, "first payment", statusOf(first), dodo.PaymentStatusSucceeded)
	assertEqual(t, "first amount", first.TotalAmount, int64(3000))
	var methods dodo.CustomerPaymentMethodList
	h.mustCall(http.MethodGet, "/customers/"+resp.Customer.CustomerID+"/payment-methods", nil, &methods)
	assertEqual(t, "saved methods", len(methods.Items), 1)
	assertEqual(t, "subscription method", *sub.PaymentMethodID, methods.Items[0].PaymentMethodID)
	assertEqual(t, "card last four", *first.CardLastFour, "4242")

	// An existing customer's saved method is used at once.
	again := newSubReq("pdt_sim_pro", "")
	again.Customer = dodo.ExistingCustomer(resp.Customer.CustomerID)
	second := h.subscription(h.create(again).SubscriptionID)
	assertEqual(t, "second status", second.Status, dodo.SubscriptionStatusActive)
	assertEqual(t, "second method", *second.PaymentMethodID, *sub.PaymentMethodID)
	h.expectEvents(resp.SubscriptionID, 0,
		[]string{"subscription.active", "payment.succeeded", "subscription.updated"})
}

func TestRenewalSucceeds(t *testing.T) {
	h := newHarness(t)
	resp := h.create(newSubReq("pdt_sim_basic", "renew@example.com"))
	h.sim.Advance(30 * 24 * time.Hour) // April has 30 days

	sub := h.subscription(resp.SubscriptionID)
	assertEqual(t, "status", sub.Status, dodo.SubscriptionStatusActive)
	assertEqual(t, "previous billing", sub.PreviousBillingDate, testStart.AddDate(0, 1, 0))
	assertEqual(t, "next billing", sub.NextBillingDate, testStart.AddDate(0, 2, 0))
	payments := h.payments(resp.SubscriptionID)
	assertEqual(t, "payments", len(payments), 2)
	renewal := h.payment(payments[1].PaymentID)
	assertEqual(t, "renewal status", statusOf(renewal), dodo.PaymentStatusSucceeded)
	assertEqual(t, "renewal amount", renewal.TotalAmount, int64(3000))
	assertEqual(t, "renewal time", renewal.CreatedAt, testStart.AddDate(0, 1, 0))
	h.expectEvents(resp.SubscriptionID, 0, []string{
		"subscription.active", "payment.succeeded", "subscription.updated",
		"payment.succeeded", "subscription.renewed", "subscription.updated",
	})
	for _, w := range h.hook.received() {
		if w.Event.Type == dodo.EventSubscriptionRenewed {
			assertEqual(t, "renewed event time", w.Event.Timestamp, testStart.AddDate(0, 1, 0))
		}
	}
}

func TestAdvanceProcessesSeveralRenewalsInOrder(t *testing.T) {
	h := newHarness(t)
	resp := h.create(newSubReq("pdt_sim_basic", "many@example.com"))
	h.sim.Advance(365 * 24 * time.Hour)
	payments := h.payments(resp.SubscriptionID)
	assertEqual(t, "payments after a year", len(payments), 13)
	for i := 1; i < len(payments); i++ {
		assertEqual(t, "renewal date", payments[i].CreatedAt, testStart.AddDate(0, i, 0))
	}
}

// failedTrialRenewal puts a trial subscription of a declining customer on
// hold at the end of its trial and returns it.
func failedTrialRenewal(t *testing.T, h *harness, email string) dodo.CreateSubscriptionResponse {
	t.Helper()
	resp := h.create(newSubReq("pdt_sim_trial", email))
	assertEqual(t, "trial status", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusActive)
	h.sim.Advance(14 * 24 * time.Hour)
	return resp
}

func TestRenewalDeclineGoesOnHold(t *testing.T) {
	h := newHarness(t)
	resp := failedTrialRenewal(t, h, "ops+decline_insufficient_funds@example.com")
	sub := h.subscription(resp.SubscriptionID)
	assertEqual(t, "status", sub.Status, dodo.SubscriptionStatusOnHold)
	payments := h.payments(resp.SubscriptionID)
	assertEqual(t, "payments", len(payments), 2)
	renewal := h.payment(payments[1].PaymentID)
	assertEqual(t, "renewal status", statusOf(renewal), dodo.PaymentStatusFailed)
	assertEqual(t, "error code", *renewal.ErrorCode, "INSUFFICIENT_FUNDS")
	assertEqual(t, "renewal amount", renewal.TotalAmount, int64(1000))
	if renewal.ErrorMessage == nil || *renewal.ErrorMessage == "" {
		t.Fatal("error_message missing")
	}
	h.sim.Advance(60 * 24 * time.Hour)
	assertEqual(t, "no renewals while on hold", len(h.payments(resp.SubscriptionID)), 2)
	h.expectEvents(resp.SubscriptionID, 0, []string{
		"subscription.active", "subscription.updated",
		"payment.failed", "subscription.on_hold", "subscription.updated",
	})
}

func TestReactivationWithNewMethodChargesDuesOnce(t *testing.T) {
	h := newHarness(t)
	resp := failedTrialRenewal(t, h, "ops+decline_card_declined@example.com")
	var upd dodo.UpdatePaymentMethodResponse
	h.mustCall(http.MethodPost, "/subscriptions/"+resp.SubscriptionID+"/update-payment-method",
		dodo.UseNewPaymentMethod(nil), &upd)
	if upd.PaymentID == nil || upd.PaymentLink == nil || upd.ExpiresOn == nil {
		t.Fatalf("update-payment-method on on_hold must return payment_id, payment_link, expires_on: %v", upd)
	}
	assertEqual(t, "dues before completion", statusOf(h.payment(*upd.PaymentID)), dodo.PaymentStatusRequiresPaymentMethod)
	h.mustCall(http.MethodPost, (*upd.PaymentLink)[len(h.srv.URL):]+"/complete", CompleteCheckoutRequest{CardNumber: "5555555555554444"}, nil)
	assertEqual(t, "dues processing", statusOf(h.payment(*upd.PaymentID)), dodo.PaymentStatusProcessing)
	h.sim.Advance(DefaultSettleDelay)

	dues := h.payment(*upd.PaymentID)
	assertEqual(t, "dues status", statusOf(dues), dodo.PaymentStatusSucceeded)
	assertEqual(t, "dues amount", dues.TotalAmount, int64(1000))
	sub := h.subscription(resp.SubscriptionID)
	assertEqual(t, "status", sub.Status, dodo.SubscriptionStatusActive)
	assertEqual(t, "new period", sub.PreviousBillingDate, h.sim.Now())
	state := h.sim.State()
	failed := state.Payments[1]
	assertEqual(t, "failed renewal paid by", failed.SimPaidBy, *upd.PaymentID)
	assertEqual(t, "payments", len(h.payments(resp.SubscriptionID)), 3)

	// The good card ended the +decline_ rule: the next renewal succeeds.
	h.sim.Advance(31 * 24 * time.Hour)
	payments := h.payments(resp.SubscriptionID)
	assertEqual(t, "renewal after reactivation", *payments[3].Status, dodo.PaymentStatusSucceeded)
	h.expectEvents(resp.SubscriptionID, 0, []string{
		"subscription.active", "subscription.updated", // trial mandate
		"payment.failed", "subscription.on_hold", "subscription.updated", // trial end
		"subscription.updated",                                             // the link saved the new card
		"payment.succeeded", "subscription.active", "subscription.updated", // dues paid
		"payment.succeeded", "subscription.renewed", "subscription.updated",
	})
}

func TestOnDemandChargeDeclines(t *testing.T) {
	for name, tc := range map[string]struct {
		email string
		code  string
		hard  bool
	}{
		"hard decline": {"ops+decline_stolen_card@example.com", "STOLEN_CARD", true},
		"soft decline": {"ops+decline_insufficient_funds@example.com", "INSUFFICIENT_FUNDS", false},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			resp := h.create(onDemandReq(tc.email))
			assertEqual(t, "mandate-only activates", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusActive)
			var charged dodo.ChargeResponse
			h.mustCall(http.MethodPost, "/subscriptions/"+resp.SubscriptionID+"/charge", dodo.ChargeRequest{ProductPrice: 2500}, &charged)
			assertEqual(t, "charge starts processing", statusOf(h.payment(charged.PaymentID)), dodo.PaymentStatusProcessing)
			h.sim.Advance(DefaultSettleDelay)

			p := h.payment(charged.PaymentID)
			assertEqual(t, "charge status", statusOf(p), dodo.PaymentStatusFailed)
			assertEqual(t, "error code", *p.ErrorCode, tc.code)
			assertEqual(t, "hard", dodo.ClassifyDecline(*p.ErrorCode).Hard, tc.hard)
			assertEqual(t, "subscription", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusOnHold)
			h.wantError(http.MethodPost, "/subscriptions/"+resp.SubscriptionID+"/charge", dodo.ChargeRequest{ProductPrice: 2500},
				http.StatusUnprocessableEntity, codeSubscriptionInactive)
			h.expectEvents(resp.SubscriptionID, 0, []string{
				"subscription.active", "subscription.updated",
				"payment.failed", "subscription.on_hold", "subscription.updated",
			})
		})
	}
}

func TestDuesRetryOnExistingMethodThatStillDeclines(t *testing.T) {
	h := newHarness(t)
	resp := h.create(onDemandReq("ops+decline_insufficient_funds@example.com"))
	var charged dodo.ChargeResponse
	h.mustCall(http.MethodPost, "/subscriptions/"+resp.SubscriptionID+"/charge", dodo.ChargeRequest{ProductPrice: 700}, &charged)
	h.sim.Advance(DefaultSettleDelay)
	sub := h.subscription(resp.SubscriptionID)
	var upd dodo.UpdatePaymentMethodResponse
	path := "/subscriptions/" + resp.SubscriptionID + "/update-payment-method"
	h.mustCall(http.MethodPost, path, dodo.UseExistingPaymentMethod(*sub.PaymentMethodID), &upd)
	h.wantError(http.MethodPost, path, dodo.UseExistingPaymentMethod(*sub.PaymentMethodID),
		http.StatusUnprocessableEntity, codePreviousPaymentPending)
	h.sim.Advance(DefaultSettleDelay)
	dues := h.payment(*upd.PaymentID)
	assertEqual(t, "dues status", statusOf(dues), dodo.PaymentStatusFailed)
	assertEqual(t, "dues amount", dues.TotalAmount, int64(700))
	assertEqual(t, "still on hold", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusOnHold)
	state := h.sim.State()
	assertEqual(t, "failed charge still owed", len(state.Subscriptions[0].SimDues), 1)
	assertEqual(t, "not paid", state.Payments[1].SimPaidBy, "")
}

func TestOnDemandChargeSucceedsAndRefusesConcurrentCharge(t *testing.T) {
	h := newHarness(t)
	resp := h.create(onDemandReq("good@example.com"))
	path := "/subscriptions/" + resp.SubscriptionID + "/charge"
	var charged dodo.ChargeResponse
	h.mustCall(http.MethodPost, path, dodo.ChargeRequest{ProductPrice: 2500, Metadata: dodo.Metadata{"charge": "c1"}}, &charged)
	h.wantError(http.MethodPost, path, dodo.ChargeRequest{ProductPrice: 2500}, http.StatusUnprocessableEntity, codePreviousPaymentPending)
	h.sim.Advance(DefaultSettleDelay)
	p := h.payment(charged.PaymentID)
	assertEqual(t, "status", statusOf(p), dodo.PaymentStatusSucceeded)
	assertEqual(t, "metadata", p.Metadata["charge"], "c1")
	h.mustCall(http.MethodPost, path, dodo.ChargeRequest{ProductPrice: 100}, &charged)
	h.expectEvents(resp.SubscriptionID, 0,
		[]string{"subscription.active", "subscription.updated", "payment.succeeded"})
}

func TestPaymentLinkCompletion(t *testing.T) {
	for name, tc := range map[string]struct {
		card       string
		wantStatus dodo.SubscriptionStatus
		wantEvents []string
	}{
		"good card": {"5555555555554444", dodo.SubscriptionStatusActive,
			[]string{"subscription.active", "payment.succeeded", "subscription.updated"}},
		"declining card": {"4000000000000002", dodo.SubscriptionStatusFailed,
			[]string{"payment.failed", "subscription.failed", "subscription.updated"}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			req := newSubReq("pdt_sim_basic", "link@example.com")
			req.PaymentLink = ptr.To(true)
			resp := h.create(req)
			assertEqual(t, "link", *resp.PaymentLink, h.srv.URL+"/_simulator/checkout/"+resp.SubscriptionID)
			assertEqual(t, "expires_on", *resp.ExpiresOn, testStart.Add(24*time.Hour))
			assertEqual(t, "pending", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusPending)
			status, page := h.call(http.MethodGet, "/_simulator/checkout/"+resp.SubscriptionID, nil)
			assertEqual(t, "page status", status, http.StatusOK)
			if !strings.Contains(string(page), resp.SubscriptionID) || !strings.Contains(string(page), "<form") {
				t.Fatalf("checkout page lacks the subscription or the form: %s", page)
			}

			h.mustCall(http.MethodPost, "/_simulator/checkout/"+resp.SubscriptionID+"/complete", CompleteCheckoutRequest{CardNumber: tc.card}, nil)
			assertEqual(t, "status", h.subscription(resp.SubscriptionID).Status, tc.wantStatus)
			h.wantError(http.MethodPost, "/_simulator/checkout/"+resp.SubscriptionID+"/complete", nil, http.StatusConflict, codeCheckoutNotOpen)
			h.expectEvents(resp.SubscriptionID, 0, tc.wantEvents)
		})
	}
}

func TestPaymentLinkExpiryFailsSubscription(t *testing.T) {
	h := newHarness(t)
	req := newSubReq("pdt_sim_basic", "slow@example.com")
	req.PaymentLink = ptr.To(true)
	resp := h.create(req)
	h.sim.Advance(24*time.Hour - time.Second)
	assertEqual(t, "still pending", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusPending)
	h.sim.Advance(time.Second)
	assertEqual(t, "failed", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusFailed)
	p := h.payment(resp.PaymentID)
	assertEqual(t, "payment", statusOf(p), dodo.PaymentStatusFailed)
	assertEqual(t, "code", *p.ErrorCode, "AUTHENTICATION_TIMEOUT")
	if err := h.sim.CompleteCheckout(resp.SubscriptionID, ""); err == nil {
		t.Fatal("completing an expired checkout succeeded")
	}
	h.expectEvents(resp.SubscriptionID, 0,
		[]string{"payment.failed", "subscription.failed", "subscription.updated"})
}

func TestTrialChargesNothingUntilItEnds(t *testing.T) {
	h := newHarness(t)
	resp := h.create(newSubReq("pdt_sim_trial", "trial@example.com"))
	assertEqual(t, "trial first amount", h.payment(resp.PaymentID).TotalAmount, int64(0))
	sub := h.subscription(resp.SubscriptionID)
	assertEqual(t, "trial end", sub.NextBillingDate, testStart.AddDate(0, 0, 14))
	h.sim.Advance(14 * 24 * time.Hour)
	payments := h.payments(resp.SubscriptionID)
	assertEqual(t, "payments", len(payments), 2)
	assertEqual(t, "first real charge", payments[1].TotalAmount, int64(1000))
	assertEqual(t, "next billing", h.subscription(resp.SubscriptionID).NextBillingDate, testStart.AddDate(0, 1, 14))
}
