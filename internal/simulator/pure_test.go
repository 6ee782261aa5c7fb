package simulator

import (
	"strings"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 30, 0, 0, time.UTC) }

func TestAddInterval(t *testing.T) {
	cases := []struct {
		name     string
		from     time.Time
		interval dodo.TimeInterval
		count    int
		want     time.Time
	}{
		{"day", date(2026, 1, 31), dodo.IntervalDay, 1, date(2026, 2, 1)},
		{"two weeks", date(2026, 1, 1), dodo.IntervalWeek, 2, date(2026, 1, 15)},
		{"month end clamps", date(2026, 1, 31), dodo.IntervalMonth, 1, date(2026, 2, 28)},
		{"leap year", date(2028, 1, 31), dodo.IntervalMonth, 1, date(2028, 2, 29)},
		{"quarter", date(2026, 11, 30), dodo.IntervalMonth, 3, date(2027, 2, 28)},
		{"year from leap day", date(2028, 2, 29), dodo.IntervalYear, 1, date(2029, 2, 28)},
	}
	for _, tc := range cases {
		got, err := addInterval(tc.from, tc.interval, tc.count)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := addInterval(date(2026, 1, 1), "Fortnight", 1); err == nil {
		t.Error("unknown interval accepted")
	}
}

func TestProrate(t *testing.T) {
	start, end := date(2026, 4, 1), date(2026, 5, 1)
	mid := start.AddDate(0, 0, 15) // day 16 of 30
	cases := []struct {
		name     string
		in       prorationInput
		want     prorationResult
		wantFail bool
	}{
		{"docs example: $30 to $80 on day 16/30", prorationInput{Mode: dodo.ProrationProratedImmediately, OldCycleCost: 3000, NewCycleCost: 8000}, prorationResult{Charge: 2500}, false},
		{"prorated downgrade credits", prorationInput{Mode: dodo.ProrationProratedImmediately, OldCycleCost: 8000, NewCycleCost: 3000}, prorationResult{Credit: 2500}, false},
		{"full", prorationInput{Mode: dodo.ProrationFullImmediately, OldCycleCost: 3000, NewCycleCost: 8000}, prorationResult{Charge: 8000, ResetCycle: true}, false},
		{"difference upgrade", prorationInput{Mode: dodo.ProrationDifferenceImmediately, OldCycleCost: 3000, NewCycleCost: 8000}, prorationResult{Charge: 5000}, false},
		{"difference downgrade", prorationInput{Mode: dodo.ProrationDifferenceImmediately, OldCycleCost: 8000, NewCycleCost: 3000}, prorationResult{Credit: 5000}, false},
		{"do not bill", prorationInput{Mode: dodo.ProrationDoNotBill, OldCycleCost: 3000, NewCycleCost: 8000}, prorationResult{}, false},
		{"trial ends and charges full", prorationInput{Mode: dodo.ProrationProratedImmediately, OldCycleCost: 3000, NewCycleCost: 8000, InTrial: true}, prorationResult{Charge: 8000, ResetCycle: true}, false},
		{"do not bill in trial", prorationInput{Mode: dodo.ProrationDoNotBill, NewCycleCost: 8000, InTrial: true}, prorationResult{}, false},
		{"unknown mode", prorationInput{Mode: "half_price"}, prorationResult{}, true},
	}
	for _, tc := range cases {
		tc.in.PeriodStart, tc.in.PeriodEnd, tc.in.Now = start, end, mid
		got, err := prorate(tc.in)
		if (err != nil) != tc.wantFail || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v (error %v)", tc.name, got, err, tc.want, tc.wantFail)
		}
	}
}

func TestRemainingFractionAndCredit(t *testing.T) {
	start, end := date(2026, 4, 1), date(2026, 5, 1)
	for _, tc := range []struct {
		now  time.Time
		want float64
	}{{start, 1}, {end, 0}, {start.AddDate(0, 0, 15), 0.5}, {end.AddDate(0, 0, 1), 0}, {start.AddDate(0, 0, -1), 1}} {
		if got := remainingFraction(start, end, tc.now); got != tc.want {
			t.Errorf("remainingFraction at %v = %v, want %v", tc.now, got, tc.want)
		}
	}
	for _, tc := range []struct{ amount, credit, charge, left int64 }{{3000, 2500, 500, 0}, {3000, 5000, 0, 2000}, {3000, 0, 3000, 0}} {
		charge, left := applyCredit(tc.amount, tc.credit)
		if charge != tc.charge || left != tc.left {
			t.Errorf("applyCredit(%d, %d) = %d, %d", tc.amount, tc.credit, charge, left)
		}
	}
}

func TestDeclineCodeFromEmail(t *testing.T) {
	for email, want := range map[string]string{
		"ops+decline_insufficient_funds@example.com": "INSUFFICIENT_FUNDS",
		"a+decline_STOLEN_CARD@x.io":                 "STOLEN_CARD",
		"a+decline_made_up_code@x.io":                "MADE_UP_CODE",
		"ops@example.com":                            "",
		"ops+other@example.com":                      "",
		"ops+decline_@example.com":                   "",
		"ops+decline_bad-code@example.com":           "",
		"no-at-sign+decline_x":                       "",
	} {
		if got := declineCodeFromEmail(email); got != want {
			t.Errorf("%s: got %q, want %q", email, got, want)
		}
	}
}

func TestDeclineFor(t *testing.T) {
	good, _ := LookupTestCard(DefaultTestCard)
	generic, _ := LookupTestCard("4000 0000 0000 0002")
	funds, _ := LookupTestCard("4000-0000-0000-9995")
	cases := []struct {
		name   string
		method *paymentMethod
		amount int64
		want   string
	}{
		{"good card", &paymentMethod{card: good}, 100, ""},
		{"generic decline card", &paymentMethod{card: generic}, 100, "GENERIC_DECLINE"},
		{"declining card refuses the zero mandate", &paymentMethod{card: generic}, 0, "GENERIC_DECLINE"},
		{"insufficient funds card", &paymentMethod{card: funds}, 100, "INSUFFICIENT_FUNDS"},
		{"flagged customer charge", &paymentMethod{card: good, customerDeclineCode: "LOST_CARD"}, 100, "LOST_CARD"},
		{"flagged customer mandate passes", &paymentMethod{card: good, customerDeclineCode: "LOST_CARD"}, 0, ""},
		{"no method", nil, 100, "PAYMENT_METHOD_UNSUPPORTED"},
	}
	for _, tc := range cases {
		if got := declineFor(tc.method, tc.amount); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, number := range []string{"4706131211212123", "5105105105105100"} {
		card, ok := LookupTestCard(number)
		assertEqual(t, "India decline card "+number, card.DeclineCode, "GENERIC_DECLINE")
		assertEqual(t, "known", ok, true)
	}
	if !strings.Contains(declineMessage("STOLEN_CARD"), "hard") || !strings.Contains(declineMessage("INSUFFICIENT_FUNDS"), "soft") {
		t.Error("decline messages do not state the documented class")
	}
}

func TestProductsYAMLAndFlags(t *testing.T) {
	yamlDoc := []byte(`
products:
  - id: pdt_yaml
    name: YAML
    price: 1234
    currency: eur
    interval: Week
    interval_count: 2
    trial_days: 3
    on_demand: true
`)
	products, err := ParseProductsYAML(yamlDoc)
	if err != nil {
		t.Fatal(err)
	}
	catalogue, err := productCatalogue(products)
	if err != nil {
		t.Fatal(err)
	}
	got := catalogue["pdt_yaml"]
	want := Product{ID: "pdt_yaml", Name: "YAML", Price: 1234, Currency: "EUR", Interval: dodo.IntervalWeek,
		IntervalCount: 2, TrialDays: 3, OnDemand: true, PeriodCount: 10, PeriodInterval: dodo.IntervalYear}
	assertEqual(t, "yaml product", got, want)
	list, err := ParseProductsYAML([]byte("- {id: pdt_list, price: 1, currency: USD, interval: Day}"))
	if err != nil || len(list) != 1 {
		t.Fatalf("bare list: %v %v", list, err)
	}
	flagged, err := ParseProductFlag("id=pdt_flag,price=500,currency=USD,interval=Year,on_demand=true")
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "flag product", flagged.Price, int64(500))
	for name, bad := range map[string][]Product{
		"bad interval":  {{ID: "p", Price: 1, Currency: "USD", Interval: "Fortnight"}},
		"bad currency":  {{ID: "p", Price: 1, Currency: "US", Interval: dodo.IntervalDay}},
		"duplicate ids": {{ID: "p", Currency: "USD", Interval: dodo.IntervalDay}, {ID: "p", Currency: "USD", Interval: dodo.IntervalDay}},
	} {
		if _, err := productCatalogue(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseProductFlag("id=p,colour=red"); err == nil {
		t.Error("unknown flag field accepted")
	}
}

func TestClockFollowsBaseWithOffset(t *testing.T) {
	base := testingclock.NewFakePassiveClock(testStart)
	c := NewClock(base)
	assertEqual(t, "initial", c.Now(), testStart)
	c.Advance(time.Hour)
	base.SetTime(testStart.Add(time.Minute))
	assertEqual(t, "offset plus base", c.Now(), testStart.Add(time.Hour+time.Minute))
	target := date(2030, 1, 1)
	c.Set(target)
	base.SetTime(testStart.Add(2 * time.Minute))
	assertEqual(t, "set keeps following the base", c.Now(), target.Add(time.Minute))
}

func TestIDsSortInCreationOrder(t *testing.T) {
	g := newIDGenerator(7)
	previous := g.next(prefixSubscription)
	for range 5000 {
		id := g.next(prefixSubscription)
		if id <= previous || len(id) != len(previous) {
			t.Fatalf("%s does not sort after %s", id, previous)
		}
		previous = id
	}
	assertEqual(t, "seeded", newIDGenerator(7).next("x_"), newIDGenerator(7).next("x_"))
}

func TestMetadataValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		m    dodo.Metadata
		code string
	}{
		"ok":         {dodo.Metadata{"k8s_namespace": "default", "attempt-1": "x"}, ""},
		"dots":       {dodo.Metadata{"dodo.io/name": "x"}, codeInvalidRequestParameters},
		"long key":   {dodo.Metadata{strings.Repeat("k", 41): "x"}, codeInvalidRequestParameters},
		"long value": {dodo.Metadata{"k": strings.Repeat("v", 501)}, codeInvalidRequestParameters},
	} {
		err := validateMetadata(tc.m)
		got := ""
		if err != nil {
			got = asAPIError(err).code
		}
		assertEqual(t, name, got, tc.code)
	}
}
