package simulator

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestListSubscriptionsPaginationOrderAndFilters(t *testing.T) {
	h := newHarness(t)
	created := make([]string, 0, 25)
	for i := range 25 {
		email := "list" + string(rune('a'+i)) + "@example.com"
		created = append(created, h.create(newSubReq("pdt_sim_basic", email)).SubscriptionID)
		if i%5 == 4 {
			h.sim.Advance(time.Hour)
		}
	}
	var listed []string
	for page := 0; ; page++ {
		var list dodo.SubscriptionList
		h.mustCall(http.MethodGet, "/subscriptions?page_size=10&page_number="+strconv.Itoa(page), nil, &list)
		if len(list.Items) == 0 {
			break
		}
		for _, item := range list.Items {
			listed = append(listed, item.SubscriptionID)
		}
	}
	assertTypes(t, "created_at then id order across pages", listed, created)

	h.mustCall(http.MethodPatch, subPath(created[3]), map[string]any{"status": "paused"}, nil)
	cases := map[string]struct {
		query string
		want  []string
	}{
		"status":        {"status=paused", []string{created[3]}},
		"created range": {"created_at_gte=" + url.QueryEscape(testStart.Add(time.Hour).Format(time.RFC3339)) + "&created_at_lte=" + url.QueryEscape(testStart.Add(time.Hour).Format(time.RFC3339)), created[5:10]},
		"default page":  {"", created[:10]},
		"second page":   {"page_size=20&page_number=1", created[20:]},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var list dodo.SubscriptionList
			h.mustCall(http.MethodGet, "/subscriptions?"+tc.query, nil, &list)
			got := make([]string, 0, len(list.Items))
			for _, item := range list.Items {
				got = append(got, item.SubscriptionID)
			}
			assertTypes(t, "ids", got, tc.want)
		})
	}
}

func TestListFiltersByCustomerAndSubscription(t *testing.T) {
	h := newHarness(t)
	first := h.create(newSubReq("pdt_sim_basic", "multi@example.com"))
	again := newSubReq("pdt_sim_pro", "")
	again.Customer = dodo.ExistingCustomer(first.Customer.CustomerID)
	second := h.create(again)
	h.create(newSubReq("pdt_sim_basic", "other@example.com"))

	var subs dodo.SubscriptionList
	h.mustCall(http.MethodGet, "/subscriptions?customer_id="+first.Customer.CustomerID, nil, &subs)
	assertEqual(t, "customer subscriptions", len(subs.Items), 2)
	assertEqual(t, "product name", *subs.Items[1].ProductName, "Pro")

	var payments dodo.PaymentList
	h.mustCall(http.MethodGet, "/payments?subscription_id="+second.SubscriptionID, nil, &payments)
	assertEqual(t, "subscription payments", len(payments.Items), 1)
	assertEqual(t, "payment", payments.Items[0].PaymentID, second.PaymentID)
	h.mustCall(http.MethodGet, "/payments?customer_id="+first.Customer.CustomerID+"&status=succeeded", nil, &payments)
	assertEqual(t, "customer payments", len(payments.Items), 2)
	h.mustCall(http.MethodGet, "/payments?subscription_id=sub_unknown", nil, &payments)
	assertEqual(t, "unknown subscription lists nothing", len(payments.Items), 0)
}
