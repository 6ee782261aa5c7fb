package ondemandcharge

import (
	"strings"
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

// declined is a history of declined attempts, a day apart from day0.
func declined(codes ...string) []billingv1alpha1.ChargeAttempt {
	out := make([]billingv1alpha1.ChargeAttempt, 0, len(codes))
	for i, c := range codes {
		out = append(out, declinedAttempt(int32(i+1), "", day0.Add(time.Duration(i)*day), c))
	}
	return out
}

func TestDecideAfterDecline(t *testing.T) {
	p := policy{maxAttempts: 4, intervals: DefaultIntervals}
	afterLast := func(a []billingv1alpha1.ChargeAttempt, d time.Duration) time.Time {
		return a[len(a)-1].StartedAt.Add(d)
	}
	soft := declined("INSUFFICIENT_FUNDS")
	cases := map[string]struct {
		attempts []billingv1alpha1.ChargeAttempt
		card     *cardDecline
		allowed  bool
		action   retryAction
		reason   string
	}{
		"RetryableFirst":            {soft, nil, false, actionRetry, ""},
		"OtherRetryableSecond":      {declined("INSUFFICIENT_FUNDS", "PROCESSING_ERROR"), nil, false, actionRetry, ""},
		"SameDeclineRepeats":        {declined("INSUFFICIENT_FUNDS", "INSUFFICIENT_FUNDS"), nil, false, actionStop, billingv1alpha1.ReasonRepeatedDecline},
		"CapReached":                {declined("INSUFFICIENT_FUNDS", "PROCESSING_ERROR", "NETWORK_ERROR", "TRY_AGAIN_LATER"), nil, false, actionStop, billingv1alpha1.ReasonAttemptsExhausted},
		"UnknownCodeAsksAPerson":    {declined("SOMETHING_NEW"), nil, false, actionAskPerson, billingv1alpha1.ReasonDeclineNotRetryable},
		"EmptyCodeAsksAPerson":      {declined(""), nil, false, actionAskPerson, billingv1alpha1.ReasonDeclineNotRetryable},
		"UserErrorAsksAPerson":      {declined("INCORRECT_CVC"), nil, false, actionAskPerson, billingv1alpha1.ReasonDeclineNotRetryable},
		"PersonAllowsUnknown":       {declined("SOMETHING_NEW"), nil, true, actionRetry, ""},
		"PersonCannotAllowHard":     {declined("STOLEN_CARD"), nil, true, actionStop, billingv1alpha1.ReasonHardDecline},
		"PersonCannotPassTheCap":    {declined("INSUFFICIENT_FUNDS", "PROCESSING_ERROR", "NETWORK_ERROR", "X"), nil, true, actionStop, billingv1alpha1.ReasonAttemptsExhausted},
		"AuthFailureNeverRetried":   {declined("AUTHENTICATION_FAILURE"), nil, false, actionStop, billingv1alpha1.ReasonHardDecline},
		"CardStolenLater":           {soft, &cardDecline{"pay_x", "STOLEN_CARD", afterLast(soft, day)}, false, actionStop, billingv1alpha1.ReasonHardDecline},
		"CardStolenEarlier":         {soft, &cardDecline{"pay_x", "STOLEN_CARD", afterLast(soft, -day)}, false, actionStop, billingv1alpha1.ReasonHardDecline},
		"CardUnknownLater":          {soft, &cardDecline{"pay_x", "SOMETHING_NEW", afterLast(soft, day)}, false, actionAskPerson, billingv1alpha1.ReasonDeclineNotRetryable},
		"CardUnknownEarlierIgnored": {soft, &cardDecline{"pay_x", "SOMETHING_NEW", afterLast(soft, -day)}, false, actionRetry, ""},
		"CardUnknownTimeCounts":     {soft, &cardDecline{"pay_x", "INCORRECT_CVC", time.Time{}}, false, actionAskPerson, billingv1alpha1.ReasonDeclineNotRetryable},
		"CardRetryableLater":        {soft, &cardDecline{"pay_x", "TRY_AGAIN_LATER", afterLast(soft, day)}, false, actionRetry, ""},
	}
	for _, hard := range []string{"STOLEN_CARD", "DO_NOT_HONOR", "FRAUDULENT", "PICKUP_CARD", "LOST_CARD", "CARD_DECLINED",
		"EXPIRED_CARD", "INVALID_ACCOUNT", "TRANSACTION_NOT_ALLOWED", "REVOCATION_OF_AUTHORIZATION"} {
		c := cases["AuthFailureNeverRetried"]
		c.attempts = declined(hard)
		cases["Hard"+hard] = c
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := decideAfterDecline(retryInput{policy: p, attempts: tc.attempts, anchor: day0, spreadKey: "k", card: tc.card, allowed: tc.allowed})
			if got.action != tc.action || got.reason != tc.reason || (got.action != actionRetry && got.message == "") {
				t.Fatalf("got %+v, want action %d reason %q", got, tc.action, tc.reason)
			}
			if got.action == actionAskPerson && !strings.Contains(got.message, billingv1alpha1.AnnotationAllowRetry) {
				t.Fatalf("the message does not say how to allow an attempt: %s", got.message)
			}
		})
	}
	if got := decideAfterDecline(retryInput{policy: policy{1, DefaultIntervals}, attempts: soft, anchor: day0}); got.action != actionStop {
		t.Fatal("maxAttempts 1 allowed a retry")
	}
}

func TestNextAttemptAtKeepsTheAnchorTimeOfDay(t *testing.T) {
	p := policy{maxAttempts: 4, intervals: DefaultIntervals}
	mandate := time.Date(2025, 12, 1, 13, 10, 0, 0, time.UTC)
	const key = "team/charge-1"
	s := spread(key)
	cases := map[string]struct {
		policy   policy
		previous time.Time
		anchor   time.Time
		next     int
		want     time.Time
	}{
		"Day3AtMandateTime":     {p, time.Date(2026, 1, 30, 9, 0, 0, 0, time.UTC), mandate, 2, time.Date(2026, 2, 2, 13, 10, 0, 0, time.UTC)},
		"PastTheTimeOfDay":      {p, time.Date(2026, 1, 30, 18, 45, 0, 0, time.UTC), mandate, 2, time.Date(2026, 2, 3, 13, 10, 0, 0, time.UTC)},
		"SevenDaysAfterTheLate": {p, time.Date(2026, 2, 11, 13, 10, 0, 0, time.UTC), mandate, 3, time.Date(2026, 2, 18, 13, 10, 0, 0, time.UTC)},
		"ExactlyAtTheAnchor":    {p, time.Date(2026, 2, 9, 13, 10, 0, 0, time.UTC), mandate, 4, time.Date(2026, 2, 16, 13, 10, 0, 0, time.UTC)},
		"AnchorJustAfterMidnight": {p, time.Date(2026, 5, 1, 23, 50, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC), 2,
			time.Date(2026, 5, 5, 0, 5, 0, 0, time.UTC)},
		// An attempt that ran on time, at the anchor plus the spread: the next keeps the
		// guide's day (10, not 11).
		"OnTimeKeepsTheGuideDays": {p, time.Date(2026, 2, 2, 13, 10, 0, 0, time.UTC).Add(s), mandate, 3,
			time.Date(2026, 2, 9, 13, 10, 0, 0, time.UTC)},
		"LeapYearFebruary": {p, time.Date(2028, 2, 27, 9, 0, 0, 0, time.UTC), mandate, 2, time.Date(2028, 3, 1, 13, 10, 0, 0, time.UTC)},
		"NoDSTShiftInUTC":  {p, time.Date(2026, 3, 27, 13, 10, 0, 0, time.FixedZone("CET", 3600)), mandate, 2, time.Date(2026, 3, 30, 13, 10, 0, 0, time.UTC)},
		"CustomOneDay": {policy{2, []time.Duration{24 * time.Hour}}, time.Date(2026, 5, 1, 23, 0, 0, 0, time.UTC),
			time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), 2, time.Date(2026, 5, 3, 1, 0, 0, 0, time.UTC)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := nextAttemptAt(tc.policy, tc.previous, tc.anchor, tc.next, key)
			if !got.Equal(tc.want.Add(s)) {
				t.Fatalf("got %v, want %v (+ spread %v)", got, tc.want, s)
			}
			if got.Sub(tc.previous) < tc.policy.interval(tc.next) {
				t.Fatalf("only %v after the previous attempt", got.Sub(tc.previous))
			}
		})
	}
}

func TestSpreadIsStableBoundedAndWholeSeconds(t *testing.T) {
	seen := map[time.Duration]bool{}
	for _, key := range []string{"a/1", "a/2", "b/1", "b/2", "c/3"} {
		s := spread(key)
		if s < 0 || s >= spreadWindow || s != spread(key) || s%time.Second != 0 {
			t.Fatalf("spread(%q) = %v", key, s)
		}
		seen[s] = true
	}
	if len(seen) < 4 {
		t.Fatalf("charges due together are not spread: %v", seen)
	}
}

func TestEveryDocumentedDeclineCode(t *testing.T) {
	// Hard and skip-list declines stop; retryable ones are retried; every other code waits
	// for a person.
	p := policy{maxAttempts: 4, intervals: DefaultIntervals}
	for _, code := range dodo.DeclineCodes() {
		class := dodo.ClassifyDecline(string(code))
		want := actionAskPerson
		switch {
		case class.NeverRetry:
			want = actionStop
		case class.Retryable:
			want = actionRetry
		}
		if got := decideAfterDecline(retryInput{policy: p, attempts: declined(string(code)), anchor: day0}); got.action != want {
			t.Errorf("%s: action %d, want %d", code, got.action, want)
		}
	}
}
