package simulator

import (
	"fmt"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// prorationInput describes a plan change at Now inside the billing period
// [PeriodStart, PeriodEnd). Cycle costs are unit price × quantity.
type prorationInput struct {
	Mode         dodo.ProrationBillingMode
	OldCycleCost int64
	NewCycleCost int64
	PeriodStart  time.Time
	PeriodEnd    time.Time
	Now          time.Time
	InTrial      bool
}

// prorationResult is what a plan change bills: Charge now, Credit kept for
// the subscription's future renewals, and whether the billing cycle restarts
// at Now.
type prorationResult struct {
	Charge     int64
	Credit     int64
	ResetCycle bool
}

// prorate applies the four documented proration modes (docs/dodo-api.md §3.3):
//
//   - prorated_immediately: (new − old) × remaining fraction; a negative
//     result becomes credit. Worked example: $30 → $80 with half the period
//     left charges $25.
//   - full_immediately: the full new cycle cost; the cycle restarts now.
//   - difference_immediately: new − old on upgrade, old − new as credit on downgrade.
//   - do_not_bill: nothing.
//
// The docs disagree on whether prorated/difference reset the cycle (8.5);
// the simulator keeps the cycle. During a trial every billing mode ends the
// trial, charges the full new cost and restarts the cycle (documented for
// prorated_immediately, applied to all three for simplicity).
func prorate(in prorationInput) (prorationResult, error) {
	if in.Mode != dodo.ProrationDoNotBill && in.InTrial {
		return prorationResult{Charge: in.NewCycleCost, ResetCycle: true}, nil
	}
	switch in.Mode {
	case dodo.ProrationProratedImmediately:
		fraction := remainingFraction(in.PeriodStart, in.PeriodEnd, in.Now)
		return splitDifference(roundMinor(float64(in.NewCycleCost-in.OldCycleCost) * fraction)), nil
	case dodo.ProrationFullImmediately:
		return prorationResult{Charge: in.NewCycleCost, ResetCycle: true}, nil
	case dodo.ProrationDifferenceImmediately:
		return splitDifference(in.NewCycleCost - in.OldCycleCost), nil
	case dodo.ProrationDoNotBill:
		return prorationResult{}, nil
	default:
		return prorationResult{}, fmt.Errorf("unknown proration_billing_mode %q", in.Mode)
	}
}

func splitDifference(diff int64) prorationResult {
	if diff >= 0 {
		return prorationResult{Charge: diff}
	}
	return prorationResult{Credit: -diff}
}

// applyCredit takes as much of credit as amount allows and returns the
// amount left to charge and the credit left over.
func applyCredit(amount, credit int64) (charge, remaining int64) {
	used := min(amount, credit)
	return amount - used, credit - used
}
