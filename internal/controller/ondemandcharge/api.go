package ondemandcharge

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// PaymentsAPI is what the controller needs of Dodo: *dodo.Client, or a fake in tests.
// Charge and UpdatePaymentMethod move money; they are called at most once per attempt.
type PaymentsAPI interface {
	Charge(ctx context.Context, subscriptionID string, req dodo.ChargeRequest) (*dodo.ChargeResponse, error)
	UpdatePaymentMethod(ctx context.Context, subscriptionID string,
		req dodo.UpdatePaymentMethodRequest) (*dodo.UpdatePaymentMethodResponse, error)
	GetPayment(ctx context.Context, paymentID string) (*dodo.Payment, error)
	ListAllPayments(ctx context.Context, params dodo.ListPaymentsParams) ([]dodo.PaymentListItem, error)
}

// capacity caps attempts in flight, per customer and in all, so that many charges falling
// due together never reach the card networks as a burst. Reservations are process-local;
// attempts in flight that an earlier process started are counted from the cache by the
// caller (seed).
type capacity struct {
	mu          sync.Mutex
	perCustomer int
	total       int
	inFlight    map[types.NamespacedName]string // charge -> customer
}

func newCapacity(perCustomer, total int) *capacity {
	return &capacity{perCustomer: perCustomer, total: total, inFlight: map[types.NamespacedName]string{}}
}

// tryAcquire reserves a slot for the charge. others are attempts in flight that this
// process did not reserve (for example started before a restart), charge -> customer.
func (c *capacity) tryAcquire(charge types.NamespacedName, customer string, others map[types.NamespacedName]string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.inFlight[charge]; ok {
		return true
	}
	all := map[types.NamespacedName]string{}
	for k, v := range others {
		all[k] = v
	}
	for k, v := range c.inFlight {
		all[k] = v
	}
	sameCustomer := 0
	for _, cust := range all {
		if cust == customer {
			sameCustomer++
		}
	}
	if len(all) >= c.total || sameCustomer >= c.perCustomer {
		return false
	}
	c.inFlight[charge] = customer
	return true
}

func (c *capacity) release(charge types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.inFlight, charge)
}
