package simulator

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func withPessimism(p Pessimism) func(*Config) {
	return func(cfg *Config) { cfg.Pessimism = p }
}

func newTestServer(t *testing.T, sim *Simulator) *httptest.Server {
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// listed GETs one page of 100 at path and returns each item's ID and status.
func listed[L, I any, S ~string](h *harness, path, query string, items func(*L) []I, idStatus func(I) (string, S)) map[string]S {
	h.t.Helper()
	var list L
	h.mustCall(http.MethodGet, path+"?page_size=100&"+query, nil, &list)
	out := map[string]S{}
	for _, item := range items(&list) {
		id, status := idStatus(item)
		out[id] = status
	}
	return out
}

// listedSubscriptions returns the IDs and statuses GET /subscriptions shows.
func (h *harness) listedSubscriptions(query string) map[string]dodo.SubscriptionStatus {
	return listed(h, "/subscriptions", query, func(l *dodo.SubscriptionList) []dodo.SubscriptionListItem { return l.Items },
		func(i dodo.SubscriptionListItem) (string, dodo.SubscriptionStatus) { return i.SubscriptionID, i.Status })
}

// listedPayments returns the IDs and statuses GET /payments shows.
func (h *harness) listedPayments(query string) map[string]dodo.PaymentStatus {
	return listed(h, "/payments", query, func(l *dodo.PaymentList) []dodo.PaymentListItem { return l.Items },
		func(i dodo.PaymentListItem) (string, dodo.PaymentStatus) { return i.PaymentID, *i.Status })
}

func TestListLagHidesNewObjectsUntilTheLagHasPassed(t *testing.T) {
	const lag = 2 * time.Second
	h := newHarness(t, withPessimism(Pessimism{ListLag: lag}))
	resp := h.create(newSubReq("pdt_sim_basic", "lag@example.com"))

	// GET by ID reads its writes at once.
	assertEqual(t, "get by id", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusActive)
	assertEqual(t, "get payment by id", statusOf(h.payment(resp.PaymentID)), dodo.PaymentStatusSucceeded)

	assertEqual(t, "subscriptions listed at once", len(h.listedSubscriptions("")), 0)
	assertEqual(t, "payments listed at once", len(h.listedPayments("")), 0)
	h.sim.Advance(lag - time.Nanosecond)
	assertEqual(t, "subscriptions listed just before the lag", len(h.listedSubscriptions("")), 0)
	assertEqual(t, "payments listed by subscription just before the lag",
		len(h.listedPayments("subscription_id="+resp.SubscriptionID)), 0)
	h.sim.Advance(time.Nanosecond)
	assertEqual(t, "subscription listed after the lag",
		h.listedSubscriptions("")[resp.SubscriptionID], dodo.SubscriptionStatusActive)
	assertEqual(t, "payment listed after the lag",
		h.listedPayments("customer_id=" + resp.Customer.CustomerID)[resp.PaymentID], dodo.PaymentStatusSucceeded)
}

func TestListLagShowsTheStateOfLagAgo(t *testing.T) {
	const lag = 5 * time.Second
	h := newHarness(t, withPessimism(Pessimism{ListLag: lag}))
	resp := h.create(onDemandReq("stale@example.com"))
	h.sim.Advance(lag)
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{"status": "paused"}, nil)

	assertEqual(t, "get by id sees the pause", h.subscription(resp.SubscriptionID).Status, dodo.SubscriptionStatusPaused)
	assertEqual(t, "list shows the old status", h.listedSubscriptions("")[resp.SubscriptionID], dodo.SubscriptionStatusActive)
	assertEqual(t, "filters apply to the old copy", len(h.listedSubscriptions("status=paused")), 0)
	h.sim.Advance(lag - time.Second)
	assertEqual(t, "still the old status", h.listedSubscriptions("status=active")[resp.SubscriptionID], dodo.SubscriptionStatusActive)
	h.sim.Advance(time.Second)
	assertEqual(t, "the pause reaches the list", h.listedSubscriptions("status=paused")[resp.SubscriptionID], dodo.SubscriptionStatusPaused)

	// A charge: hidden, then processing, then (lag after settling) succeeded.
	h.mustCall(http.MethodPatch, subPath(resp.SubscriptionID), map[string]any{"status": "active"}, nil)
	var charged dodo.ChargeResponse
	h.mustCall(http.MethodPost, "/subscriptions/"+resp.SubscriptionID+"/charge", dodo.ChargeRequest{ProductPrice: 900}, &charged)
	query := "subscription_id=" + resp.SubscriptionID
	if _, listed := h.listedPayments(query)[charged.PaymentID]; listed {
		t.Fatal("a new charge is listed at once")
	}
	h.sim.Advance(DefaultSettleDelay) // settles now; the list is lag behind
	assertEqual(t, "get by id settled", statusOf(h.payment(charged.PaymentID)), dodo.PaymentStatusSucceeded)
	if _, listed := h.listedPayments(query)[charged.PaymentID]; listed {
		t.Fatal("the charge is listed before lag has passed since its creation")
	}
	h.sim.Advance(lag - DefaultSettleDelay)
	assertEqual(t, "listed as processing", h.listedPayments(query)[charged.PaymentID], dodo.PaymentStatusProcessing)
	if _, listed := h.listedPayments(query + "&status=succeeded")[charged.PaymentID]; listed {
		t.Fatal("the status filter matched the live payment, not the listed copy")
	}
	h.sim.Advance(DefaultSettleDelay)
	assertEqual(t, "listed as succeeded", h.listedPayments(query + "&status=succeeded")[charged.PaymentID], dodo.PaymentStatusSucceeded)
}

func TestListLagPassesOnARealTimeClock(t *testing.T) {
	// Config.Clock nil: the business clock follows real time, as in the
	// fault-injection harness. Each list is checked against the time that
	// had passed when it was sent, so a slow machine cannot fail the test.
	const lag = 150 * time.Millisecond
	sim, err := New(Config{APIKeys: []string{testAPIKey}, Pessimism: Pessimism{ListLag: lag}, ScanInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	h := &harness{t: t, sim: sim, srv: newTestServer(t, sim)}
	start := time.Now()
	resp := h.create(newSubReq("pdt_sim_basic", "realtime@example.com"))
	for {
		sent := time.Since(start)
		_, listed := h.listedSubscriptions("")[resp.SubscriptionID]
		switch {
		case listed && sent < lag:
			t.Fatalf("listed %v after the create, before the %v lag", sent, lag)
		case listed:
			return
		case time.Since(start) > 5*time.Second:
			t.Fatal("never listed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPaymentListPageCap(t *testing.T) {
	for _, answer := range []PastCapAnswer{"", PastCapEmptyPage, PastCapError} {
		t.Run(string(answer), func(t *testing.T) {
			h := newHarness(t, withPessimism(Pessimism{PaymentListPageCap: 1, PaymentListPastCap: answer}))
			for i := range 6 {
				h.create(newSubReq("pdt_sim_basic", "cap"+strconv.Itoa(i)+"@example.com"))
				h.sim.Advance(time.Hour)
			}
			page := func(n int, extra string) string {
				return "/payments?page_size=2&page_number=" + strconv.Itoa(n) + extra
			}
			for n := range 2 {
				var list dodo.PaymentList
				h.mustCall(http.MethodGet, page(n, ""), nil, &list)
				assertEqual(t, "page "+strconv.Itoa(n)+" items", len(list.Items), 2)
			}
			if answer == PastCapError {
				h.wantError(http.MethodGet, page(2, ""), nil, http.StatusUnprocessableEntity, codeInvalidQueryParams)
			} else {
				var list dodo.PaymentList
				h.mustCall(http.MethodGet, page(2, ""), nil, &list)
				assertEqual(t, "page past the cap", len(list.Items), 0)
			}
			// A query bounded by created_at reaches the last payments on page 0.
			from := url.QueryEscape(testStart.Add(4 * time.Hour).Format(time.RFC3339))
			var bounded dodo.PaymentList
			h.mustCall(http.MethodGet, page(0, "&created_at_gte="+from), nil, &bounded)
			assertEqual(t, "bounded query items", len(bounded.Items), 2)
			assertEqual(t, "bounded query reaches the newest", bounded.Items[1].PaymentID, h.sim.State().Payments[5].PaymentID)
			// Subscription lists have no documented cap.
			var subs dodo.SubscriptionList
			h.mustCall(http.MethodGet, "/subscriptions?page_size=2&page_number=2", nil, &subs)
			assertEqual(t, "subscription page 2", len(subs.Items), 2)
		})
	}
}

func TestListHistoryKeepsOnlyReachableVersions(t *testing.T) {
	const lag = 10 * time.Second
	var h listHistory[string]
	at := func(s int) time.Time { return testStart.Add(time.Duration(s) * time.Second) }
	change := func(s int, state string) {
		h.markChanged(at(s))
		h.record(state, lag)
	}
	change(0, "created")
	change(0, "created and activated") // same moment: replaces
	change(3, "paused")
	change(6, "resumed")
	live := "live"
	for _, tc := range []struct {
		cutoff int
		want   string
	}{{-1, ""}, {0, "created and activated"}, {2, "created and activated"}, {3, "paused"}, {7, "resumed"}} {
		got := h.asOf(at(tc.cutoff), &live)
		if (got == nil) != (tc.want == "") || (got != nil && *got != tc.want) {
			t.Fatalf("asOf(%ds) = %v, want %q", tc.cutoff, got, tc.want)
		}
	}
	change(30, "cancelled") // every cutoff from now on is >= 20 s
	assertEqual(t, "versions kept", len(h.versions), 2)
	assertEqual(t, "oldest kept", h.versions[0].state, "resumed")
	h.markChanged(at(40)) // changed, not yet recorded: live from 40 s on
	assertEqual(t, "live after its change", *h.asOf(at(40), &live), "live")
	assertEqual(t, "recorded before it", *h.asOf(at(39), &live), "cancelled")
}
