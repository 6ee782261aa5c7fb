package simulator

import (
	"math/rand/v2"
)

// ID prefixes; Dodo's examples use the same ones (docs/dodo-api.md §1).
const (
	prefixSubscription  = "sub_"
	prefixPayment       = "pay_"
	prefixCustomer      = "cus_"
	prefixPaymentMethod = "pm_"
	prefixCheckout      = "cks_"
	prefixScheduled     = "sch_"
	prefixWebhookMsg    = "msg_"
)

// base62 in ASCII order, so fixed-width encodings sort like the numbers.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const (
	idCounterWidth = 6
	idRandomWidth  = 15
)

// idGenerator makes IDs "<prefix><6-char counter><15 random chars>". The
// counter keeps IDs created at the same simulated instant in creation order
// (lists sort by created_at, then id); the random part comes from a seeded
// RNG so a run is reproducible. Not safe for concurrent use: the simulator
// calls it under its state lock.
type idGenerator struct {
	counter uint64
	rng     *rand.Rand
}

func newIDGenerator(seed uint64) *idGenerator {
	return &idGenerator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *idGenerator) next(prefix string) string {
	g.counter++
	buf := make([]byte, 0, len(prefix)+idCounterWidth+idRandomWidth)
	buf = append(buf, prefix...)
	buf = appendFixedBase62(buf, g.counter, idCounterWidth)
	for range idRandomWidth {
		buf = append(buf, base62[g.rng.IntN(len(base62))])
	}
	return string(buf)
}

// appendFixedBase62 appends n in exactly width base62 digits (wrapping past
// 62^width, which is 56 billion IDs).
func appendFixedBase62(buf []byte, n uint64, width int) []byte {
	digits := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		digits[i] = base62[n%62]
		n /= 62
	}
	return append(buf, digits...)
}
