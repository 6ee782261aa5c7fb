package simulator

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	testingclock "k8s.io/utils/clock/testing"
)

const benchSubscriptions = 10_000

// benchFixture is a simulator holding 10,000 subscriptions (with their
// payments), served over real HTTP. It is built once per test binary.
type benchFixture struct {
	sim *Simulator
	srv *httptest.Server
	ids []string
}

var (
	benchOnce sync.Once
	bench     *benchFixture
	benchErr  error
)

func loadBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	benchOnce.Do(func() {
		sim, err := New(Config{APIKeys: []string{testAPIKey}, Clock: testingclock.NewFakePassiveClock(testStart), Seed: 9})
		if err != nil {
			benchErr = err
			return
		}
		fixture := &benchFixture{sim: sim, srv: httptest.NewServer(sim.Handler())}
		for i := range benchSubscriptions {
			req := newSubReq("pdt_sim_basic", fmt.Sprintf("bench%05d@example.com", i))
			resp, err := sim.createSubscription(req, "http://bench")
			if err != nil {
				benchErr = err
				return
			}
			fixture.ids = append(fixture.ids, resp.SubscriptionID)
		}
		bench = fixture
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

func benchGet(b *testing.B, client *http.Client, url string) {
	benchCall(b, client, http.MethodGet, url, "")
}

// benchCall sends one authorised request and fails the benchmark unless it is answered 200.
func benchCall(b *testing.B, client *http.Client, method, url, body string) {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s %s: %d", method, url, resp.StatusCode)
	}
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// benchGetEach GETs path+id for the fixture's subscriptions, in a spread order.
func benchGetEach(b *testing.B, path string) {
	f := loadBenchFixture(b)
	client := f.srv.Client()
	i := 0
	for b.Loop() {
		benchGet(b, client, f.srv.URL+path+f.ids[i%len(f.ids)])
		i += 7919
	}
	reportRate(b)
}

func BenchmarkGetSubscription(b *testing.B) { benchGetEach(b, "/subscriptions/") }

func BenchmarkListSubscriptionsPage(b *testing.B) {
	f := loadBenchFixture(b)
	client := f.srv.Client()
	page := 0
	for b.Loop() {
		benchGet(b, client, fmt.Sprintf("%s/subscriptions?status=active&page_size=100&page_number=%d", f.srv.URL, page%100))
		page++
	}
	reportRate(b)
}

func BenchmarkListPaymentsBySubscription(b *testing.B) { benchGetEach(b, "/payments?subscription_id=") }

func BenchmarkParallelMixedReads(b *testing.B) {
	f := loadBenchFixture(b)
	client := f.srv.Client()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			id := f.ids[(i*7919)%len(f.ids)]
			switch i % 3 {
			case 0:
				benchGet(b, client, f.srv.URL+"/subscriptions/"+id)
			case 1:
				benchGet(b, client, f.srv.URL+"/payments?subscription_id="+id)
			default:
				benchGet(b, client, f.srv.URL+"/subscriptions?page_size=100&page_number=50")
			}
			i++
		}
	})
	reportRate(b)
}

func BenchmarkCreateSubscriptionHTTP(b *testing.B) {
	sim, err := New(Config{APIKeys: []string{testAPIKey}, Clock: testingclock.NewFakePassiveClock(testStart)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	client := srv.Client()
	i := 0
	for b.Loop() {
		body := fmt.Sprintf(`{"product_id":"pdt_sim_basic","quantity":1,"billing":{"country":"US"},"customer":{"email":"c%d@example.com"}}`, i)
		benchCall(b, client, http.MethodPost, srv.URL+"/subscriptions", body)
		i++
	}
	reportRate(b)
	assertBenchCount(b, sim, i)
}

func assertBenchCount(b *testing.B, sim *Simulator, want int) {
	if got := len(sim.State().Subscriptions); got != want {
		b.Fatalf("created %d subscriptions, want %d", got, want)
	}
}
