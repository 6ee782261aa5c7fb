package kubectldodo

import (
	"bytes"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

func TestFormatAmount(t *testing.T) {
	cases := []struct {
		minor    int64
		currency string
		want     string
	}{
		{2500, "USD", "25.00 USD"}, {5, "EUR", "0.05 EUR"}, {-150, "USD", "-1.50 USD"},
		{500, "JPY", "500 JPY"}, {1234, "KWD", "1.234 KWD"}, {2500, "", "2500 (minor units)"},
	}
	for _, tc := range cases {
		if got := formatAmount(tc.minor, tc.currency); got != tc.want {
			t.Errorf("formatAmount(%d, %q) = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
}

func TestRelative(t *testing.T) {
	cases := map[time.Duration]string{
		0: "now", 90 * time.Second: "in 1m30s", -5 * time.Minute: "5m ago", 69 * time.Hour: "in 2d21h",
		28 * 24 * time.Hour: "in 28d", -(26*time.Hour + 3*time.Minute): "1d2h ago", 3*time.Hour + 4*time.Second: "in 3h",
	}
	for d, want := range cases {
		if got := relative(now.Add(d), now); got != want {
			t.Errorf("relative(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestNextBilling(t *testing.T) {
	cases := map[string]struct {
		mutate func(*billingv1alpha1.SubscriptionStatus)
		want   string
	}{
		"OnHold":     {func(*billingv1alpha1.SubscriptionStatus) {}, "2026-12-18T09:00:00Z (in 28d); on hold: renewals wait for the dues"},
		"Active":     {func(s *billingv1alpha1.SubscriptionStatus) { s.ProviderStatus = providerActive }, "2026-12-18T09:00:00Z (in 28d)"},
		"Pending":    {func(s *billingv1alpha1.SubscriptionStatus) { s.ProviderStatus = providerPending }, "none until the customer pays"},
		"Cancelled":  {func(s *billingv1alpha1.SubscriptionStatus) { s.ProviderStatus = providerCancelled }, "none: the subscription is cancelled"},
		"NotCreated": {func(s *billingv1alpha1.SubscriptionStatus) { *s = billingv1alpha1.SubscriptionStatus{} }, ""},
		"Cancelling": {func(s *billingv1alpha1.SubscriptionStatus) {
			s.ProviderStatus, s.CancelAtNextBillingDate = providerActive, true
		}, "none: Dodo cancels it at the end of the period, 2026-12-18T09:00:00Z"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st := onHoldSubscription().Status
			tc.mutate(&st)
			if got := nextBilling(&st, now); !strings.HasPrefix(got, tc.want) || (tc.want == "") != (got == "") {
				t.Errorf("nextBilling = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLinkAdvice(t *testing.T) {
	cases := map[string]struct {
		mutate func(*billingv1alpha1.Subscription)
		ok     bool
		want   string // the link when ok, else a substring of the advice
	}{
		"CurrentLink": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus, s.Status.PaymentLink, s.Status.PaymentLinkExpiresAt = providerPending, "https://pay/1", at(time.Hour)
		}, true, "https://pay/1"},
		"ExpiredButNotClearedYet": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus, s.Status.PaymentLink, s.Status.PaymentLinkExpiresAt = providerPending, "https://pay/1", at(-time.Hour)
		}, false, "expired at 2026-11-20T08:00:00Z (1h ago). A creation link cannot be renewed"},
		"ExpiredAndCleared": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus, s.Status.PaymentLinkExpiresAt = providerPending, at(-time.Hour)
			setCondition(&s.Status.Conditions, ready(billingv1alpha1.ReasonPaymentLinkExpired))
		}, false, "Delete this object and create it again"},
		"Unavailable": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus = providerPending
			setCondition(&s.Status.Conditions, ready(billingv1alpha1.ReasonPaymentLinkUnavailable))
		}, false, "kubectl dodo refresh subscription acme-pro"},
		"OnHoldWithoutLinkSaysHowToAsk": {func(*billingv1alpha1.Subscription) {}, false, `"new":{"token":"<new token>"}`},
		"ExpiredPaymentMethodLinkOnHold": {func(s *billingv1alpha1.Subscription) {
			s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: "t1"}}
			s.Status.PaymentLink, s.Status.PaymentLinkExpiresAt, s.Status.LastPaymentMethodRequest = "https://pay/2", at(-time.Minute), "new:t1"
		}, false, "adds a payment method"},
		"CurrentPaymentMethodLinkOnHold": {func(s *billingv1alpha1.Subscription) {
			s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: "t1"}}
			s.Status.PaymentLink, s.Status.PaymentLinkExpiresAt, s.Status.LastPaymentMethodRequest = "https://pay/2", at(time.Hour), "new:t1"
		}, true, "https://pay/2"},
		"PaidCreationLinkIsNotCurrent": {func(s *billingv1alpha1.Subscription) {
			s.Status.PaymentLink, s.Status.PaymentLinkExpiresAt = "https://pay/first", at(time.Hour)
		}, false, "the link in status was for the first payment"},
		"PendingWithoutLinkRequested": {func(s *billingv1alpha1.Subscription) { s.Status.ProviderStatus = providerPending },
			false, "created without a payment link"},
		"PendingLinkRequested": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus, s.Spec.PaymentLink = providerPending, ptr.To(true)
		}, false, "Dodo gave no link"},
		"Active":     {func(s *billingv1alpha1.Subscription) { s.Status.ProviderStatus = providerActive }, false, "no payment is waiting"},
		"Failed":     {func(s *billingv1alpha1.Subscription) { s.Status.ProviderStatus = providerFailed }, false, "create a new Subscription"},
		"NotCreated": {func(s *billingv1alpha1.Subscription) { s.Status = billingv1alpha1.SubscriptionStatus{} }, false, "not created"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sub := onHoldSubscription()
			tc.mutate(sub)
			link, note, ok := LinkAdvice(sub, now)
			got := note
			if ok {
				got = link
			}
			if ok != tc.ok || !strings.Contains(got, tc.want) {
				t.Errorf("LinkAdvice = %q, %q, %v; want ok=%v and %q", link, note, ok, tc.ok, tc.want)
			}
		})
	}
}

func TestRenderSubscriptionStatusShowsEveryPart(t *testing.T) {
	events := []corev1.Event{{Type: "Warning", Reason: "SubscriptionOnHold", Message: "Dodo put the subscription on hold",
		LastTimestamp: *at(-2 * time.Hour), Count: 2}}
	var out bytes.Buffer
	if err := RenderSubscriptionStatus(&out, onHoldSubscription(), events, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Subscription billing/acme-pro\n", "Status:           on_hold\n", "Recurring amount: 80.00 USD before tax\n",
		"Last payment:     pay_renew2 failed (INSUFFICIENT_FUNDS), 2026-11-20T07:00:00Z (2h ago)\n",
		"Next billing:     2026-12-18T09:00:00Z (in 28d); on hold",
		"Last webhook:     subscription.on_hold, 2026-11-20T07:00:00Z (2h ago), id msg_onhold1\n",
		"  Ready    False  InsufficientFunds  since 2h ago\n", "  OnHold   True   InsufficientFunds  since 2h ago\n",
		"  Ready, OnHold: A payment failed (payment pay_renew2", "2h ago  Warning  SubscriptionOnHold  Dodo put the subscription on hold (x2)\n",
		"Next action (you)\n  Contact the customer",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// Conditions that are fine and say nothing new are one line, without a message.
	if strings.Contains(out.String(), "The subscription has not failed.") {
		t.Errorf("the message of Failed=False is printed:\n%s", out.String())
	}
}

func TestRenderChargeStatusShowsAttemptsAndNextAttempt(t *testing.T) {
	var out bytes.Buffer
	sub := onHoldSubscription()
	if err := RenderChargeStatus(&out, retryScheduledCharge(), sub, nil, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Subscription:     acme-usage (Dodo sub_usage1, on_hold)\n", "Amount:           25.00 USD\n", "Phase:            RetryScheduled\n",
		"Next attempt:     2026-11-23T06:00:00Z (in 2d21h)\n",
		"#1 Failed pay_try1 via Charge, declined INSUFFICIENT_FUNDS (Insufficient funds), started 2026-11-20T06:00:00Z (3h ago)\n",
		"Last webhook:     id msg_fail1 (newest of 1 applied)\n", "Events (newest last)\n  none\n", "Next action (you)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestEventBefore(t *testing.T) {
	ev := func(rv string, d time.Duration) *corev1.Event {
		return &corev1.Event{ObjectMeta: metav1.ObjectMeta{ResourceVersion: rv}, LastTimestamp: *at(d)}
	}
	cases := []struct {
		a, b *corev1.Event
		want bool
	}{
		{ev("9", -time.Minute), ev("1", 0), true},  // time first
		{ev("1", 0), ev("9", -time.Minute), false}, // time first
		{ev("10", 0), ev("9", 0), false},           // same second: creation order, numerically
		{ev("9", 0), ev("10", 0), true},            // same second: creation order, numerically
		{ev("x", 0), ev("10", 0), false},           // not a number: no opinion
	}
	for i, tc := range cases {
		if got := eventBefore(tc.a, tc.b); got != tc.want {
			t.Errorf("case %d: eventBefore = %v", i, got)
		}
	}
}

func TestSubscriptionState(t *testing.T) {
	cancelling := onHoldSubscription()
	cancelling.Status.ProviderStatus, cancelling.Status.CancelAtNextBillingDate = providerActive, true
	cases := map[string]struct {
		recorded string
		sub      *billingv1alpha1.Subscription
		want     string
	}{
		"Missing":             {"", nil, " (no such Subscription in this namespace)"},
		"NotCreated":          {"", &billingv1alpha1.Subscription{}, " (not created in Dodo yet)"},
		"BeforeAnyAttempt":    {"", onHoldSubscription(), " (Dodo sub_acme1, on_hold)"},
		"RecordedIDWins":      {"sub_old", onHoldSubscription(), " (Dodo sub_old, on_hold)"},
		"CancellingIsVisible": {"", cancelling, " (Dodo sub_acme1, active, cancels at period end)"},
	}
	for name, tc := range cases {
		if got := subscriptionState(tc.recorded, tc.sub); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

func TestRenderTree(t *testing.T) {
	sub := onHoldSubscription()
	first, second := retryScheduledCharge(), retryScheduledCharge()
	first.Name, first.CreationTimestamp = "older", metav1.NewTime(now.Add(-time.Hour))
	second.Name, second.CreationTimestamp = "newer", metav1.NewTime(now)
	second.Status.Phase, second.Status.NextAttemptAt = billingv1alpha1.ChargePhaseSucceeded, nil
	var out bytes.Buffer
	if err := RenderTree(&out, sub, []billingv1alpha1.OnDemandCharge{*second, *first}, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") || strings.Join(strings.Fields(lines[1])[:3], " ") != "Subscription/acme-pro sub_acme1 on_hold" ||
		!strings.HasPrefix(lines[2], "├─ OnDemandCharge/older") || !strings.HasPrefix(lines[3], "└─ OnDemandCharge/newer") {
		t.Fatalf("tree:\n%s", out.String())
	}
	if !strings.Contains(lines[2], "RetryScheduled (1 attempt(s))") || !strings.Contains(lines[2], "attempt 2026-11-23T06:00:00Z") {
		t.Errorf("the retrying charge's line: %q", lines[2])
	}
}
