package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestErrorStatusesAndCodes(t *testing.T) {
	h := newHarness(t)
	active := h.create(newSubReq("pdt_sim_basic", "active@example.com")).SubscriptionID
	paused := h.create(newSubReq("pdt_sim_basic", "paused@example.com")).SubscriptionID
	h.mustCall(http.MethodPatch, subPath(paused), map[string]any{"status": "paused"}, nil)
	onDemand := h.create(onDemandReq("ondemand@example.com")).SubscriptionID
	manyKeys := map[string]string{}
	for i := range 51 {
		manyKeys[fmt.Sprintf("k%d", i)] = "v"
	}
	validCreate := func(mutate func(map[string]any)) map[string]any {
		body := map[string]any{"product_id": "pdt_sim_basic", "quantity": 1,
			"billing": map[string]any{"country": "US"}, "customer": map[string]any{"email": "e@example.com"}}
		mutate(body)
		return body
	}
	upgrade := dodo.ChangePlanRequest{ProductID: "pdt_sim_pro", Quantity: 1, ProrationBillingMode: dodo.ProrationDoNotBill}
	cases := []struct {
		name         string
		method, path string
		body         any
		status       int
		code         string
	}{
		{"unknown subscription", "GET", "/subscriptions/sub_missing", nil, 404, codeNotFound},
		{"unknown payment", "GET", "/payments/pay_missing", nil, 404, codeNotFound},
		{"unknown customer", "GET", "/customers/cus_missing/payment-methods", nil, 404, codeNotFound},
		{"unknown route", "GET", "/v1/subscriptions", nil, 404, codeNotFound},
		{"malformed JSON", "POST", "/subscriptions", `{"product_id":`, 422, codeInvalidRequestBody},
		{"empty body", "POST", "/subscriptions", "", 422, codeInvalidRequestBody},
		{"on_demand without mandate_only", "POST", "/subscriptions", validCreate(func(b map[string]any) {
			b["product_id"], b["on_demand"] = "pdt_sim_on_demand", map[string]any{}
		}), 422, codeInvalidRequestBody},
		{"quantity below 1", "POST", "/subscriptions", validCreate(func(b map[string]any) { b["quantity"] = 0 }), 422, codeInvalidRequestParameters},
		{"unknown product", "POST", "/subscriptions", validCreate(func(b map[string]any) { b["product_id"] = "pdt_nope" }), 422, codeInvalidRequestParameters},
		{"addons on on-demand", "POST", "/subscriptions", validCreate(func(b map[string]any) {
			b["on_demand"] = map[string]any{"mandate_only": true}
			b["addons"] = []map[string]any{{"addon_id": "addon_1", "quantity": 1}}
		}), 422, codeAddonsNotAllowedOnDemand},
		{"on-demand not enabled", "POST", "/subscriptions", validCreate(func(b map[string]any) {
			b["product_id"], b["on_demand"] = "pdt_sim_pro", map[string]any{"mandate_only": true}
		}), 422, codeOnDemandNotEnabled},
		{"too many metadata keys", "POST", "/subscriptions", validCreate(func(b map[string]any) { b["metadata"] = manyKeys }), 422, codeMaximumKeysReached},
		{"charge without product_price", "POST", "/subscriptions/" + onDemand + "/charge", map[string]any{}, 422, codeInvalidRequestBody},
		{"charge while paused", "POST", "/subscriptions/" + paused + "/charge", dodo.ChargeRequest{ProductPrice: 100}, 422, codeSubscriptionInactive},
		{"charge unknown subscription", "POST", "/subscriptions/sub_missing/charge", dodo.ChargeRequest{ProductPrice: 100}, 404, codeNotFound},
		{"plan change on on-demand", "POST", changePlanPath(onDemand), upgrade, 422, codeOnDemandPlanChange},
		{"plan change while paused", "POST", changePlanPath(paused), upgrade, 422, codeInactivePlanChange},
		{"plan change without mode", "POST", changePlanPath(active), map[string]any{"product_id": "pdt_sim_pro", "quantity": 1}, 422, codeInvalidRequestBody},
		{"pause combined with other fields", "PATCH", subPath(active), map[string]any{"status": "paused", "metadata": map[string]any{}}, 422, codeInvalidRequestParameters},
		{"resume combined with other fields", "PATCH", subPath(paused), map[string]any{"status": "active", "tax_id": "x"}, 422, codeInvalidRequestParameters},
		{"removed pause field", "PATCH", subPath(active), map[string]any{"pause": true}, 422, codeInvalidRequestParameters},
		{"past next_billing_date", "PATCH", subPath(active), map[string]any{"next_billing_date": testStart.Add(-time.Hour)}, 422, codeInvalidRequestParameters},
		{"patch metadata over limit", "PATCH", subPath(active), map[string]any{"metadata": manyKeys}, 422, codeMaximumKeysReached},
		{"disable on-demand of scheduled", "PATCH", subPath(active), map[string]any{"disable_on_demand": map[string]any{"next_billing_date": testStart.AddDate(0, 2, 0)}}, 422, codeSubscriptionNotOnDemand},
		{"update method without type", "POST", "/subscriptions/" + active + "/update-payment-method", map[string]any{}, 422, codeInvalidRequestBody},
		{"update method with unknown type", "POST", "/subscriptions/" + active + "/update-payment-method", map[string]any{"type": "magic"}, 422, codeInvalidRequestParameters},
		{"update method with foreign method", "POST", "/subscriptions/" + active + "/update-payment-method", dodo.UseExistingPaymentMethod("pm_other"), 422, codeInvalidRequestParameters},
		{"page size over 100", "GET", "/subscriptions?page_size=101", nil, 422, codeInvalidQueryParams},
		{"unknown status filter", "GET", "/subscriptions?status=sleeping", nil, 422, codeInvalidQueryParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.wantError(tc.method, tc.path, tc.body, tc.status, tc.code)
		})
	}
	assertEqual(t, "no subscription created by failed requests", len(h.sim.State().Subscriptions), 3)
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	for name, key := range map[string]string{"missing": "", "wrong": "sk_test_wrong"} {
		t.Run(name, func(t *testing.T) {
			status, raw := h.callWithKey(key, http.MethodGet, "/subscriptions", nil)
			var body dodo.ErrorBody
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("decode %s: %v", raw, err)
			}
			assertEqual(t, "status", status, http.StatusUnauthorized)
			assertEqual(t, "code", body.Code, codeUnauthorized)
		})
	}
}

func TestUnknownHeadersAreIgnored(t *testing.T) {
	h := newHarness(t)
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/subscriptions", nil)
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	req.Header.Set("Idempotency-Key", "stainless-node-retry-123")
	req.Header.Set("X-Stainless-Retry-Count", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	assertEqual(t, "status", resp.StatusCode, http.StatusOK)
}
