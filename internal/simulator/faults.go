package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as "250ms"/"72h"
// (a plain number is taken as nanoseconds).
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts "72h"-style strings and integer nanoseconds.
func (d *Duration) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err == nil {
		parsed, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("parse duration: %w", err)
		}
		*d = Duration(parsed)
		return nil
	}
	var nanos int64
	if err := json.Unmarshal(data, &nanos); err != nil {
		return fmt.Errorf("duration must be a string like \"5s\" or integer nanoseconds: %w", err)
	}
	*d = Duration(nanos)
	return nil
}

// FailMode is how a fail-after-commit fault hides the outcome.
type FailMode string

// Fail-after-commit modes.
const (
	// FailModeBadGateway answers 502 after the write was committed.
	FailModeBadGateway FailMode = "502"
	// FailModeDrop closes the connection without any response.
	FailModeDrop FailMode = "drop"
)

// RouteFaults are the faults of one API route.
type RouteFaults struct {
	// ErrorRate answers ErrorStatus (default 500) before doing anything.
	ErrorRate   float64 `json:"error_rate,omitempty"`
	ErrorStatus int     `json:"error_status,omitempty"`
	// Latency delays the request (real time) before it is handled.
	Latency Duration `json:"latency,omitempty"`
	// FailAfterCommitRate commits the request, then hides the response
	// (FailAfterCommitMode, default "502") so the caller sees outcome unknown.
	FailAfterCommitRate float64  `json:"fail_after_commit_rate,omitempty"`
	FailAfterCommitMode FailMode `json:"fail_after_commit_mode,omitempty"`
}

// Faults configures fault injection. Routes are keyed by the route pattern
// as served, e.g. "POST /subscriptions/{subscription_id}/charge"; the key "*"
// applies to every API route without its own entry. Rates are in [0, 1]; a
// rate of 1 always fires. Seed reseeds the fault RNG, so a run with the same
// seed and the same request sequence fires the same faults.
type Faults struct {
	Seed                 uint64                 `json:"seed"`
	Routes               map[string]RouteFaults `json:"routes,omitempty"`
	WebhookDuplicateRate float64                `json:"webhook_duplicate_rate,omitempty"`
	WebhookReorderRate   float64                `json:"webhook_reorder_rate,omitempty"`
}

// Validate checks rates and modes.
func (f Faults) Validate() error {
	var errs []error
	checkRate := func(name string, rate float64) {
		if rate < 0 || rate > 1 {
			errs = append(errs, fmt.Errorf("%s must be within [0, 1], got %v", name, rate))
		}
	}
	checkRate("webhook_duplicate_rate", f.WebhookDuplicateRate)
	checkRate("webhook_reorder_rate", f.WebhookReorderRate)
	for route, rf := range f.Routes {
		if !knownRoute(route) {
			errs = append(errs, fmt.Errorf("unknown route %q: use a Route* pattern such as %q, or \"*\"", route, RouteCharge))
		}
		checkRate(route+": error_rate", rf.ErrorRate)
		checkRate(route+": fail_after_commit_rate", rf.FailAfterCommitRate)
		switch rf.FailAfterCommitMode {
		case "", FailModeBadGateway, FailModeDrop:
		default:
			errs = append(errs, fmt.Errorf("%s: fail_after_commit_mode must be %q or %q", route, FailModeBadGateway, FailModeDrop))
		}
		if rf.ErrorStatus != 0 && (rf.ErrorStatus < 400 || rf.ErrorStatus > 599) {
			errs = append(errs, fmt.Errorf("%s: error_status must be 4xx or 5xx", route))
		}
		if rf.Latency < 0 {
			errs = append(errs, errors.New(route+": latency must not be negative"))
		}
	}
	return errors.Join(errs...)
}

// knownRoute reports whether route is an API route pattern or "*".
func knownRoute(route string) bool {
	switch route {
	case "*", RouteCreateSubscription, RouteListSubscriptions, RouteGetSubscription, RoutePatchSubscription,
		RouteChangePlan, RouteCharge, RouteUpdatePaymentMethod, RouteListPayments, RouteGetPayment,
		RouteListPaymentMethods, RouteListBrands, RouteCreateWebhook, RouteListWebhooks, RouteGetWebhookSecret,
		RouteDeleteWebhook:
		return true
	}
	return false
}

// faultInjector holds the active faults and their RNG.
type faultInjector struct {
	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand
}

func newFaultInjector() *faultInjector {
	return &faultInjector{rng: newFaultRNG(0)}
}

func newFaultRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, ^seed))
}

func (f *faultInjector) set(faults Faults) error {
	if err := faults.Validate(); err != nil {
		return fmt.Errorf("invalid faults: %w", err)
	}
	faults.Routes = maps.Clone(faults.Routes)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = faults
	f.rng = newFaultRNG(faults.Seed)
	return nil
}

func (f *faultInjector) get() Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.faults
	out.Routes = maps.Clone(f.faults.Routes)
	return out
}

func (f *faultInjector) route(pattern string) RouteFaults {
	f.mu.Lock()
	defer f.mu.Unlock()
	if rf, ok := f.faults.Routes[pattern]; ok {
		return rf
	}
	return f.faults.Routes["*"]
}

// roll reports whether an event of probability rate happens. Rates of 0 and
// 1 do not consume randomness, so enabling one fault does not shift others.
func (f *faultInjector) roll(rate float64) bool {
	switch {
	case rate <= 0:
		return false
	case rate >= 1:
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.Float64() < rate
}

func (f *faultInjector) duplicateWebhook() bool {
	return f.roll(f.rates().WebhookDuplicateRate)
}

func (f *faultInjector) reorderWebhooks() bool {
	return f.roll(f.rates().WebhookReorderRate)
}

func (f *faultInjector) rates() Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Faults{WebhookDuplicateRate: f.faults.WebhookDuplicateRate, WebhookReorderRate: f.faults.WebhookReorderRate}
}
