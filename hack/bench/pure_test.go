package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

func TestWritesForSpreadsTheTotal(t *testing.T) {
	for _, c := range []struct{ n, total int }{{1000, 3919}, {3, 2}, {5, 0}, {4, 8}} {
		sum := 0
		for i := range c.n {
			share := writesFor(i, c.n, c.total)
			if share < c.total/c.n || share > c.total/c.n+1 {
				t.Fatalf("writesFor(%d, %d, %d) = %d: uneven", i, c.n, c.total, share)
			}
			sum += share
		}
		if sum != c.total {
			t.Fatalf("n=%d total=%d: shares add up to %d", c.n, c.total, sum)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	d := ms(50, 10, 40, 30, 20, 100, 90, 80, 70, 60)
	cases := []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 100 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.1, 10 * time.Millisecond}}
	for _, c := range cases {
		if got := percentile(d, c.q); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing should be 0")
	}
}

func TestMentionsRateLimit(t *testing.T) {
	for message, want := range map[string]bool{
		"dodo: GET /subscriptions/x: 429 TOO_MANY_REQUESTS: rate limit exceeded": true,
		"Rate limit reached": true, "The last reconcile against Dodo succeeded.": false, "": false,
	} {
		if got := mentionsRateLimit(message); got != want {
			t.Errorf("mentionsRateLimit(%q) = %v", message, got)
		}
	}
}

func TestProcFieldAndCounts(t *testing.T) {
	if got := procField("MemTotal:       24684092 kB\nMemFree: 1 kB\n", "MemTotal"); got != "24684092 kB" {
		t.Fatalf("procField = %q", got)
	}
	if got := countsText(map[string]int{"Found": 3, "Created": 1000, "A": 3}); got != "Created: 1000, A: 3, Found: 3" {
		t.Fatalf("countsText = %q", got)
	}
}

// TestEventSourceSignsAndFlips: each event of a subscription flips its status, and the
// receiver's verifier (Standard Webhooks, the same secret) accepts the signature.
func TestEventSourceSignsAndFlips(t *testing.T) {
	secret, err := simulator.GenerateWebhookSecret()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	e := &eventSource{url: "http://127.0.0.1:1/hook", signer: signer, subs: []dodo.Subscription{{SubscriptionID: "sub_1"}},
		onHold: []bool{false}}
	types := make([]dodo.EventType, 0, 3)
	for range 3 {
		id, req, err := e.next(context.Background(), 0, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(req.Body)
		if err := signer.Verify(body, req.Header); err != nil || req.Header.Get("webhook-id") != id {
			t.Fatalf("signature does not verify: %v", err)
		}
		var ev dodo.WebhookEvent
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&ev); err != nil {
			t.Fatal(err)
		}
		types = append(types, ev.Type)
	}
	want := []dodo.EventType{dodo.EventSubscriptionOnHold, dodo.EventSubscriptionActive, dodo.EventSubscriptionOnHold}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("event types %v, want %v", types, want)
		}
	}
}

func TestParseStatAndDescendantsCPU(t *testing.T) {
	l, err := parseStat("42 (kube apiserver) S 7 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 1 1 1")
	if err != nil || l.comm != "kube apiserver" || l.ppid != 7 || l.cpu != 3*time.Second {
		t.Fatalf("parseStat: %+v %v", l, err)
	}
	if _, err := parseStat("garbage"); err == nil {
		t.Fatal("a line without a command was accepted")
	}
	lines := map[int]statLine{
		7:  {comm: "bench", ppid: 1, cpu: time.Second},
		42: {comm: "kube-apiserver", ppid: 7, cpu: 3 * time.Second},
		43: {comm: "dodo-operator", ppid: 7, cpu: 2 * time.Second},
		44: {comm: "dodo-operator", ppid: 43, cpu: time.Second},     // a grandchild counts too
		99: {comm: "kube-apiserver", ppid: 1, cpu: 9 * time.Second}, // someone else's
	}
	got := descendantsCPU(lines, 7)
	if len(got) != 3 || got["bench"] != time.Second || got["kube-apiserver"] != 3*time.Second || got["dodo-operator"] != 3*time.Second {
		t.Fatalf("descendantsCPU: %v", got)
	}
	if s := got.minus(cpuTimes{"bench": time.Second}).text(); s != "6.0 s: dodo-operator 3.0, kube-apiserver 3.0" &&
		s != "6.0 s: kube-apiserver 3.0, dodo-operator 3.0" {
		t.Fatalf("text: %q", s)
	}
}

func TestMedian(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	if got := median(ms(900, 100, 300, 200, 5000)); got != 300*time.Millisecond {
		t.Fatalf("median = %s, want 300ms", got)
	}
}
