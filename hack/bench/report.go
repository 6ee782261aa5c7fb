package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dodo-operator/dodo-operator/test/harness"
)

// report collects the phases' results and prints them as one Markdown table.
type report struct {
	cfg                         config
	machineBefore, machineAfter machine
	scale                       *scaleResult
	webhook                     *webhookResult
	steady                      *steadyResult
	minimalCeiling, sameCeiling *ceilingResult
	rateLimited                 *rateLimitedResult
	budget                      *budgetResult
	// writes is the -n run's writes by writer (rate-limited and budget runs keep their own).
	writes *harness.WriteReport
}

// machine describes where the numbers were taken.
type machine struct {
	cpus               int
	cpuModel, memory   string
	loadAvg, goVersion string
}

func describeMachine() machine {
	m := machine{cpus: runtime.NumCPU(), goVersion: runtime.Version()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.cpuModel = procField(string(data), "model name")
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.memory = procField(string(data), "MemTotal")
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		fields := strings.Fields(string(data))
		m.loadAvg = strings.Join(fields[:min(3, len(fields))], " ")
	}
	return m
}

// procField returns the value of the first "name: value" line.
func procField(text, name string) string {
	for line := range strings.SplitSeq(text, "\n") {
		key, value, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == name {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// row is one line of the table.
type row struct{ measure, result, note string }

func (r report) print(w io.Writer) {
	m := r.machineBefore
	_, _ = fmt.Fprintf(w, "\nMachine: %d CPUs (%s), memory %s, %s; load average %s before, %s after.\n\n",
		m.cpus, m.cpuModel, m.memory, m.goVersion, m.loadAvg, r.machineAfter.loadAvg)
	_, _ = fmt.Fprintln(w, "| Measure | Result | Goal / note |")
	_, _ = fmt.Fprintln(w, "|---|---|---|")
	rows := slices.Concat(r.scaleRows(), r.webhookRows(), r.steadyRows(), r.rateLimitedRows(), r.budgetRows())
	for _, x := range rows {
		_, _ = fmt.Fprintf(w, "| %s | %s | %s |\n", x.measure, x.result, x.note)
	}
	r.printWrites(w)
	if r.budget != nil {
		r.budget.printReadings(w)
	}
}

// printWrites prints each run's writes per object by writer, and the fields they changed.
func (r report) printWrites(w io.Writer) {
	runs := []struct {
		title  string
		writes *harness.WriteReport
	}{{fmt.Sprintf("-n %d", r.cfg.n), r.writes}}
	if r.rateLimited != nil {
		runs = append(runs, struct {
			title  string
			writes *harness.WriteReport
		}{fmt.Sprintf("rate-limited run (%d)", r.rateLimited.n), r.rateLimited.writes})
	}
	if r.budget != nil {
		runs = append(runs, struct {
			title  string
			writes *harness.WriteReport
		}{fmt.Sprintf("budget run (%d)", r.budget.n), r.budget.writes})
	}
	for _, run := range runs {
		if run.writes == nil || len(run.writes.Phases) == 0 {
			continue
		}
		_, _ = fmt.Fprintf(w, "\nWrites by writer, %s (a watch with managedFields: each stored write goes to the entry whose "+
			"time or fields changed; the API server's count includes writes that stored nothing):\n\n", run.title)
		run.writes.Markdown(w, 4)
	}
}

func (r report) scaleRows() []row {
	s := r.scale
	if s == nil {
		return nil
	}
	n := float64(s.n)
	creates, reads, writes := s.calls.Kinds()
	rows := []row{
		{fmt.Sprintf("%d Subscriptions applied at once: time until all Active and Ready", s.n), seconds(s.elapsed),
			fmt.Sprintf("%.0f Subscriptions/s; operator --max-concurrent-reconciles=%d", n/s.elapsed.Seconds(), r.cfg.workers)},
		{"Payments API calls per Subscription", fmt.Sprintf("%.2f (creates %.2f, reads %.2f, writes %.2f)",
			float64(s.calls.Total())/n, float64(creates)/n, float64(reads)/n, float64(writes)/n),
			"counted at the simulator; " + nonOK(s.calls.Total()-s.calls.Status(200), s.calls.Total())},
		{"Operator RSS: idle / peak (VmHWM) / end", fmt.Sprintf("%s / %s / %s", mib(s.opIdle), mib(s.opPeak), mib(s.opEnd)),
			"/proc/<pid>/status"},
		{"Operator RSS per 1,000 Subscriptions", mib(int64(float64(s.opPeak-s.opIdle) / n * 1000)), "(peak - idle) / N x 1,000"},
		{"Operator memory per Subscription at the end of the burst: RSS / Go heap in use", fmt.Sprintf("%.1f KiB / %.1f KiB",
			float64(s.opEnd-s.opIdle)/n/1024, (s.opHeapEnd-s.opHeapIdle)/n/1024), fmt.Sprintf("(end - idle) / N; heap "+
			"from go_memstats_heap_inuse_bytes (%s idle, %s end)", mib(int64(s.opHeapIdle)), mib(int64(s.opHeapEnd)))},
		{"Operator memory per cached Subscription, settled: RSS / Go heap in use", fmt.Sprintf("%.1f KiB / %.1f KiB",
			float64(s.opSettled-s.opIdle)/n/1024, (s.opHeapSettled-s.opHeapIdle)/n/1024), fmt.Sprintf("%s after a forced "+
			"collection (RSS %s, heap %s); goal: at most 4 KiB RSS per cached object", settleAfterBurst, mib(s.opSettled),
			mib(int64(s.opHeapSettled)))},
		{"Reconciles (subscription controller)", fmt.Sprintf("%.0f/s (%.0f in all, %.1f per object)", s.reconciles/s.elapsed.Seconds(),
			s.reconciles, s.reconciles/n), "controller_runtime_reconcile_total"},
		{"API server writes on Subscriptions per object", fmt.Sprintf("%.2f creates, %.2f updates, %.2f status writes; %.2f conflicts "+
			"(receiver %.2f, operator %.2f)", s.writes.Creates/n, s.writes.ObjectWrites/n, s.writes.StatusWrites/n,
			s.writes.Conflicts/n, s.receiverConflicts/n, (s.writes.Conflicts-s.receiverConflicts)/n),
			"apiserver_request_total (operator, webhook receiver and the apply); the receiver's conflicts from its " +
				"dodo_webhook_status_write_conflicts_total, the operator's the rest (the apply's creates never conflict)"},
	}
	rows = append(rows, row{"Payments API calls by route", routesText(s.calls), "all Subscriptions together"},
		row{"Operator Events by reason", countsText(s.events), "Found = a create's answer was lost and the subscription was looked up"},
		row{"CPU time during the phase, by process", s.cpu.text(), fmt.Sprintf("of %.0f s available (%d CPUs x the phase); "+
			"bench = the simulator, the apply, the watch", s.elapsed.Seconds()*float64(r.machineBefore.cpus), r.machineBefore.cpus)})
	if s.receiverPeak > 0 {
		rows = append(rows, row{"Webhook receiver peak RSS", mib(s.receiverPeak), "during the scale phase"})
	}
	rows = append(rows, r.ceilingRows(r.minimalCeiling, "minimal writes", "goal: within 1.3x (issue 17)")...)
	return append(rows, r.ceilingRows(r.sameCeiling, "same writes", "the same writes the run made")...)
}

func (r report) ceilingRows(c *ceilingResult, what, goal string) []row {
	if c == nil || r.scale == nil {
		return nil
	}
	p := c.plan
	return []row{
		{"Ceiling: bare client-go loop, " + what, seconds(c.elapsed), fmt.Sprintf("%d creates, %d updates, %d status writes, %d workers",
			p.n, p.updates, p.statusWrites, p.workers)},
		{"CPU time during the ceiling (" + what + "), by process", c.cpu.text(), fmt.Sprintf("of %.0f s available",
			c.elapsed.Seconds()*float64(r.machineBefore.cpus))},
		{"Operator time / ceiling (" + what + ")", fmt.Sprintf("%.2fx", r.scale.elapsed.Seconds()/c.elapsed.Seconds()), goal},
	}
}

func (r report) webhookRows() []row {
	w := r.webhook
	if w == nil {
		return nil
	}
	rows := []row{
		{"Bare status-patch loop (the webhook path's ceiling)", fmt.Sprintf("%.0f writes/s", w.bareRate),
			fmt.Sprintf("%d writers, merge patches of the receiver's bookkeeping fields; %d failed", r.cfg.webhookConcurrency,
				w.bareFailed)},
		{"Webhook sidecar at saturation", fmt.Sprintf("%.0f events/s (%.2fx the bare loop)", w.saturationRate,
			w.saturationRate/max(w.bareRate, 1)), fmt.Sprintf("%d accepted, %d refused, %d concurrent senders; each event is a "+
			"status change; goal: at least 0.8x the bare loop", w.saturationOK, w.saturationBad, r.cfg.webhookConcurrency)},
	}
	for _, d := range []*delayResult{w.atRate, w.sustainable} {
		if d == nil {
			continue
		}
		rows = append(rows, row{fmt.Sprintf("Delivery to condition visible at %.0f events/s offered: p50 / p99 / max", d.offered),
			fmt.Sprintf("%s / %s / %s", millis(d.p50), millis(d.p99), millis(d.max)),
			fmt.Sprintf("achieved %.0f/s; %d sent, %d refused (5xx), %d never seen applied", d.achieved, d.sent, d.refused, d.unseen)})
	}
	return rows
}

func (r report) steadyRows() []row {
	s := r.steady
	if s == nil {
		return nil
	}
	return []row{{fmt.Sprintf("Steady state, resync %s, webhooks flowing: payments API calls per Subscription per hour", s.resync),
		fmt.Sprintf("reads %.1f, writes %.1f", s.readsPerSubPerHour, s.writesPerSubPerHour),
		fmt.Sprintf("expected reads %.1f (one per resync); %d reads, %d writes in %s with %d events; scaled to the 1h default: %.2f reads",
			s.expectedReadsPerHour, s.reads, s.writes, s.window, s.eventsSent, s.readsPerSubPerHour/s.expectedReadsPerHour)}}
}

func (r report) rateLimitedRows() []row {
	rl := r.rateLimited
	if rl == nil {
		return nil
	}
	var names []string
	for name := range rl.conditions429 {
		names = append(names, name)
	}
	sort.Strings(names)
	return []row{
		{fmt.Sprintf("Rate-limited run: %d Subscriptions, simulator at %d requests/minute", rl.n, rl.limitPerMinute),
			fmt.Sprintf("%s (%.2fx the limit-bound %s of the calls made; %.2fx the %s of 2 calls per Subscription)",
				seconds(rl.elapsed), rl.elapsed.Seconds()/rl.limitBound.Seconds(), seconds(rl.limitBound),
				rl.elapsed.Seconds()/rl.floor.Seconds(), seconds(rl.floor)),
			fmt.Sprintf("%d calls (%.2f per Subscription); operator at its default client limit", rl.calls.Total(),
				float64(rl.calls.Total())/float64(rl.n))},
		{"Rate-limited run: payments API calls by route", routesText(rl.calls), "Events: " + countsText(rl.events)},
		{"429s: answered by the simulator / reaching a condition", fmt.Sprintf("%d / %d", rl.rejected, len(names)),
			"goal: none reaching a condition " + strings.Join(names[:min(len(names), 3)], ", ")},
	}
}

// routesText lists calls per route, most first.
func routesText(calls harness.CallCounts) string {
	byRoute := map[string]int{}
	for k, v := range calls {
		byRoute[k.Route] += v
	}
	return countsText(byRoute)
}

// countsText prints "name n" pairs, largest first.
func countsText(counts map[string]int) string {
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if counts[names[i]] != counts[names[j]] {
			return counts[names[i]] > counts[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, 0, len(names))
	for _, name := range names {
		parts = append(parts, fmt.Sprintf("%s: %d", name, counts[name]))
	}
	return strings.Join(parts, ", ")
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func millis(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

func nonOK(bad, total int) string {
	return fmt.Sprintf("%d of %d answered non-200", bad, total)
}
