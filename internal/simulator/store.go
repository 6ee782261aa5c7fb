package simulator

import (
	"sort"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// The store holds every object. It is guarded by Simulator.mu. Wire structs
// are embedded so rendering is a shallow copy; to keep that safe, pointer,
// slice and map fields of stored objects are always replaced, never mutated
// in place, so a rendered copy can be marshalled after the lock is released.

type customer struct {
	id        string
	email     string
	name      string
	phone     *string
	createdAt time.Time
	// declineCode comes from the +decline_<code> email convention; cards
	// saved while it is set decline real charges. A good card added through
	// an update-payment-method link clears it.
	declineCode    string
	paymentMethods []string
	subscriptions  []*subscription
	payments       []*payment
}

type paymentMethod struct {
	id                  string
	customerID          string
	card                TestCard
	customerDeclineCode string
	createdAt           time.Time
	lastUsedAt          *time.Time
}

type paymentKind string

const (
	paymentKindMandate    paymentKind = "mandate"
	paymentKindRenewal    paymentKind = "renewal"
	paymentKindCharge     paymentKind = "charge"
	paymentKindPlanChange paymentKind = "plan_change"
	paymentKindDues       paymentKind = "dues"
)

type payment struct {
	dodo.Payment
	kind         paymentKind
	subscription *subscription
	customer     *customer
	method       *paymentMethod
	// duesFor lists the failed payments a dues payment settles.
	duesFor []*payment
	// paidBy is the dues payment that settled this failed payment.
	paidBy string
	// plan is the change a plan-change payment pays for.
	plan *planChange
	// listed is what a lagging list shows (Pessimism.ListLag).
	listed listHistory[dodo.Payment]
}

// planChange is a product/quantity switch waiting to be applied.
type planChange struct {
	product  Product
	quantity int
	// onFailure decides what a failed plan-change payment does.
	onFailure dodo.OnPaymentFailure
	// applied is true when the plan was switched before the payment settled.
	applied    bool
	resetCycle bool
	credit     int64
}

type subscription struct {
	dodo.Subscription
	customer *customer
	product  Product
	inTrial  bool
	// termStart is when the term (subscription_period) began: activation,
	// moved forward by pauses.
	termStart time.Time
	// credit is the subscription-scoped credit from downgrades, used by renewals.
	credit int64
	// dues are failed, unpaid payments since the subscription was last active.
	dues      []*payment
	scheduled *planChange
	payments  []*payment
	// listed is what a lagging list shows (Pessimism.ListLag).
	listed listHistory[dodo.Subscription]
}

type checkoutKind string

const (
	checkoutMandate   checkoutKind = "mandate"
	checkoutNewMethod checkoutKind = "new_payment_method"
)

type checkoutStatus string

const (
	checkoutOpen      checkoutStatus = "open"
	checkoutCompleted checkoutStatus = "completed"
	checkoutExpired   checkoutStatus = "expired"
)

type checkout struct {
	id           string
	kind         checkoutKind
	status       checkoutStatus
	subscription *subscription
	// payment is charged on completion: the first payment of a mandate, or
	// the dues payment of an on_hold subscription.
	payment   *payment
	createdAt time.Time
	expiresAt time.Time
	returnURL *string
}

// store keeps objects by ID plus creation-ordered slices for lists.
type store struct {
	customers       map[string]*customer
	customerByEmail map[string]*customer
	methods         map[string]*paymentMethod
	subscriptions   map[string]*subscription
	payments        map[string]*payment
	checkouts       map[string]*checkout
	subsOrdered     []*subscription
	paymentsOrdered []*payment
	customersOrder  []*customer
}

func newStore() *store {
	return &store{
		customers:       map[string]*customer{},
		customerByEmail: map[string]*customer{},
		methods:         map[string]*paymentMethod{},
		subscriptions:   map[string]*subscription{},
		payments:        map[string]*payment{},
		checkouts:       map[string]*checkout{},
	}
}

// insertOrdered inserts item keeping the slice sorted by (created_at, id):
// the documented list order. Items normally arrive in order, so this is an
// append; only a clock moved backwards makes it shift.
func insertOrdered[T any](items []T, item T, key func(T) (time.Time, string)) []T {
	at, id := key(item)
	n := len(items)
	if n == 0 || !lessKey(at, id, items[n-1], key) {
		return append(items, item)
	}
	i := sort.Search(n, func(i int) bool { return lessKey(at, id, items[i], key) })
	items = append(items, item)
	copy(items[i+1:], items[i:])
	items[i] = item
	return items
}

// lessKey reports whether (at, id) sorts before other.
func lessKey[T any](at time.Time, id string, other T, key func(T) (time.Time, string)) bool {
	otherAt, otherID := key(other)
	if !at.Equal(otherAt) {
		return at.Before(otherAt)
	}
	return id < otherID
}

func subscriptionKey(s *subscription) (time.Time, string) { return s.CreatedAt, s.SubscriptionID }

func paymentKey(p *payment) (time.Time, string) { return p.CreatedAt, p.PaymentID }

func (st *store) addSubscription(sub *subscription) {
	st.subscriptions[sub.SubscriptionID] = sub
	st.subsOrdered = insertOrdered(st.subsOrdered, sub, subscriptionKey)
	sub.customer.subscriptions = insertOrdered(sub.customer.subscriptions, sub, subscriptionKey)
}

func (st *store) addPayment(p *payment) {
	st.payments[p.PaymentID] = p
	st.paymentsOrdered = insertOrdered(st.paymentsOrdered, p, paymentKey)
	p.customer.payments = insertOrdered(p.customer.payments, p, paymentKey)
	if p.subscription != nil {
		p.subscription.payments = insertOrdered(p.subscription.payments, p, paymentKey)
	}
}

// hasOpenPayment reports whether a payment of the subscription is not yet
// terminal (processing or waiting for its checkout).
func (sub *subscription) hasOpenPayment() bool {
	for i := len(sub.payments) - 1; i >= 0; i-- {
		if !sub.payments[i].StatusOrEmpty().IsTerminal() {
			return true
		}
	}
	return false
}
