package bulkobserve

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// pageSize is Dodo's page-size maximum.
const pageSize = 100

// maxPagesPerWindow stops a window that never returns a short page.
const maxPagesPerWindow = dodo.MaxListPages

// window is a created_at range, both ends inclusive; nil is open. Adjacent windows share
// their boundary (an item on it is read twice and kept once), so none is missed whatever
// the server's time precision.
type window struct {
	gte, lte *time.Time
}

// planWindows splits the created_at values of the previous scan (sorted) into windows of
// at most perWindow items. The first window is open below, the last open above, so
// subscriptions created since (or never seen) fall into one.
func planWindows(created []time.Time, perWindow int) []window {
	var bounds []time.Time
	for i := perWindow; i < len(created); i += perWindow {
		if b := created[i]; len(bounds) == 0 || b.After(bounds[len(bounds)-1]) {
			bounds = append(bounds, b)
		}
	}
	windows := make([]window, 0, len(bounds)+1)
	var lo *time.Time
	for i := range bounds {
		hi := bounds[i]
		windows = append(windows, window{gte: lo, lte: &hi})
		lo = &hi
	}
	return append(windows, window{gte: lo})
}

// read reads every window, page by page until a short page.
func (o *Observer) read(ctx context.Context, start time.Time, windows []window) (*scan, int, error) {
	s := &scan{at: start, items: map[string]dodo.SubscriptionListItem{}}
	pages := 0
	for _, w := range windows {
		n, err := o.readWindow(ctx, w, s.items)
		pages += n
		if err != nil {
			return nil, pages, err
		}
	}
	s.created = make([]time.Time, 0, len(s.items))
	for _, item := range s.items {
		s.created = append(s.created, item.CreatedAt)
	}
	slices.SortFunc(s.created, func(a, b time.Time) int { return a.Compare(b) })
	return s, pages, nil
}

func (o *Observer) readWindow(ctx context.Context, w window, into map[string]dodo.SubscriptionListItem) (int, error) {
	for page := range maxPagesPerWindow {
		items, err := o.lister.ListSubscriptions(ctx, dodo.ListSubscriptionsParams{
			CreatedAtGTE: w.gte, CreatedAtLTE: w.lte, PageNumber: &page, PageSize: pageSize})
		if err != nil {
			return page + 1, fmt.Errorf("listing subscriptions (page %d): %w", page, err)
		}
		for _, item := range items {
			into[item.SubscriptionID] = item
		}
		if len(items) < pageSize {
			return page + 1, nil
		}
	}
	return maxPagesPerWindow, dodo.ErrTooManyPages
}
