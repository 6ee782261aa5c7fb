package ondemandcharge

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// genCharge is one random charge history, drawn up front from a seeded generator; the
// simulation (policy_histories_sim_test.go) replays it against the operator's policy.
type genCharge struct {
	key, customer string
	amount        int64
	retryPolicy   *billingv1alpha1.ChargeRetryPolicy
	mandate       *time.Time // the subscription's mandate (the anchor); nil: the first attempt's time
	created       time.Time
	outcomes      [MaxAttempts]string // per attempt: "ok", or the decline code
	settleAfter   [MaxAttempts]time.Duration
	gaps          [MaxAttempts]genGap         // what happens after each attempt
	person        [MaxAttempts]*time.Duration // a person allows one more attempt this long after a stall
}

// genGap is what happens around one declined attempt, outside the charge.
type genGap struct {
	decline *genExternal // a decline on the subscription outside this charge
	payment *genExternal // a succeeded payment by others
	block   *genBlock    // the charge cannot act (paused, waiting for a payment method)
	// staysActive: the operator still sees the subscription active after the decline (its
	// status not refreshed yet), so the retry is a charge call, not the dues.
	staysActive bool
}

// genExternal is a payment made outside the charge, after (or during) an attempt.
type genExternal struct {
	after  time.Duration // after the attempt settles; negative: while it is in flight
	code   string
	card   string
	kind   string // payments: dues, otherCharge, smaller, otherCurrency, during
	amount int64
}

type genBlock struct {
	kind        string // pause or waitingForPaymentMethod
	after, long time.Duration
}

// Decline codes by kind, for the generator.
var (
	genRetryable = []string{"INSUFFICIENT_FUNDS", "LIMIT_EXCEEDED", "CARD_VELOCITY_EXCEEDED", "PROCESSING_ERROR",
		"NETWORK_ERROR", "NETWORK_TIMEOUT", "TRY_AGAIN_LATER"}
	genSkipList = []string{"STOLEN_CARD", "DO_NOT_HONOR", "FRAUDULENT", "PICKUP_CARD", "AUTHENTICATION_FAILURE", "LOST_CARD"}
	genUnknown  = []string{"SOME_NEW_CODE", "ISSUER_MAINTENANCE_2027", "insufficient-funds", "05"}
	genGapKinds = []time.Duration{24 * time.Hour, 36 * time.Hour, 48 * time.Hour, 72 * time.Hour, 96 * time.Hour,
		168 * time.Hour, 240 * time.Hour}
	genBase = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
)

// genOtherKnown splits the rest of the documented table into hard and soft codes.
func genOtherKnown() (hard, soft []string) {
	for _, code := range dodo.DeclineCodes() {
		c := string(code)
		switch {
		case guideSkipList[c] || slices.Contains(genRetryable, c):
		case dodo.ClassifyDecline(c).Hard:
			hard = append(hard, c)
		default:
			soft = append(soft, c)
		}
	}
	slices.Sort(hard)
	slices.Sort(soft)
	return hard, soft
}

type generator struct {
	rnd                  *rand.Rand
	otherHard, otherSoft []string
}

func newGenerator(seed uint64) *generator {
	hard, soft := genOtherKnown()
	return &generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), otherHard: hard, otherSoft: soft}
}

func (g *generator) pick(list []string) string { return list[g.rnd.IntN(len(list))] }

func (g *generator) between(lo, hi time.Duration) time.Duration {
	return (lo + time.Duration(g.rnd.Int64N(int64(hi-lo)+1))).Truncate(time.Second)
}

// declineCode draws a code: known soft retryable, skip list, other hard, other soft,
// unknown or empty; or the previous attempt's code again.
func (g *generator) declineCode(previous string) string {
	switch n := g.rnd.IntN(100); {
	case n < 42:
		return g.pick(genRetryable)
	case n < 50:
		return g.pick(genSkipList)
	case n < 57:
		return g.pick(g.otherHard)
	case n < 70:
		return g.pick(g.otherSoft)
	case n < 78:
		return g.pick(genUnknown)
	case n < 83:
		return ""
	case previous != "":
		return previous
	}
	return g.pick(genRetryable)
}

// timeOfDay puts t's date at a random second of the day, half of the time within 30
// minutes of midnight.
func (g *generator) timeOfDay(t time.Time) time.Time {
	day := t.Truncate(24 * time.Hour)
	if g.rnd.IntN(2) == 0 {
		return day.Add(24*time.Hour - 30*time.Minute + g.between(0, time.Hour))
	}
	return day.Add(g.between(0, 24*time.Hour-time.Second))
}

func (g *generator) charge(account, index int) *genCharge {
	c := &genCharge{key: fmt.Sprintf("acct-%d/charge-%d", account, index),
		customer: fmt.Sprintf("cus_%d_%d", account, g.rnd.IntN(30)), amount: 100 + g.rnd.Int64N(100000),
		created: g.timeOfDay(genBase.Add(g.between(0, 20*24*time.Hour)))}
	c.retryPolicy = g.retryPolicy()
	if g.rnd.IntN(5) > 0 {
		mandate := g.timeOfDay(c.created.Add(-g.between(24*time.Hour, 200*24*time.Hour)))
		c.mandate = &mandate
	}
	previous := ""
	for i := range MaxAttempts {
		c.outcomes[i] = "ok"
		if g.rnd.IntN(100) >= 20 {
			c.outcomes[i] = g.declineCode(previous)
			previous = c.outcomes[i]
		}
		c.settleAfter[i] = g.between(time.Minute, 10*time.Minute)
		c.gaps[i] = g.gap(c.amount, c.settleAfter[i])
		if g.rnd.IntN(2) == 0 {
			d := g.between(time.Hour, 6*24*time.Hour)
			c.person[i] = &d
		}
	}
	return c
}

// retryPolicy: the default 60% of the time, else a custom maxAttempts and intervals (at
// least 24h each, one per retry, as the CRD requires).
func (g *generator) retryPolicy() *billingv1alpha1.ChargeRetryPolicy {
	if g.rnd.IntN(100) < 60 {
		return nil
	}
	rp := &billingv1alpha1.ChargeRetryPolicy{}
	retries := MaxAttempts - 1
	if g.rnd.IntN(5) > 0 {
		retries = g.rnd.IntN(MaxAttempts)
		rp.MaxAttempts = ptr.To(int32(retries + 1))
	}
	if g.rnd.IntN(10) < 7 {
		for range retries {
			rp.Intervals = append(rp.Intervals, metav1.Duration{Duration: g.pickGap() + g.between(0, 59*time.Minute)})
		}
	}
	return rp
}

func (g *generator) pickGap() time.Duration { return genGapKinds[g.rnd.IntN(len(genGapKinds))] }

// gap draws what happens outside the charge after one attempt.
func (g *generator) gap(amount int64, settle time.Duration) genGap {
	var gap genGap
	if n := g.rnd.IntN(100); n < 30 {
		cards := []string{cardSame, cardSame, cardSame, cardSame, cardOther, cardOther, cardUnknown}
		gap.decline = &genExternal{after: g.between(10*time.Minute, 12*24*time.Hour), code: g.declineCode(""), card: g.pick(cards)}
		if n < 3 {
			gap.decline.after = -settle / 2
		}
	}
	if g.rnd.IntN(100) < 15 {
		gap.payment = g.paymentByOthers(amount, settle)
	}
	gap.staysActive = g.rnd.IntN(100) < 15
	if g.rnd.IntN(100) < 25 {
		gap.block = &genBlock{kind: g.pick([]string{"pause", "waitingForPaymentMethod"}),
			after: g.between(0, 4*24*time.Hour), long: g.between(time.Hour, 12*24*time.Hour)}
	}
	return gap
}

func (g *generator) paymentByOthers(amount int64, settle time.Duration) *genExternal {
	p := &genExternal{after: g.between(10*time.Minute, 10*24*time.Hour), amount: amount + g.rnd.Int64N(5000)}
	switch n := g.rnd.IntN(100); {
	case n < 40:
		p.kind = "dues"
	case n < 65:
		p.kind, p.amount = "otherCharge", 1+g.rnd.Int64N(200000)
	case n < 80:
		p.kind, p.amount = "smaller", amount/2
	case n < 90:
		p.kind = "otherCurrency"
	default:
		p.kind, p.after = "during", -settle/2
	}
	return p
}
