package simulator

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Lists are sorted by created_at ascending, then by ID (Dodo does not
// document an order; this is the simulator's stable one). IDs carry a
// creation counter, so equal timestamps keep creation order.
// Pessimism may make lists lag behind writes (list_lag.go) and cap the
// page number of payment lists.

const (
	defaultPageSize = 10
	maxPageSize     = 100
)

type pageParams struct {
	number int
	size   int
}

type createdRange struct {
	gte *time.Time
	lte *time.Time
}

func parsePage(q url.Values) (pageParams, error) {
	page := pageParams{size: defaultPageSize}
	if v := q.Get("page_number"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return pageParams{}, unprocessable(codeInvalidQueryParams, "page_number must be a non-negative integer")
		}
		page.number = n
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return pageParams{}, unprocessable(codeInvalidQueryParams, "page_size must be within 1..%d", maxPageSize)
		}
		page.size = n
	}
	return page, nil
}

func parseCreatedRange(q url.Values) (createdRange, error) {
	var out createdRange
	for name, dst := range map[string]**time.Time{"created_at_gte": &out.gte, "created_at_lte": &out.lte} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return createdRange{}, unprocessable(codeInvalidQueryParams, "%s must be an RFC 3339 date-time", name)
		}
		*dst = &t
	}
	return out, nil
}

func parseBoolParam(q url.Values, name string) (*bool, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, unprocessable(codeInvalidQueryParams, "%s must be true or false", name)
	}
	return &b, nil
}

// window narrows a creation-ordered slice to the created_at range by binary search.
func window[T any](items []T, created func(T) time.Time, r createdRange) []T {
	lo, hi := 0, len(items)
	if r.gte != nil {
		lo = sort.Search(len(items), func(i int) bool { return !created(items[i]).Before(*r.gte) })
	}
	if r.lte != nil {
		hi = sort.Search(len(items), func(i int) bool { return created(items[i]).After(*r.lte) })
	}
	if lo >= hi {
		return nil
	}
	return items[lo:hi]
}

// parseListQuery reads the paging and created_at range parameters every
// list endpoint takes.
func parseListQuery(q url.Values) (pageParams, createdRange, error) {
	page, err := parsePage(q)
	if err != nil {
		return pageParams{}, createdRange{}, err
	}
	created, err := parseCreatedRange(q)
	return page, created, err
}

// paginate renders the page-th page of the items kept by keep.
func paginate[T, R any](items []T, keep func(T) bool, page pageParams, render func(T) R) []R {
	skip := page.number * page.size
	out := make([]R, 0, min(page.size, len(items)))
	for _, item := range items {
		if !keep(item) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, render(item))
		if len(out) == page.size {
			break
		}
	}
	return out
}

func (s *Simulator) httpListSubscriptions(r *http.Request) (any, error) {
	q := r.URL.Query()
	page, created, err := parseListQuery(q)
	if err != nil {
		return nil, err
	}
	cancelAtNext, err := parseBoolParam(q, "cancel_at_next_billing_date")
	if err != nil {
		return nil, err
	}
	status := dodo.SubscriptionStatus(q.Get("status"))
	if status != "" && !knownSubscriptionStatus(status) {
		return nil, unprocessable(codeInvalidQueryParams, "unknown status %q", status)
	}
	productID, brandID := q.Get("product_id"), q.Get("brand_id")
	s.catchUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	cutoff := s.listCutoffLocked()
	keep := func(sub *subscription) bool {
		w := s.listedSubscriptionLocked(sub, cutoff) // nil: not listed yet
		return w != nil && (status == "" || w.Status == status) &&
			(productID == "" || w.ProductID == productID) &&
			(brandID == "" || w.BrandID == brandID) &&
			(cancelAtNext == nil || w.CancelAtNextBillingDate == *cancelAtNext)
	}
	render := func(sub *subscription) dodo.SubscriptionListItem {
		return s.renderSubscriptionItemLocked(*s.listedSubscriptionLocked(sub, cutoff), sub.customer)
	}
	source := s.st.subsOrdered
	if customerID := q.Get("customer_id"); customerID != "" {
		source = nil
		if cust := s.st.customers[customerID]; cust != nil {
			source = cust.subscriptions
		}
	}
	source = window(source, func(sub *subscription) time.Time { return sub.CreatedAt }, created)
	return dodo.SubscriptionList{Items: paginate(source, keep, page, render)}, nil
}

func knownSubscriptionStatus(status dodo.SubscriptionStatus) bool {
	switch status {
	case dodo.SubscriptionStatusPending, dodo.SubscriptionStatusActive, dodo.SubscriptionStatusOnHold,
		dodo.SubscriptionStatusPaused, dodo.SubscriptionStatusCancelled, dodo.SubscriptionStatusFailed,
		dodo.SubscriptionStatusExpired:
		return true
	}
	return false
}

func (s *Simulator) httpListPayments(r *http.Request) (any, error) {
	q := r.URL.Query()
	page, created, err := parseListQuery(q)
	if err != nil {
		return nil, err
	}
	if past, refusal := s.cfg.Pessimism.pastPaymentPageCap(page); past {
		if refusal != nil {
			return nil, refusal
		}
		return dodo.PaymentList{Items: []dodo.PaymentListItem{}}, nil
	}
	status, currency := dodo.PaymentStatus(q.Get("status")), q.Get("currency")
	productID, brandID := q.Get("product_id"), q.Get("brand_id")
	s.catchUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	cutoff := s.listCutoffLocked()
	keep := func(p *payment) bool {
		w := s.listedPaymentLocked(p, cutoff) // nil: not listed yet
		return w != nil && (status == "" || w.StatusOrEmpty() == status) &&
			(currency == "" || w.Currency == currency) &&
			(brandID == "" || w.BrandID == brandID) &&
			(productID == "" || (len(w.ProductCart) > 0 && w.ProductCart[0].ProductID == productID))
	}
	render := func(p *payment) dodo.PaymentListItem {
		return s.renderPaymentItemLocked(*s.listedPaymentLocked(p, cutoff), p.customer)
	}
	source := s.paymentSourceLocked(q.Get("subscription_id"), q.Get("customer_id"))
	source = window(source, func(p *payment) time.Time { return p.CreatedAt }, created)
	return dodo.PaymentList{Items: paginate(source, keep, page, render)}, nil
}

// paymentSourceLocked picks the narrowest index for the filters, so a
// per-subscription list does not scan every payment.
func (s *Simulator) paymentSourceLocked(subscriptionID, customerID string) []*payment {
	switch {
	case subscriptionID != "":
		sub := s.st.subscriptions[subscriptionID]
		if sub == nil || (customerID != "" && sub.customer.id != customerID) {
			return nil
		}
		return sub.payments
	case customerID != "":
		if cust := s.st.customers[customerID]; cust != nil {
			return cust.payments
		}
		return nil
	default:
		return s.st.paymentsOrdered
	}
}
