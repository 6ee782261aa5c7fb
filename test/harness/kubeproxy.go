package harness

import (
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeProxy is a plain-HTTP proxy in front of the API server that fails a share of status
// writes with 500 InternalError, the way an overloaded or restarting API server does. Half
// the injected failures happen before the write reaches the API server, half after it was
// stored (the client cannot tell the two apart). It adds the administrator's credentials,
// so clients use Kubeconfig without any of their own.
type KubeProxy struct {
	// URL is the proxy's address; Kubeconfig a file pointing clients at it.
	URL, Kubeconfig string

	server *http.Server
	mu     sync.Mutex
	rate   float64
	rng    *rand.Rand
	stats  ProxyStats
}

// ProxyStats count what the proxy saw and injected.
type ProxyStats struct {
	Requests, StatusWrites, FailedBefore, FailedAfter int
}

// StartKubeProxy starts a proxy to the API server of cfg; kubeconfigPath is written.
func StartKubeProxy(cfg *rest.Config, kubeconfigPath string, seed uint64) (*KubeProxy, error) {
	transport, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("parsing the API server address: %w", err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &KubeProxy{URL: "http://" + listener.Addr().String(), Kubeconfig: kubeconfigPath,
		rng: rand.New(rand.NewPCG(seed, ^seed))}
	forward := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     transport,
		FlushInterval: -1, // stream watches
		// A client gone mid-watch (a killed receiver) is expected here: no log noise.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.server = &http.Server{Handler: p.handler(forward), ReadHeaderTimeout: 10 * time.Second}
	if err := writeProxyKubeconfig(p.URL, kubeconfigPath); err != nil {
		_ = listener.Close()
		return nil, err
	}
	go func() { _ = p.server.Serve(listener) }()
	return p, nil
}

// SetStatusWriteFailRate sets the share of status writes that fail (0 to 1).
func (p *KubeProxy) SetStatusWriteFailRate(rate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = rate
}

// Stats returns the counts so far.
func (p *KubeProxy) Stats() ProxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops the proxy.
func (p *KubeProxy) Close() error { return p.server.Close() }

// fault decides what to do with one request: "" (forward), "before" or "after".
func (p *KubeProxy) fault(r *http.Request) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Requests++
	if !IsStatusWrite(r.Method, r.URL.Path) {
		return ""
	}
	p.stats.StatusWrites++
	if p.rate <= 0 || p.rng.Float64() >= p.rate {
		return ""
	}
	if p.rng.IntN(2) == 0 {
		p.stats.FailedBefore++
		return "before"
	}
	p.stats.FailedAfter++
	return "after"
}

func (p *KubeProxy) handler(forward http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p.fault(r) {
		case "before":
			writeInternalError(w)
		case "after":
			forward.ServeHTTP(discardWriter{header: http.Header{}}, r)
			writeInternalError(w)
		default:
			forward.ServeHTTP(w, r)
		}
	})
}

// IsStatusWrite reports whether a request writes an object's status subresource.
func IsStatusWrite(method, path string) bool {
	return (method == http.MethodPut || method == http.MethodPatch) && strings.HasSuffix(path, "/status")
}

func writeInternalError(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",`+
		`"message":"injected by the fault proxy","reason":"InternalError","code":500}`)
}

// discardWriter swallows the real answer of a write that is reported as failed.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

func writeProxyKubeconfig(server, path string) error {
	const name = "proxy"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	cfg.CurrentContext = name
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing the proxy kubeconfig: %w", err)
	}
	return nil
}
