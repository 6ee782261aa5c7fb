package harness

import (
	"net/http"
	"strings"
	"sync"

	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

// CallKey is one kind of payments API call: its route pattern (a simulator.Route*
// constant) and the HTTP status answered (0 when the connection was dropped unanswered).
type CallKey struct {
	Route  string
	Status int
}

// CallCounts counts payments API calls by route and status.
type CallCounts map[CallKey]int

// Total is the number of calls.
func (c CallCounts) Total() int { return c.sum(func(CallKey) bool { return true }) }

// Route counts the calls of one route, whatever their status.
func (c CallCounts) Route(route string) int {
	return c.sum(func(k CallKey) bool { return k.Route == route })
}

// Status counts the calls answered with status.
func (c CallCounts) Status(status int) int {
	return c.sum(func(k CallKey) bool { return k.Status == status })
}

func (c CallCounts) sum(keep func(CallKey) bool) int {
	n := 0
	for k, v := range c {
		if keep(k) {
			n += v
		}
	}
	return n
}

// Kinds splits the calls into subscription creates, reads (GET) and other writes.
func (c CallCounts) Kinds() (creates, reads, writes int) {
	for k, v := range c {
		switch {
		case k.Route == simulator.RouteCreateSubscription:
			creates += v
		case strings.HasPrefix(k.Route, http.MethodGet+" "):
			reads += v
		default:
			writes += v
		}
	}
	return creates, reads, writes
}

// Sub returns c minus before (calls made since before was taken).
func (c CallCounts) Sub(before CallCounts) CallCounts {
	out := CallCounts{}
	for k, v := range c {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// WriteRoutes are the routes that change something in the payments API.
var WriteRoutes = []string{
	simulator.RouteCreateSubscription, simulator.RoutePatchSubscription, simulator.RouteChangePlan,
	simulator.RouteCharge, simulator.RouteUpdatePaymentMethod,
}

// routesByShape maps "METHOD /path" with the ID segment replaced by {} to the route.
var routesByShape = map[string]string{
	"POST /subscriptions":                          simulator.RouteCreateSubscription,
	"GET /subscriptions":                           simulator.RouteListSubscriptions,
	"GET /subscriptions/{}":                        simulator.RouteGetSubscription,
	"PATCH /subscriptions/{}":                      simulator.RoutePatchSubscription,
	"POST /subscriptions/{}/change-plan":           simulator.RouteChangePlan,
	"POST /subscriptions/{}/charge":                simulator.RouteCharge,
	"POST /subscriptions/{}/update-payment-method": simulator.RouteUpdatePaymentMethod,
	"GET /payments":                                simulator.RouteListPayments,
	"GET /payments/{}":                             simulator.RouteGetPayment,
	"GET /customers/{}/payment-methods":            simulator.RouteListPaymentMethods,
	"GET /brands":                                  simulator.RouteListBrands,
	"POST /webhooks":                               simulator.RouteCreateWebhook,
	"GET /webhooks":                                simulator.RouteListWebhooks,
	"GET /webhooks/{}/secret":                      simulator.RouteGetWebhookSecret,
	"DELETE /webhooks/{}":                          simulator.RouteDeleteWebhook,
}

// RouteOf maps a request to the simulator's route pattern; "" for anything that is not a
// payments API route (the /_simulator/ admin routes included).
func RouteOf(method, path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) >= 2 {
		parts[1] = "{}"
	}
	return routesByShape[method+" /"+strings.Join(parts, "/")]
}

// CallCounter is HTTP middleware that counts payments API calls.
type CallCounter struct {
	mu     sync.Mutex
	counts CallCounts
}

// NewCallCounter returns an empty counter.
func NewCallCounter() *CallCounter { return &CallCounter{counts: CallCounts{}} }

// Snapshot returns a copy of the counts so far.
func (c *CallCounter) Snapshot() CallCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(CallCounts, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// Wrap counts the calls that next serves.
func (c *CallCounter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := RouteOf(r.Method, r.URL.Path)
		if route == "" {
			next.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		// Counted even when the handler aborts the connection (a dropped response).
		defer func() {
			c.mu.Lock()
			c.counts[CallKey{Route: route, Status: rec.status}]++
			c.mu.Unlock()
		}()
		next.ServeHTTP(rec, r)
	})
}

// statusRecorder remembers the status; Unwrap lets http.ResponseController reach the
// connection (the simulator hijacks it to drop a response).
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
