package ondemandcharge

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestPolicyOf(t *testing.T) {
	def := policyOf(&billingv1alpha1.OnDemandChargeSpec{})
	if def.maxAttempts != 4 || len(def.intervals) != 3 || def.intervals[0] != 72*time.Hour || def.intervals[2] != 168*time.Hour {
		t.Fatalf("default policy %+v", def)
	}
	custom := policyOf(&billingv1alpha1.OnDemandChargeSpec{RetryPolicy: &billingv1alpha1.ChargeRetryPolicy{
		MaxAttempts: ptr.To[int32](2), Intervals: []metav1.Duration{{Duration: 48 * time.Hour}}}})
	if custom.maxAttempts != 2 || len(custom.intervals) != 1 || custom.intervals[0] != 48*time.Hour {
		t.Fatalf("custom policy %+v", custom)
	}
}

func declined(codes ...string) []billingv1alpha1.ChargeAttempt {
	out := make([]billingv1alpha1.ChargeAttempt, 0, len(codes))
	for i, c := range codes {
		out = append(out, billingv1alpha1.ChargeAttempt{Number: int32(i + 1), Outcome: billingv1alpha1.AttemptFailed, DeclineCode: c})
	}
	return out
}

func TestAfterDecline(t *testing.T) {
	p := policy{maxAttempts: 4, intervals: DefaultIntervals}
	cases := map[string]struct {
		attempts []billingv1alpha1.ChargeAttempt
		retry    bool
		reason   string
	}{
		"SoftFirst":             {declined("INSUFFICIENT_FUNDS"), true, ""},
		"SoftThenOtherSoft":     {declined("INSUFFICIENT_FUNDS", "PROCESSING_ERROR"), true, ""},
		"SameSoftRepeats":       {declined("INSUFFICIENT_FUNDS", "INSUFFICIENT_FUNDS"), false, "RepeatedDecline"},
		"CapReached":            {declined("INSUFFICIENT_FUNDS", "PROCESSING_ERROR", "NETWORK_ERROR", "TRY_AGAIN_LATER"), false, "AttemptsExhausted"},
		"UnknownCodeIsSoft":     {declined("SOMETHING_NEW"), true, ""},
		"AuthFailureNeverRetry": {declined("AUTHENTICATION_FAILURE"), false, "HardDecline"},
	}
	for _, hard := range []string{"STOLEN_CARD", "DO_NOT_HONOR", "FRAUDULENT", "PICKUP_CARD", "LOST_CARD", "CARD_DECLINED",
		"EXPIRED_CARD", "INVALID_ACCOUNT", "TRANSACTION_NOT_ALLOWED", "REVOCATION_OF_AUTHORIZATION"} {
		cases["Hard"+hard] = struct {
			attempts []billingv1alpha1.ChargeAttempt
			retry    bool
			reason   string
		}{declined(hard), false, "HardDecline"}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := afterDecline(p, tc.attempts)
			if got.retry != tc.retry || got.reason != tc.reason || (!got.retry && got.message == "") {
				t.Fatalf("got %+v, want retry=%v reason=%q", got, tc.retry, tc.reason)
			}
		})
	}
	if got := afterDecline(policy{maxAttempts: 1, intervals: DefaultIntervals}, declined("INSUFFICIENT_FUNDS")); got.retry {
		t.Fatal("maxAttempts 1 allowed a retry")
	}
}

func TestNextAttemptAtKeepsTheAnchorTimeOfDay(t *testing.T) {
	p := policy{maxAttempts: 4, intervals: DefaultIntervals}
	first := time.Date(2026, 1, 30, 18, 45, 0, 0, time.UTC)
	mandate := time.Date(2025, 12, 1, 13, 10, 0, 0, time.UTC)
	const key = "team/charge-1"
	s := spread(key)
	cases := map[string]struct {
		policy policy
		first  time.Time
		anchor time.Time
		next   int
		want   time.Time
	}{
		"Day3AtMandateTime":            {p, first, mandate, 2, time.Date(2026, 2, 2, 13, 10, 0, 0, time.UTC)},
		"Day10AcrossMonthEnd":          {p, first, mandate, 3, time.Date(2026, 2, 9, 13, 10, 0, 0, time.UTC)},
		"Day17":                        {p, first, mandate, 4, time.Date(2026, 2, 16, 13, 10, 0, 0, time.UTC)},
		"AnchoredToFirstAttempt":       {p, first, first, 2, time.Date(2026, 2, 2, 18, 45, 0, 0, time.UTC)},
		"LeapYearFebruary":             {p, time.Date(2028, 2, 27, 9, 0, 0, 0, time.UTC), mandate, 2, time.Date(2028, 3, 1, 13, 10, 0, 0, time.UTC)},
		"NoDSTShiftInUTC":              {p, time.Date(2026, 3, 27, 13, 10, 0, 0, time.FixedZone("CET", 3600)), mandate, 2, time.Date(2026, 3, 30, 13, 10, 0, 0, time.UTC)},
		"ShortIntervalPushedToNextDay": {policy{2, []time.Duration{24 * time.Hour}}, time.Date(2026, 5, 1, 23, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), 2, time.Date(2026, 5, 3, 1, 0, 0, 0, time.UTC)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := nextAttemptAt(tc.policy, tc.first, tc.anchor, tc.next, key)
			if !got.Equal(tc.want.Add(s)) {
				t.Fatalf("got %v, want %v (+ spread %v)", got, tc.want, s)
			}
		})
	}
}

func TestSpreadIsStableAndBounded(t *testing.T) {
	seen := map[time.Duration]bool{}
	for _, key := range []string{"a/1", "a/2", "b/1", "b/2", "c/3"} {
		s := spread(key)
		if s < 0 || s >= spreadWindow || s != spread(key) {
			t.Fatalf("spread(%q) = %v", key, s)
		}
		seen[s] = true
	}
	if len(seen) < 4 {
		t.Fatalf("charges due together are not spread: %v", seen)
	}
}

func TestClassifyEveryDocumentedDeclineCode(t *testing.T) {
	// Every hard decline of the reference table, and the guide's skip list, stops retries.
	for _, code := range dodo.DeclineCodes() {
		class := dodo.ClassifyDecline(string(code))
		got := afterDecline(policy{maxAttempts: 4, intervals: DefaultIntervals}, declined(string(code)))
		if got.retry == class.NeverRetry {
			t.Errorf("%s: retry=%v but NeverRetry=%v", code, got.retry, class.NeverRetry)
		}
	}
}
