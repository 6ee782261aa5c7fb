package kubectldodo

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// labelWidth aligns the "Label: value" lines of a section.
const labelWidth = 18

// report writes status output; it keeps the first write error so the render functions stay
// linear (one check at the end).
type report struct {
	w   io.Writer
	now time.Time
	err error
}

func (r *report) printf(format string, args ...any) {
	if r.err == nil {
		_, r.err = fmt.Fprintf(r.w, format, args...)
	}
}

func (r *report) section(title string) { r.printf("%s\n", title) }

// field prints one "Label: value" line; an empty value prints "-" so a missing fact is
// visibly missing rather than silently left out.
func (r *report) field(label, value string) {
	if value == "" {
		value = "-"
	}
	r.printf("  %-*s%s\n", labelWidth, label+":", value)
}

func (r *report) timeField(label string, t *metav1.Time) {
	if t == nil {
		r.field(label, "")
		return
	}
	r.field(label, formatTime(t.Time, r.now))
}

// conditions prints Ready, Synced and Stalled first (the summary), then the others in
// stored order, as a table; then the messages that explain something (a summary condition
// that is not fine, any other condition that is True), each once: Ready often repeats the
// message of the condition that decides it.
func (r *report) conditions(conds []metav1.Condition) {
	r.section("Conditions")
	if len(conds) == 0 {
		r.printf("  none yet: the operator has not reconciled the object\n")
		return
	}
	first := []string{billingv1alpha1.ConditionReady, billingv1alpha1.ConditionSynced, billingv1alpha1.ConditionStalled}
	ordered := make([]metav1.Condition, 0, len(conds))
	for _, t := range first {
		if c := condition(conds, t); c != nil {
			ordered = append(ordered, *c)
		}
	}
	for _, c := range conds {
		if condition(ordered, c.Type) == nil {
			ordered = append(ordered, c)
		}
	}
	tw := tabwriter.NewWriter(&lineWriter{r: r}, 0, 0, 2, ' ', 0)
	var messages []string
	typesOf := map[string][]string{}
	for _, c := range ordered {
		_, _ = fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Type, c.Status, c.Reason, "since "+relative(c.LastTransitionTime.Time, r.now))
		if explains(c) && c.Message != "" {
			if typesOf[c.Message] == nil {
				messages = append(messages, c.Message)
			}
			typesOf[c.Message] = append(typesOf[c.Message], c.Type)
		}
	}
	_ = tw.Flush()
	for _, m := range messages {
		r.printf("  %s: %s\n", strings.Join(typesOf[m], ", "), m)
	}
}

func explains(c metav1.Condition) bool {
	switch c.Type {
	case billingv1alpha1.ConditionReady:
		return true
	case billingv1alpha1.ConditionSynced:
		return c.Status != metav1.ConditionTrue
	}
	return c.Status == metav1.ConditionTrue
}

// lineWriter sends a tabwriter's output through the report, keeping its first error.
type lineWriter struct{ r *report }

func (l *lineWriter) Write(p []byte) (int, error) {
	l.r.printf("%s", p)
	return len(p), l.r.err
}

func (r *report) events(events []corev1.Event) {
	r.section("Events (newest last)")
	if len(events) == 0 {
		r.printf("  none\n")
		return
	}
	tw := tabwriter.NewWriter(&lineWriter{r: r}, 0, 0, 2, ' ', 0)
	for i := range events {
		e := &events[i]
		count := ""
		if n := eventCount(e); n > 1 {
			count = fmt.Sprintf(" (x%d)", n)
		}
		_, _ = fmt.Fprintf(tw, "  %s\t%s\t%s\t%s%s\n", relative(eventTime(e), r.now), e.Type, e.Reason,
			strings.TrimSpace(e.Message), count)
	}
	_ = tw.Flush()
}

func (r *report) action(a Action) {
	r.section("Next action (" + string(a.Kind) + ")")
	r.printf("  %s\n", a.Text)
	if a.Command != "" {
		r.printf("  $ %s\n", a.Command)
	}
}

// formatAmount shows minor units as the currency's major units ("2500 USD" is "25.00 USD"):
// most currencies have two decimals; the exceptions Dodo supports are listed.
func formatAmount(minor int64, currency string) string {
	if currency == "" {
		return fmt.Sprintf("%d (minor units)", minor)
	}
	decimals := 2
	switch strings.ToUpper(currency) {
	case "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF":
		decimals = 0
	case "BHD", "JOD", "KWD", "OMR", "TND":
		decimals = 3
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	if decimals == 0 {
		return fmt.Sprintf("%s%d %s", sign, minor, currency)
	}
	unit := int64(1)
	for range decimals {
		unit *= 10
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, minor/unit, decimals, minor%unit, currency)
}
