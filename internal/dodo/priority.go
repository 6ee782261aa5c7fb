package dodo

import (
	"context"
	"net/http"
)

// Priority is the class a call is served in when the per-key budget is short: Dodo allows
// 100 requests per minute per API key, so a call that moves money or that a person waits
// for must not queue behind the bulk reads that only keep status fresh.
type Priority int

// Priority classes, most urgent first.
const (
	// PriorityCritical: calls that move money (create, charge, change-plan,
	// update-payment-method, cancel) and the lookups that resolve an unknown outcome.
	// Every write is critical whatever the context says.
	PriorityCritical Priority = iota
	// PriorityInteractive: the first read of a new object, a refresh a user asked for,
	// a read after a spec change. The default for a read without a class.
	PriorityInteractive
	// PriorityBackground: resync and bulk observation; capped at a share of the budget.
	PriorityBackground
	numPriorities
)

// String is the metrics label of the class.
func (p Priority) String() string {
	switch p {
	case PriorityCritical:
		return "critical"
	case PriorityInteractive:
		return "interactive"
	case PriorityBackground:
		return "background"
	}
	return "unknown"
}

type priorityKey struct{}

// WithPriority returns a context whose Dodo calls are served in class p.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the class set by WithPriority, if any.
func PriorityFrom(ctx context.Context) (Priority, bool) {
	p, ok := ctx.Value(priorityKey{}).(Priority)
	return p, ok && p >= PriorityCritical && p < numPriorities
}

// classOf is the class a call is served in. A write is always critical: no caller can
// demote a call that may move money behind background reads.
func classOf(ctx context.Context, method string) Priority {
	if method != http.MethodGet {
		return PriorityCritical
	}
	if p, ok := PriorityFrom(ctx); ok {
		return p
	}
	return PriorityInteractive
}
