package main

import (
	"crypto/tls"
	"flag"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// metricsFlags choose how /metrics is served. Secure by default, as in kubebuilder v4's
// scaffold: the metrics name every customer's subscriptions, so plain HTTP is only for
// loopback use (the local run, the test harness) and only when asked for.
type metricsFlags struct {
	secure  bool
	certDir string
}

func (m *metricsFlags) bind(fs *flag.FlagSet) {
	fs.BoolVar(&m.secure, "metrics-secure", true,
		"Serve metrics over HTTPS, only to callers whose bearer token may get /metrics (TokenReview and "+
			"SubjectAccessReview); false serves plain HTTP to anyone.")
	fs.StringVar(&m.certDir, "metrics-cert-dir", "",
		"Directory with tls.crt and tls.key for the secure metrics endpoint (default: a self-signed certificate).")
}

// serverOptions are the metrics server's options for addr.
func (m metricsFlags) serverOptions(addr string) metricsserver.Options {
	opts := metricsserver.Options{BindAddress: addr, SecureServing: m.secure}
	if !m.secure {
		return opts
	}
	opts.FilterProvider = filters.WithAuthenticationAndAuthorization
	opts.CertDir = m.certDir
	// HTTP/2 stays off, as in the scaffold: it exposed servers to the stream-reset and
	// rapid-reset denial of service (CVE-2023-44487, CVE-2023-39325), and scrapers need none.
	opts.TLSOpts = []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
	return opts
}

// registerCredentialsMetric exports whether Dodo refused the API key (401/403), so that an
// alert can tell a revoked or wrong-mode key from other client errors, which the request
// counter lumps together as 4xx.
func registerCredentialsMetric(registerer prometheus.Registerer, api *dodo.Client) error {
	return registerer.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dodo_api_credentials_refused",
		Help: "1 while the payments API refuses the operator's API key (HTTP 401/403 on the last call), else 0.",
	}, func() float64 {
		if api.CredentialsError() != nil {
			return 1
		}
		return 0
	}))
}
