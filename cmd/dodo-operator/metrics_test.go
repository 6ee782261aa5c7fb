package main

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// TestSecureMetricsNeedAnAuthorizedToken starts the metrics server with the operator's
// options against a real API server: without a token the answer is 401, with a token whose
// owner may not get /metrics 403, and 200 once the owner is bound to a metrics-reader role.
// Plain HTTP (--metrics-secure=false) answers anyone.
func TestSecureMetricsNeedAnAuthorizedToken(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := t.Context()
	secureURL := startMetricsServer(t, env.Config, metricsFlags{secure: true})
	stranger := serviceAccountToken(t, ctx, env.Config, "stranger")
	scraper := serviceAccountToken(t, ctx, env.Config, "scraper")
	// The filter caches denials for 30 s: grant before the scraper's first request.
	grantMetricsReader(t, ctx, env.Config, "scraper")

	if code := scrape(t, secureURL, ""); code != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", code)
	}
	// controller-runtime's filter answers a malformed token with 500, not 401: refused all the same.
	if code := scrape(t, secureURL, "not-a-token"); code == http.StatusOK {
		t.Error("an invalid token was served the metrics")
	}
	if code := scrape(t, secureURL, stranger); code != http.StatusForbidden {
		t.Errorf("token without the metrics-reader role: status %d, want 403", code)
	}
	if code := scrape(t, secureURL, scraper); code != http.StatusOK {
		t.Errorf("token with the metrics-reader role: status %d, want 200", code)
	}
	if !strings.HasPrefix(secureURL, "https://") {
		t.Errorf("secure metrics served at %s", secureURL)
	}

	plainURL := startMetricsServer(t, env.Config, metricsFlags{secure: false})
	if code := scrape(t, plainURL, ""); code != http.StatusOK || !strings.HasPrefix(plainURL, "http://") {
		t.Errorf("plain metrics at %s: status %d, want 200 without a token", plainURL, code)
	}
}

// startMetricsServer serves the metrics with flags' options on a free loopback port.
func startMetricsServer(t *testing.T, cfg *rest.Config, flags metricsFlags) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := metricsserver.NewServer(flags.serverOptions(addr), cfg, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("metrics server: %v", err)
		}
	})
	scheme := "http://"
	if flags.secure {
		scheme = "https://"
	}
	url := scheme + addr + "/metrics"
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			_ = conn.Close()
			return url
		}
	}
	t.Fatalf("metrics server at %s did not start", addr)
	return ""
}

// scrape GETs url with an optional bearer token and returns the status code. The server's
// certificate is self-signed, as in a cluster without a mounted one.
func scrape(t *testing.T, url, token string) int {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a self-signed test server
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

const scraperNamespace = "default"

// serviceAccountToken creates the ServiceAccount name and a token for it.
func serviceAccountToken(t *testing.T, ctx context.Context, cfg *rest.Config, name string) string {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(cfg)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: scraperNamespace}}
	if _, err := cs.CoreV1().ServiceAccounts(scraperNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(scraperNamespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status.Token == "" {
		t.Fatal(errors.New("empty token"))
	}
	return tr.Status.Token
}

// grantMetricsReader binds the ServiceAccount name to a role like the chart's metrics-reader
// and waits until the API server's authorizer says so.
func grantMetricsReader(t *testing.T, ctx context.Context, cfg *rest.Config, name string) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(cfg)
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader"},
		Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name + "-metrics-reader"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "metrics-reader"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: scraperNamespace}}}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:                  "system:serviceaccount:" + scraperNamespace + ":" + name,
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/metrics", Verb: "get"}}}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Allowed {
			return
		}
	}
	t.Fatal("the metrics-reader binding never took effect")
}
