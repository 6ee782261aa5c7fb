package simulator

import (
	"errors"
	"fmt"
	"time"
)

// Defaults that FullPessimism and Pessimistic use.
const (
	// DefaultPessimisticListLag is long enough that a reconcile which lists
	// right after its own write misses it, and short enough for real-time tests.
	DefaultPessimisticListLag = 2 * time.Second
	// DefaultPessimisticPaymentListPageCap serves pages 0..2 only, so an
	// unbounded scan of a few dozen payments already meets the cap.
	DefaultPessimisticPaymentListPageCap = 2
)

// PastCapAnswer is what GET /payments answers for a page_number above
// Pessimism.PaymentListPageCap.
type PastCapAnswer string

const (
	// PastCapEmptyPage answers {"items": []}: the silent answer, which an
	// auto-pager takes for the end of the list (the zero value).
	PastCapEmptyPage PastCapAnswer = "empty_page"
	// PastCapError answers 422 INVALID_QUERY_PARAMS.
	PastCapError PastCapAnswer = "error"
)

// Pessimism turns off conveniences the simulator offers where Dodo's docs
// promise nothing, so tests meet what production may do (docs/reliability.md,
// "Pessimistic mode"). The zero value is the friendly simulator; every field
// is an independent switch; FullPessimism turns them all on.
type Pessimism struct {
	// ListLag makes GET /subscriptions and GET /payments eventually
	// consistent: a list shows an object only once ListLag has passed on the
	// business clock since it was created, and shows it as it was ListLag
	// ago (filters apply to that copy). GET by ID stays read-your-writes. The
	// business clock follows real time unless Config.Clock is a fake, so a
	// lag also passes in real-time tests; with a fake clock, Advance (or
	// stepping the fake) makes it pass. 0 = lists are current.
	ListLag time.Duration
	// PaymentListPageCap is the highest page_number GET /payments serves;
	// Dodo caps page_number to bound OFFSET scans without publishing the
	// value. Pages above it get PaymentListPastCap. Queries bounded by
	// created_at_gte/created_at_lte keep working below the cap. 0 = no cap.
	PaymentListPageCap int
	// PaymentListPastCap is the answer past the cap; empty means
	// PastCapEmptyPage.
	PaymentListPastCap PastCapAnswer
	// DuesDespiteOpenPayment lets update-payment-method on an on_hold
	// subscription create a dues payment while another payment of it is
	// still open: a second call charges the dues a second time. Dodo
	// documents PREVIOUS_PAYMENT_PENDING for new charges only.
	DuesDespiteOpenPayment bool
	// PaymentsWithoutSubscriptionMetadata gives mandate, renewal and dues
	// payments empty metadata instead of a copy of the subscription's (Dodo
	// does not document the copy). Charge and plan-change payments keep the
	// request's metadata, or the subscription's when the request has none,
	// as Dodo documents for those two requests.
	PaymentsWithoutSubscriptionMetadata bool
}

// FullPessimism returns every switch on, with the default lag and cap.
func FullPessimism() Pessimism {
	return Pessimism{
		ListLag:                             DefaultPessimisticListLag,
		PaymentListPageCap:                  DefaultPessimisticPaymentListPageCap,
		PaymentListPastCap:                  PastCapEmptyPage,
		DuesDespiteOpenPayment:              true,
		PaymentsWithoutSubscriptionMetadata: true,
	}
}

// Pessimistic returns cfg with every pessimistic switch on. Values already
// set (a longer ListLag, another cap or past-cap answer) are kept; to turn
// one switch back off, clear its field in the result.
func Pessimistic(cfg Config) Config {
	all, p := FullPessimism(), &cfg.Pessimism
	if p.ListLag == 0 {
		p.ListLag = all.ListLag
	}
	if p.PaymentListPageCap == 0 {
		p.PaymentListPageCap = all.PaymentListPageCap
	}
	if p.PaymentListPastCap == "" {
		p.PaymentListPastCap = all.PaymentListPastCap
	}
	p.DuesDespiteOpenPayment = true
	p.PaymentsWithoutSubscriptionMetadata = true
	return cfg
}

// Enabled reports whether any switch is on.
func (p Pessimism) Enabled() bool { return p != Pessimism{} }

func (p Pessimism) validate() error {
	var errs []error
	if p.ListLag < 0 {
		errs = append(errs, errors.New("pessimism: list lag must not be negative"))
	}
	if p.PaymentListPageCap < 0 {
		errs = append(errs, errors.New("pessimism: payment list page cap must not be negative"))
	}
	switch p.PaymentListPastCap {
	case "", PastCapEmptyPage, PastCapError:
	default:
		errs = append(errs, fmt.Errorf("pessimism: unknown past-cap answer %q (want %q or %q)",
			p.PaymentListPastCap, PastCapEmptyPage, PastCapError))
	}
	return errors.Join(errs...)
}

// pastPaymentPageCap reports whether page is above the cap, and the error
// to answer when the cap refuses rather than answering an empty page.
func (p Pessimism) pastPaymentPageCap(page pageParams) (bool, error) {
	if p.PaymentListPageCap <= 0 || page.number <= p.PaymentListPageCap {
		return false, nil
	}
	if p.PaymentListPastCap == PastCapError {
		return true, unprocessable(codeInvalidQueryParams,
			"page_number %d is past the cap of %d; narrow the query with created_at_gte/created_at_lte",
			page.number, p.PaymentListPageCap)
	}
	return true, nil
}
