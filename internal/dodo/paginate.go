package dodo

import (
	"context"
	"errors"
	"fmt"
)

const (
	// maxPageSize is Dodo's documented page-size maximum.
	maxPageSize = 100
	// MaxListPages caps ListAll* calls (100,000 items at full pages) so a
	// server that never returns a short page cannot loop forever.
	MaxListPages = 1000
)

// ErrTooManyPages is returned (with the items read so far) when a ListAll*
// call reaches MaxListPages.
var ErrTooManyPages = errors.New("dodo: list reached the page cap")

// clampPageSize keeps the size within Dodo's limit: asking for more than the
// server returns would make a full page look short and end paging early.
func clampPageSize(size int) int {
	if size <= 0 || size > maxPageSize {
		return maxPageSize
	}
	return size
}

// collectPages reads pages 0,1,2... until a short page, dropping items seen
// on an earlier page (the sort order is undocumented, so items can shift).
func collectPages[T any](ctx context.Context, pageSize, maxPages int,
	fetch func(ctx context.Context, page int) ([]T, error), key func(T) string,
) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	for page := range maxPages {
		items, err := fetch(ctx, page)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", page, err)
		}
		for _, item := range items {
			if id := key(item); !seen[id] {
				seen[id] = true
				all = append(all, item)
			}
		}
		if len(items) < pageSize {
			return all, nil
		}
	}
	return all, fmt.Errorf("%w (%d pages)", ErrTooManyPages, maxPages)
}

// ListAllSubscriptions reads every page matching params (PageNumber is
// ignored; paging starts at 0, PageSize defaults to 100).
func (c *Client) ListAllSubscriptions(ctx context.Context, params ListSubscriptionsParams) ([]SubscriptionListItem, error) {
	params.PageSize = clampPageSize(params.PageSize)
	fetch := func(ctx context.Context, page int) ([]SubscriptionListItem, error) {
		params.PageNumber = &page
		return c.ListSubscriptions(ctx, params)
	}
	key := func(item SubscriptionListItem) string { return item.SubscriptionID }
	return collectPages(ctx, params.PageSize, c.maxPages, fetch, key)
}

// ListAllPayments reads every page matching params (PageNumber is ignored;
// paging starts at 0, PageSize defaults to 100).
func (c *Client) ListAllPayments(ctx context.Context, params ListPaymentsParams) ([]PaymentListItem, error) {
	params.PageSize = clampPageSize(params.PageSize)
	fetch := func(ctx context.Context, page int) ([]PaymentListItem, error) {
		params.PageNumber = &page
		return c.ListPayments(ctx, params)
	}
	key := func(item PaymentListItem) string { return item.PaymentID }
	return collectPages(ctx, params.PageSize, c.maxPages, fetch, key)
}
