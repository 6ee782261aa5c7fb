package subscription

import (
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func specSub(mutate ...func(*billingv1alpha1.Subscription)) *billingv1alpha1.Subscription {
	sub := &billingv1alpha1.Subscription{}
	sub.Namespace, sub.Name, sub.UID = "team", "acme", "uid-1"
	sub.Spec = billingv1alpha1.SubscriptionSpec{ProductID: "pdt_a", Quantity: 2,
		Customer: billingv1alpha1.CustomerSpec{ID: "cus_1"}, Billing: billingv1alpha1.BillingAddress{Country: "US"}}
	for _, m := range mutate {
		m(sub)
	}
	return sub
}

func observedSub(mutate ...func(*dodo.Subscription)) *dodo.Subscription {
	obs := &dodo.Subscription{SubscriptionID: "sub_1", Status: dodo.SubscriptionStatusActive, ProductID: "pdt_a", Quantity: 2,
		Billing:  dodo.BillingAddress{Country: "US"},
		Metadata: dodo.Metadata{"k8s_namespace": "team", "k8s_name": "acme", "k8s_uid": "uid-1"}}
	for _, m := range mutate {
		m(obs)
	}
	return obs
}

func TestCreateRequestCarriesEverySpecFieldAndTheStamp(t *testing.T) {
	sub := specSub(func(s *billingv1alpha1.Subscription) {
		s.Spec.Customer = billingv1alpha1.CustomerSpec{Email: "a@b.co", Name: "A"}
		s.Spec.OnDemand = &billingv1alpha1.OnDemandSpec{MandateOnly: false, ProductPrice: ptr.To[int64](500), ProductCurrency: "EUR"}
		s.Spec.PaymentLink, s.Spec.ReturnURL, s.Spec.TrialPeriodDays = ptr.To(true), "https://r", ptr.To[int32](7)
		s.Spec.DiscountCodes, s.Spec.TaxID = []string{"D1"}, "DE123"
		s.Spec.Metadata = map[string]string{"team": "x"}
	})
	body, err := json.Marshal(createRequest(sub))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"product_id":"pdt_a","quantity":2,"billing":{"country":"US"},"customer":{"email":"a@b.co","name":"A"},` +
		`"on_demand":{"mandate_only":false,"product_price":500,"product_currency":"EUR"},"payment_link":true,"return_url":"https://r",` +
		`"metadata":{"k8s_name":"acme","k8s_namespace":"team","k8s_uid":"uid-1","team":"x"},"discount_codes":["D1"],` +
		`"trial_period_days":7,"tax_id":"DE123"}`
	if string(body) != want {
		t.Fatalf("body\n got %s\nwant %s", body, want)
	}
}

func TestPlanChange(t *testing.T) {
	requested := &billingv1alpha1.PlanRequest{ProductID: "pdt_b", Quantity: 2}
	cases := map[string]struct {
		sub      *billingv1alpha1.Subscription
		observed *dodo.Subscription
		wantNil  bool
		wantMode dodo.ProrationBillingMode
	}{
		"InSync":        {specSub(), observedSub(), true, ""},
		"QuantityDrift": {specSub(func(s *billingv1alpha1.Subscription) { s.Spec.Quantity = 3 }), observedSub(), false, "prorated_immediately"},
		"ProductDriftWithMode": {specSub(func(s *billingv1alpha1.Subscription) {
			s.Spec.ProductID = "pdt_b"
			s.Spec.PlanChange = &billingv1alpha1.PlanChangeSpec{ProrationBillingMode: "do_not_bill"}
		}), observedSub(), false, "do_not_bill"},
		"AlreadyScheduled": {specSub(func(s *billingv1alpha1.Subscription) { s.Spec.ProductID = "pdt_b" }),
			observedSub(func(o *dodo.Subscription) { o.ScheduledChange = &dodo.ScheduledChange{ProductID: "pdt_b", Quantity: 2} }), true, ""},
		"AlreadyRequested": {specSub(func(s *billingv1alpha1.Subscription) {
			s.Spec.ProductID = "pdt_b"
			s.Status.LastPlanChangeRequest = requested
		}), observedSub(), true, ""},
		"AddonDrift": {specSub(func(s *billingv1alpha1.Subscription) {
			s.Spec.Addons = []billingv1alpha1.Addon{{AddonID: "addon_x", Quantity: 1}}
		}),
			observedSub(), false, "prorated_immediately"},
		"AddonRemoved": {specSub(), observedSub(func(o *dodo.Subscription) { o.Addons = []dodo.Addon{{AddonID: "addon_x", Quantity: 1}} }), false, "prorated_immediately"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := planChange(tc.sub, tc.observed)
			if (got == nil) != tc.wantNil {
				t.Fatalf("got %+v, want nil=%v", got, tc.wantNil)
			}
			if got != nil && (got.ProrationBillingMode != tc.wantMode || got.ProductID != tc.sub.Spec.ProductID || got.Addons == nil) {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestFieldUpdate(t *testing.T) {
	cases := map[string]struct {
		sub      *billingv1alpha1.Subscription
		observed *dodo.Subscription
		want     string
	}{
		"InSync":        {specSub(), observedSub(), "null"},
		"Metadata":      {specSub(func(s *billingv1alpha1.Subscription) { s.Spec.Metadata = map[string]string{"a": "b"} }), observedSub(), `{"metadata":{"a":"b","k8s_name":"acme","k8s_namespace":"team","k8s_uid":"uid-1"}}`},
		"Billing":       {specSub(func(s *billingv1alpha1.Subscription) { s.Spec.Billing.City = "Austin" }), observedSub(), `{"billing":{"country":"US","city":"Austin"}}`},
		"TaxID":         {specSub(func(s *billingv1alpha1.Subscription) { s.Spec.TaxID = "T1" }), observedSub(), `{"tax_id":"T1"}`},
		"CancelAtEnd":   {specSub(func(s *billingv1alpha1.Subscription) { s.Spec.CancelAtNextBillingDate = ptr.To(true) }), observedSub(), `{"cancel_at_next_billing_date":true}`},
		"CancelUnset":   {specSub(), observedSub(func(o *dodo.Subscription) { o.CancelAtNextBillingDate = true }), "null"},
		"TaxIDNotInSpe": {specSub(), observedSub(func(o *dodo.Subscription) { o.TaxID = ptr.To("OLD") }), "null"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			body, _ := json.Marshal(fieldUpdate(tc.sub, tc.observed))
			if string(body) != tc.want {
				t.Fatalf("got %s, want %s", body, tc.want)
			}
		})
	}
}

func TestPaymentMethodRequest(t *testing.T) {
	existing := func(s *billingv1alpha1.Subscription) {
		s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{ExistingID: "pm_2"}
	}
	newMethod := func(s *billingv1alpha1.Subscription) {
		s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: "t1"}}
	}
	cases := map[string]struct {
		sub      *billingv1alpha1.Subscription
		observed *dodo.Subscription
		wantType dodo.PaymentMethodUpdateType
	}{
		"NoneRequested":       {specSub(), observedSub(), ""},
		"SwitchToExisting":    {specSub(existing), observedSub(), dodo.PaymentMethodUpdateExisting},
		"AlreadyUsingIt":      {specSub(existing), observedSub(func(o *dodo.Subscription) { o.PaymentMethodID = ptr.To("pm_2") }), ""},
		"SameMethodOnHoldPay": {specSub(existing), observedSub(func(o *dodo.Subscription) { o.PaymentMethodID = ptr.To("pm_2"); o.Status = "on_hold" }), dodo.PaymentMethodUpdateExisting},
		"AlreadySent":         {specSub(existing, func(s *billingv1alpha1.Subscription) { s.Status.LastPaymentMethodRequest = "existing:pm_2" }), observedSub(), ""},
		"NewMethodLink":       {specSub(newMethod), observedSub(), dodo.PaymentMethodUpdateNew},
		"SameTokenNotResent":  {specSub(newMethod, func(s *billingv1alpha1.Subscription) { s.Status.LastPaymentMethodRequest = "new:t1" }), observedSub(), ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, _ := paymentMethodRequest(tc.sub, tc.observed)
			var gotType dodo.PaymentMethodUpdateType
			if got != nil {
				gotType = got.Type
			}
			if gotType != tc.wantType {
				t.Fatalf("got %q, want %q", gotType, tc.wantType)
			}
		})
	}
}

func TestResyncIntervalAndReadDue(t *testing.T) {
	sub := specSub()
	base := resyncInterval(sub, time.Hour)
	if base < 54*time.Minute || base > 66*time.Minute || base != resyncInterval(sub, time.Hour) {
		t.Fatalf("jittered interval %v is outside ±10%% or unstable", base)
	}
	sub.Annotations = map[string]string{billingv1alpha1.AnnotationResyncInterval: "10m"}
	if got := resyncInterval(sub, time.Hour); got < 9*time.Minute || got > 11*time.Minute {
		t.Fatalf("annotation interval: %v", got)
	}
	sub.Annotations[billingv1alpha1.AnnotationResyncInterval] = "1s" // below the floor: ignored
	if got := resyncInterval(sub, time.Hour); got < 54*time.Minute {
		t.Fatalf("a too-short annotation was honoured: %v", got)
	}

	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if due, _ := readDue(specSub(), now, time.Hour); !due {
		t.Fatal("never read: want due")
	}
	read := specSub(func(s *billingv1alpha1.Subscription) { s.Status.LastObservedAt = ptrTime(now.Add(-10 * time.Minute)) })
	if due, wait := readDue(read, now, time.Hour); due || wait != 50*time.Minute {
		t.Fatalf("read 10m ago: due=%v wait=%v", due, wait)
	}
	read.Generation = 2
	if due, _ := readDue(read, now, time.Hour); !due {
		t.Fatal("new generation: want due")
	}
	read.Generation = 0
	read.Status.ProviderStatus = "expired"
	if due, wait := readDue(read, now.Add(5*time.Hour), time.Hour); due || wait >= 0 {
		t.Fatalf("an expired subscription is polled: due=%v wait=%v", due, wait)
	}
	read.Generation = 0
	read.Annotations = map[string]string{billingv1alpha1.AnnotationReconcileRequestedAt: "x"}
	if due, _ := readDue(read, now, time.Hour); !due {
		t.Fatal("reconcile requested: want due")
	}
}

func TestNextReadWhileAPlanChangeIsPending(t *testing.T) {
	sent := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		pending        bool
		lastRead, want time.Duration // after sent
	}{
		"nothing pending: one interval after the last read": {false, 0, time.Hour},
		"just sent: 10s later":                              {true, 0, 10 * time.Second},
		"read at 10s: 20s after sending":                    {true, 10 * time.Second, 20 * time.Second},
		"read at 20s: 40s after sending":                    {true, 20 * time.Second, 40 * time.Second},
		"read at 43m: the doubling passed the interval":     {true, 43 * time.Minute, 103 * time.Minute},
		"a scheduled change a day later: hourly":            {true, 24 * time.Hour, 25 * time.Hour},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st := &billingv1alpha1.SubscriptionStatus{LastObservedAt: ptrTime(sent.Add(tc.lastRead))}
			if tc.pending {
				st.LastPlanChangeRequest = &billingv1alpha1.PlanRequest{ProductID: "p", Quantity: 1, RequestedAt: metav1.NewTime(sent)}
			}
			if got := nextRead(st, time.Hour).Sub(sent); got != tc.want {
				t.Fatalf("next read %v after sending; want %v", got, tc.want)
			}
		})
	}
}

func ptrTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}
