package simulator

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// onHoldAfterFailedCharge returns an on-demand subscription whose 700 charge
// declined, and the path of its update-payment-method.
func onHoldAfterFailedCharge(t *testing.T, h *harness, req dodo.CreateSubscriptionRequest) (string, string) {
	t.Helper()
	resp := h.create(req)
	h.mustCall(http.MethodPost, "/subscriptions/"+resp.SubscriptionID+"/charge", dodo.ChargeRequest{ProductPrice: 700}, nil)
	h.sim.Advance(DefaultSettleDelay)
	assertEqual(t, "status after the declined charge", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusOnHold)
	return resp.SubscriptionID, "/subscriptions/" + resp.SubscriptionID + "/update-payment-method"
}

// payDuesWithNewCard completes an update-payment-method link with a good
// card and returns the dues payment and the saved method.
func payDuesWithNewCard(t *testing.T, h *harness, path string) (string, string) {
	t.Helper()
	var upd dodo.UpdatePaymentMethodResponse
	h.mustCall(http.MethodPost, path, dodo.UseNewPaymentMethod(nil), &upd)
	h.mustCall(http.MethodPost, strings.TrimPrefix(*upd.PaymentLink, h.srv.URL)+"/complete", CompleteCheckoutRequest{}, nil)
	assertEqual(t, "dues processing", statusOf(h.payment(*upd.PaymentID)), dodo.PaymentStatusProcessing)
	subID := strings.Split(path, "/")[2]
	return *upd.PaymentID, *h.subscription(subID).PaymentMethodID
}

func TestUpdatePaymentMethodWhileDuesAreOpen(t *testing.T) {
	t.Run("friendly: refused", func(t *testing.T) {
		h := newHarness(t)
		subID, path := onHoldAfterFailedCharge(t, h, onDemandReq("ops+decline_insufficient_funds@example.com"))
		_, method := payDuesWithNewCard(t, h, path)
		h.wantError(http.MethodPost, path, dodo.UseExistingPaymentMethod(method), http.StatusUnprocessableEntity, codePreviousPaymentPending)
		h.sim.Advance(DefaultSettleDelay)
		assertEqual(t, "dues payments", len(h.sim.State().PaymentsOf(subID, SimKindDues)), 1)
	})
	t.Run("pessimistic: charges the dues twice", func(t *testing.T) {
		h := newHarness(t, withPessimism(Pessimism{DuesDespiteOpenPayment: true}))
		subID, path := onHoldAfterFailedCharge(t, h, onDemandReq("ops+decline_insufficient_funds@example.com"))
		first, method := payDuesWithNewCard(t, h, path)
		var second dodo.UpdatePaymentMethodResponse
		h.mustCall(http.MethodPost, path, dodo.UseExistingPaymentMethod(method), &second)
		if second.PaymentID == nil || *second.PaymentID == first {
			t.Fatalf("the second call must create a second dues payment: %+v", second)
		}
		h.sim.Advance(DefaultSettleDelay)

		state := h.sim.State()
		dues := state.PaymentsOf(subID, SimKindDues)
		assertEqual(t, "dues payments", len(dues), 2)
		for _, p := range dues {
			assertEqual(t, "dues status", p.StatusOrEmpty(), dodo.PaymentStatusSucceeded)
			assertEqual(t, "dues amount", p.TotalAmount, int64(700))
		}
		failed := state.PaymentsOf(subID, SimKindCharge)[0]
		assertEqual(t, "the failed charge is paid by the first dues payment", failed.SimPaidBy, first)
		assertEqual(t, "status", h.subscription(subID).Status, dodo.SubscriptionStatusActive)
	})
}

func TestPaymentsWithoutSubscriptionMetadata(t *testing.T) {
	subMeta := dodo.Metadata{"k8s_uid": "uid-1"}
	for name, tc := range map[string]struct {
		pessimism Pessimism
		inherited dodo.Metadata // on mandate, renewal and dues payments
	}{
		"friendly":    {Pessimism{}, subMeta},
		"pessimistic": {Pessimism{PaymentsWithoutSubscriptionMetadata: true}, dodo.Metadata{}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, withPessimism(tc.pessimism))
			req := newSubReq("pdt_sim_trial", "ops+decline_card_declined@example.com")
			req.Metadata = subMeta
			sub := h.create(req).SubscriptionID
			h.sim.Advance(14 * 24 * time.Hour) // the trial ends; the renewal declines
			payDuesWithNewCard(t, h, "/subscriptions/"+sub+"/update-payment-method")
			h.sim.Advance(DefaultSettleDelay)
			for _, kind := range []string{SimKindMandate, SimKindRenewal, SimKindDues} {
				got := h.sim.State().PaymentsOf(sub, kind)
				assertEqual(t, kind+" payments", len(got), 1)
				assertEqual(t, kind+" metadata", mustJSON(t, got[0].Metadata), mustJSON(t, tc.inherited))
			}

			// Charges keep the request's metadata, or (documented) the subscription's.
			onDemand := onDemandReq("meta-charge@example.com")
			onDemand.Metadata = subMeta
			charged := h.create(onDemand).SubscriptionID
			chargePath := "/subscriptions/" + charged + "/charge"
			var withMeta, withoutMeta dodo.ChargeResponse
			h.mustCall(http.MethodPost, chargePath, dodo.ChargeRequest{ProductPrice: 100, Metadata: dodo.Metadata{"charge": "c1"}}, &withMeta)
			h.sim.Advance(DefaultSettleDelay)
			h.mustCall(http.MethodPost, chargePath, dodo.ChargeRequest{ProductPrice: 100}, &withoutMeta)
			assertEqual(t, "charge metadata", mustJSON(t, h.payment(withMeta.PaymentID).Metadata), `{"charge":"c1"}`)
			assertEqual(t, "charge without metadata", mustJSON(t, h.payment(withoutMeta.PaymentID).Metadata), mustJSON(t, subMeta))
		})
	}
}

func TestPessimisticPreset(t *testing.T) {
	cfg := Pessimistic(Config{APIKeys: []string{testAPIKey}})
	if cfg.Pessimism != FullPessimism() || !cfg.Pessimism.Enabled() {
		t.Fatalf("Pessimistic(Config{}) = %+v, want %+v", cfg.Pessimism, FullPessimism())
	}
	kept := Pessimistic(Config{Pessimism: Pessimism{ListLag: time.Minute, PaymentListPastCap: PastCapError}})
	assertEqual(t, "a set lag is kept", kept.Pessimism.ListLag, time.Minute)
	assertEqual(t, "a set answer is kept", kept.Pessimism.PaymentListPastCap, PastCapError)
	assertEqual(t, "the cap is filled in", kept.Pessimism.PaymentListPageCap, DefaultPessimisticPaymentListPageCap)
	if (Pessimism{}).Enabled() {
		t.Fatal("the zero Pessimism is enabled")
	}
	if _, err := New(cfg); err != nil {
		t.Fatalf("New with the preset: %v", err)
	}
	for name, p := range map[string]Pessimism{
		"negative lag":   {ListLag: -time.Second},
		"negative cap":   {PaymentListPageCap: -1},
		"unknown answer": {PaymentListPastCap: "maybe"},
	} {
		if _, err := New(Config{APIKeys: []string{testAPIKey}, Pessimism: p}); err == nil {
			t.Errorf("%s: New accepted %+v", name, p)
		}
	}
}
