package simulator

import (
	"fmt"
	"math"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// addInterval returns t moved forward by count intervals. Months and years
// clamp to the last day of the target month (Jan 31 + 1 Month = Feb 28/29),
// unlike time.AddDate, which would spill into March.
func addInterval(t time.Time, interval dodo.TimeInterval, count int) (time.Time, error) {
	switch interval {
	case dodo.IntervalDay:
		return t.AddDate(0, 0, count), nil
	case dodo.IntervalWeek:
		return t.AddDate(0, 0, 7*count), nil
	case dodo.IntervalMonth:
		return addMonthsClamped(t, count), nil
	case dodo.IntervalYear:
		return addMonthsClamped(t, 12*count), nil
	default:
		return time.Time{}, fmt.Errorf("unknown interval %q", interval)
	}
}

func addMonthsClamped(t time.Time, months int) time.Time {
	year, month, day := t.Date()
	first := time.Date(year, month+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	lastDay := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(day, lastDay)-1)
}

// validInterval reports whether interval is one of the four documented units.
func validInterval(interval dodo.TimeInterval) bool {
	_, err := addInterval(time.Time{}, interval, 1)
	return err == nil
}

// remainingFraction is the share of the period [start, end) still ahead of
// now, clamped to [0, 1]. A zero-length period counts as fully used.
func remainingFraction(start, end, now time.Time) float64 {
	period := end.Sub(start)
	if period <= 0 {
		return 0
	}
	left := end.Sub(now)
	switch {
	case left <= 0:
		return 0
	case left >= period:
		return 1
	}
	return left.Seconds() / period.Seconds()
}

// roundMinor rounds an amount in minor units half away from zero.
func roundMinor(amount float64) int64 {
	return int64(math.Round(amount))
}
