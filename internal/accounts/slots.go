package accounts

import (
	"sync"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// DefaultSlotsPerAccount is how many reconciles may work on one saturated account at once
// when Clients.SlotsPerAccount is zero.
const DefaultSlotsPerAccount = 2

// slots counts the reconciles working on each account's client.
type slots struct {
	mu     sync.Mutex
	inside map[*dodo.Client]int
}

// Enter admits a reconcile that is about to call Dodo with api. While the account's
// budget has calls waiting, at most SlotsPerAccount reconciles work on it: the others are
// turned away (ok=false) to come back later instead of holding a controller worker while
// they wait, so that a saturated account cannot take every worker from the other
// accounts. An account whose calls do not wait admits everyone. release must be called
// once when admitted.
func (c *Clients) Enter(api *dodo.Client) (release func(), ok bool) {
	if api == nil {
		return func() {}, true
	}
	limit := c.SlotsPerAccount
	if limit <= 0 {
		limit = DefaultSlotsPerAccount
	}
	c.slots.mu.Lock()
	defer c.slots.mu.Unlock()
	if c.slots.inside == nil {
		c.slots.inside = map[*dodo.Client]int{}
	}
	if !admits(c.slots.inside[api], limit, api.Saturated()) {
		return nil, false
	}
	c.slots.inside[api]++
	return func() {
		c.slots.mu.Lock()
		defer c.slots.mu.Unlock()
		if c.slots.inside[api]--; c.slots.inside[api] <= 0 {
			delete(c.slots.inside, api)
		}
	}, true
}

// admits is the rule of Enter: a saturated account takes at most limit reconciles.
func admits(inside, limit int, saturated bool) bool {
	return inside < limit || !saturated
}
