package harness

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

func TestRouteOf(t *testing.T) {
	cases := []struct{ method, path, want string }{
		{"POST", "/subscriptions", simulator.RouteCreateSubscription},
		{"GET", "/subscriptions", simulator.RouteListSubscriptions},
		{"GET", "/subscriptions/sub_1", simulator.RouteGetSubscription},
		{"PATCH", "/subscriptions/sub_1", simulator.RoutePatchSubscription},
		{"POST", "/subscriptions/sub_1/change-plan", simulator.RouteChangePlan},
		{"POST", "/subscriptions/sub_1/charge", simulator.RouteCharge},
		{"POST", "/subscriptions/sub_1/update-payment-method", simulator.RouteUpdatePaymentMethod},
		{"GET", "/payments", simulator.RouteListPayments},
		{"GET", "/payments/pay_1", simulator.RouteGetPayment},
		{"GET", "/customers/cus_1/payment-methods", simulator.RouteListPaymentMethods},
		{"GET", "/brands", simulator.RouteListBrands},
		{"POST", "/webhooks", simulator.RouteCreateWebhook},
		{"GET", "/webhooks/ep_1/secret", simulator.RouteGetWebhookSecret},
		{"DELETE", "/webhooks/ep_1", simulator.RouteDeleteWebhook},
		{"GET", "/_simulator/state", ""},
		{"DELETE", "/subscriptions/sub_1", ""},
		{"POST", "/subscriptions/sub_1/unknown", ""},
	}
	for _, c := range cases {
		if got := RouteOf(c.method, c.path); got != c.want {
			t.Errorf("RouteOf(%s %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

func TestCallCountsKindsAndSub(t *testing.T) {
	before := CallCounts{{simulator.RouteGetSubscription, 200}: 1}
	now := CallCounts{
		{simulator.RouteCreateSubscription, 200}: 3, {simulator.RouteCreateSubscription, 502}: 1,
		{simulator.RouteGetSubscription, 200}: 5, {simulator.RouteListSubscriptions, 200}: 2,
		{simulator.RouteCharge, 0}: 1, {simulator.RoutePatchSubscription, 429}: 2,
	}
	diff := now.Sub(before)
	creates, reads, writes := diff.Kinds()
	if creates != 4 || reads != 6 || writes != 3 {
		t.Fatalf("Kinds = %d creates, %d reads, %d writes; want 4, 6, 3", creates, reads, writes)
	}
	if diff.Total() != 13 || diff.Status(429) != 2 || diff.Status(0) != 1 || diff.Route(simulator.RouteCreateSubscription) != 4 {
		t.Fatalf("unexpected counts %v", diff)
	}
}

func TestCallCounterCountsAbortedResponses(t *testing.T) {
	counter := NewCallCounter()
	handler := counter.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/subscriptions/sub_1/charge":
			panic(http.ErrAbortHandler)
		case "/subscriptions":
			w.WriteHeader(http.StatusBadGateway)
		default:
			_, _ = w.Write([]byte("{}"))
		}
	}))
	serve := func(method, path string) {
		defer func() { _ = recover() }()
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, nil))
	}
	serve("POST", "/subscriptions/sub_1/charge")
	serve("POST", "/subscriptions")
	serve("GET", "/payments/pay_1")
	serve("GET", "/_simulator/state")
	want := CallCounts{
		{simulator.RouteCharge, 0}: 1, {simulator.RouteCreateSubscription, 502}: 1, {simulator.RouteGetPayment, 200}: 1,
	}
	if got := counter.Snapshot(); !reflect.DeepEqual(got, want) {
		t.Fatalf("counts = %v, want %v", got, want)
	}
}

func TestMetricSum(t *testing.T) {
	text := `# HELP controller_runtime_reconcile_total Total number of reconciliations per controller
# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="subscription",result="success"} 120
controller_runtime_reconcile_total{controller="subscription",result="requeue_after"} 30
controller_runtime_reconcile_total{controller="ondemandcharge",result="success"} 7
rest_client_requests_total{code="200",host="127.0.0.1:1",method="PATCH"} 9 1700000000000
process_resident_memory_bytes 1.2345e+07
`
	cases := []struct {
		name  string
		match map[string]string
		want  float64
	}{
		{"controller_runtime_reconcile_total", map[string]string{"controller": "subscription"}, 150},
		{"controller_runtime_reconcile_total", nil, 157},
		{"rest_client_requests_total", map[string]string{"method": "PATCH"}, 9},
		{"process_resident_memory_bytes", nil, 12345000},
		{"controller_runtime_reconcile", nil, 0},
	}
	for _, c := range cases {
		if got := MetricSum(text, c.name, c.match); got != c.want {
			t.Errorf("MetricSum(%s, %v) = %v, want %v", c.name, c.match, got, c.want)
		}
	}
}

func TestStatusFieldBytes(t *testing.T) {
	cases := []struct {
		line, field string
		want        int64
		ok          bool
	}{
		{"VmHWM:\t  123456 kB", "VmHWM", 123456 * 1024, true},
		{"VmRSS:\t      12 kB", "VmRSS", 12 * 1024, true},
		{"VmRSS:\t      12 kB", "VmHWM", 0, false},
		{"VmHWM:\t  garbage kB", "VmHWM", 0, false},
		{"VmHWM:\t  12", "VmHWM", 0, false},
	}
	for _, c := range cases {
		if got, ok := statusFieldBytes(c.line, c.field); got != c.want || ok != c.ok {
			t.Errorf("statusFieldBytes(%q, %s) = %d, %v; want %d, %v", c.line, c.field, got, ok, c.want, c.ok)
		}
	}
}

func TestAPIServerDiscovery(t *testing.T) {
	argv := []string{"/x/bin/k8s/kube-apiserver", "--etcd-servers=http://127.0.0.1:2379", "--secure-port=39545"}
	if !isAPIServerOn(argv, "39545") || isAPIServerOn(argv, "3954") || isAPIServerOn([]string{"/bin/etcd", "--secure-port=39545"}, "39545") {
		t.Fatal("isAPIServerOn matched the wrong processes")
	}
	for host, want := range map[string]string{"https://127.0.0.1:39545": "39545", "127.0.0.1:6443": "6443", "https://example": ""} {
		if got, _ := portOf(host); got != want {
			t.Errorf("portOf(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestIsStatusWrite(t *testing.T) {
	path := "/apis/billing.dodo-operator.io/v1alpha1/namespaces/a/subscriptions/x/status"
	cases := []struct {
		method, path string
		want         bool
	}{
		{"PUT", path, true}, {"PATCH", path, true}, {"GET", path, false},
		{"PUT", "/apis/billing.dodo-operator.io/v1alpha1/namespaces/a/subscriptions/x", false},
	}
	for _, c := range cases {
		if got := IsStatusWrite(c.method, c.path); got != c.want {
			t.Errorf("IsStatusWrite(%s %s) = %v", c.method, c.path, got)
		}
	}
}

func TestMetricSumWhere(t *testing.T) {
	text := `apiserver_request_total{code="200",verb="PATCH"} 4
apiserver_request_total{code="409",verb="PATCH"} 2
apiserver_request_total{code="201",verb="POST"} 1
`
	got := MetricSumWhere(text, "apiserver_request_total", func(l map[string]string) bool { return l["code"][0] == '2' })
	if got != 5 {
		t.Fatalf("MetricSumWhere = %v, want 5", got)
	}
}
