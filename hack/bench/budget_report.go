package main

import (
	"context"
	"fmt"
	"io"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// budgetConditions counts conditions of Subscriptions and charges that mention a rate
// limit, and the ResyncBehind Events.
func budgetConditions(ctx context.Context, b *bench) (int, int, error) {
	subs := &billingv1alpha1.SubscriptionList{}
	if err := b.sys.Client.List(ctx, subs, client.InNamespace(b.ns)); err != nil {
		return 0, 0, err
	}
	charges := &billingv1alpha1.OnDemandChargeList{}
	if err := b.sys.Client.List(ctx, charges, client.InNamespace(b.ns)); err != nil {
		return 0, 0, err
	}
	n := 0
	var conds []metav1.Condition
	for i := range subs.Items {
		conds = append(conds, subs.Items[i].Status.Conditions...)
	}
	for i := range charges.Items {
		conds = append(conds, charges.Items[i].Status.Conditions...)
	}
	for _, c := range conds {
		if mentionsRateLimit(c.Message) {
			n++
		}
	}
	reasons, err := eventReasons(ctx, b.sys.Client, b.ns)
	return n, reasons["ResyncBehind"], err
}

func (r report) budgetRows() []row {
	bu := r.budget
	if bu == nil {
		return nil
	}
	resyncs := bu.window.Seconds() / bu.resync.Seconds()
	perSub := float64(bu.calls.Total()) / float64(bu.n) / resyncs
	ratio := func(sat, idle time.Duration) string { return fmt.Sprintf("%.2fx", sat.Seconds()/idle.Seconds()) }
	rows := []row{
		{fmt.Sprintf("Budget run: %d Subscriptions pre-provisioned, simulator at %d requests/minute", bu.n, r.cfg.rateLimit),
			fmt.Sprintf("seeded in %s", seconds(bu.seedTook)), "created in the simulator with the operator's create call, status as after a read"},
		{"Seeding's webhooks: queued when the seeding ended / queue empty after / waited for it before the idle measure",
			fmt.Sprintf("%d / %s / %s", bu.drain.queued, seconds(bu.drain.took), seconds(bu.drain.waited)),
			fmt.Sprintf("%d deliveries in all, %d failed every retry; the receiver answers once it has stored the event",
				bu.drain.delivered, bu.drain.failed)},
	}
	rows = append(rows, bu.startUpRows()...)
	return append(rows,
		row{fmt.Sprintf("Steady resync %s, window %s: payments API calls per Subscription per resync", bu.resync, bu.window),
			fmt.Sprintf("%.4f", perSub), fmt.Sprintf("goal <= 0.02; %d calls (%s); %.0f status writes on Subscriptions "+
				"(API server count; by writer below)", bu.calls.Total(), routesText(bu.calls), bu.statusWrites)},
		row{"New Subscription -> Active and Ready: idle / saturated (median of 5)", fmt.Sprintf("%s / %s (%s)", millis(bu.idleSub),
			millis(bu.satSub), ratio(bu.satSub, bu.idleSub)), "goal <= 1.2x"},
		row{"New OnDemandCharge -> Succeeded: idle / saturated (median of 5)", fmt.Sprintf("%s / %s (%s)", millis(bu.idleCharge),
			millis(bu.satCharge), ratio(bu.satCharge, bu.idleCharge)), "goal <= 1.2x; idle measured on an empty webhook queue"},
		row{fmt.Sprintf("Saturated: resync %s, %s before the measure", bu.satResync, bu.satWindow),
			fmt.Sprintf("%d calls (%.2f/s)", bu.satCalls.Total(), float64(bu.satCalls.Total())/bu.satWindow.Seconds()),
			routesText(bu.satCalls)},
		row{"Simulator: most requests in one second / 429s answered", fmt.Sprintf("%d / %d", bu.requests.MaxInOneSecond,
			bu.requests.RateLimited), fmt.Sprintf("goal <= 10 / -; %d requests after the seeding", bu.requests.Total)},
		row{"Conditions mentioning a rate limit / ResyncBehind Events", fmt.Sprintf("%d / %d", bu.conditions429, bu.behindEv),
			"goal: no 429 reaching a condition"})
}

// startUpRows are read from the operator's metrics every 15 s during the steady phase.
func (bu *budgetResult) startUpRows() []row {
	if len(bu.samples) == 0 {
		return nil
	}
	at := func(d time.Duration) string {
		s := sampleAt(bu.samples, d)
		return fmt.Sprintf("%.0f (%.0f s)", s.reconciles, s.at.Seconds())
	}
	first := sampleAt(bu.samples, bu.firstScan+15*time.Second)
	rows := []row{
		{"Subscription reconciles after 1 / 2 / 5 min (at the reading)", fmt.Sprintf("%s / %s / %s", at(time.Minute),
			at(2*time.Minute), at(5*time.Minute)), "controller_runtime_reconcile_total; the run before 2fdfc45 made about 120,000 in two minutes"},
		{"First complete scan", fmt.Sprintf("after %s", seconds(bu.firstScan)),
			fmt.Sprintf("%.0f pages read by the first reading after it (%.0f s)", first.pages, first.at.Seconds())},
	}
	if from, to := sampleAt(bu.samples, bu.windowStart), sampleAt(bu.samples, bu.windowEnd); to.at > from.at {
		n := to.reconciles - from.reconciles
		resyncs := (to.at - from.at).Seconds() / bu.resync.Seconds()
		rows = append(rows, row{"Subscription reconciles in the steady window", fmt.Sprintf("%.0f (%.2f per Subscription per resync)",
			n, n/float64(bu.n)/resyncs), fmt.Sprintf("readings %.0f s to %.0f s after the start", from.at.Seconds(), to.at.Seconds())})
	}
	if top, ok := maxAge(bu.samples, bu.windowStart, bu.windowEnd); ok {
		end := sampleAt(bu.samples, bu.windowEnd)
		all, _ := maxAge(bu.samples, 0, bu.windowEnd)
		rows = append(rows, row{"Oldest observation age in the steady window: highest reading / at its end",
			fmt.Sprintf("%.0f s / %.0f s", top, end.oldestAge), fmt.Sprintf("resync %s; highest since the start %.0f s; "+
				"dodo_subscription_oldest_observation_age_seconds every 15 s", bu.resync, all)})
	}
	return rows
}

// printReadings lists the operator's metrics as read every 15 s in the steady phase.
func (bu *budgetResult) printReadings(w io.Writer) {
	if len(bu.samples) == 0 {
		return
	}
	_, _ = fmt.Fprintf(w, "\nOperator readings, budget run (steady window from %.0f s to %.0f s):\n\n", bu.windowStart.Seconds(),
		bu.windowEnd.Seconds())
	_, _ = fmt.Fprintln(w, "| s since start | Subscription reconciles | Oldest observation age (s) | Scan pages | Complete scans |")
	_, _ = fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, s := range bu.samples {
		_, _ = fmt.Fprintf(w, "| %.0f | %.0f | %.0f | %.0f | %.0f |\n", s.at.Seconds(), s.reconciles, s.oldestAge, s.pages, s.scans)
	}
}
