package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// ControlPlane is an envtest control plane (etcd and kube-apiserver with the CRDs) whose
// API server can be restarted for real: the kube-apiserver process is stopped and started
// again with the same flags, port, certificates and etcd, so clients see a real outage
// and their watches break, while the data survives.
type ControlPlane struct {
	*testenv.Env
	logDir string
	// relaunched is the API server started by RestartAPIServer (envtest's own process is
	// gone by then).
	relaunched *Process
	restarts   int
	kills      int
}

// apiServerGrace is how long a stopping API server may drain before it is killed.
const apiServerGrace = 5 * time.Second

// StartControlPlane starts etcd and kube-apiserver with the CRDs installed.
func StartControlPlane(logDir string) (*ControlPlane, error) {
	env, err := testenv.Start()
	if err != nil {
		return nil, err
	}
	return &ControlPlane{Env: env, logDir: logDir}, nil
}

// Restarts counts the API server restarts so far, and Kills those where the graceful
// shutdown took longer than 5 s and the process was killed instead.
func (c *ControlPlane) Restarts() (restarts, kills int) { return c.restarts, c.kills }

// RestartAPIServer stops the kube-apiserver (SIGTERM, as in a rolling restart), keeps it
// down for downtime, starts it again and waits until it is ready.
func (c *ControlPlane) RestartAPIServer(ctx context.Context, downtime time.Duration) error {
	argv, err := c.stopAPIServer()
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(downtime):
	}
	c.relaunched = &Process{Name: "kube-apiserver", Path: argv[0], Args: argv[1:],
		LogPath: filepath.Join(c.logDir, "kube-apiserver.log")}
	if err := c.relaunched.Start(); err != nil {
		return err
	}
	c.restarts++
	return c.waitAPIServerReady(ctx, time.Minute)
}

// stopAPIServer stops the running kube-apiserver and returns its command line.
func (c *ControlPlane) stopAPIServer() ([]string, error) {
	if c.relaunched != nil {
		argv := append([]string{c.relaunched.Path}, c.relaunched.Args...)
		if err := c.relaunched.signalAndWait(syscall.SIGTERM, apiServerGrace); err != nil {
			c.kills++
			return argv, c.relaunched.Kill()
		}
		return argv, nil
	}
	port, err := portOf(c.Config.Host)
	if err != nil {
		return nil, err
	}
	pid, argv, err := findAPIServer(port)
	if err != nil {
		return nil, err
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return nil, fmt.Errorf("stopping kube-apiserver %d: %w", pid, err)
	}
	// envtest waits for its child, so the pid disappears once it has exited. A graceful
	// shutdown with clients attached can drain for a long time: after apiServerGrace it is
	// killed, which is an outage all the same.
	for deadline := time.Now().Add(apiServerGrace); syscall.Kill(pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			c.kills++
			deadline = time.Now().Add(time.Minute)
		}
	}
	return argv, nil
}

// waitAPIServerReady polls /readyz with the administrator's credentials.
func (c *ControlPlane) waitAPIServerReady(ctx context.Context, timeout time.Duration) error {
	httpClient, err := rest.HTTPClientFor(c.Config)
	if err != nil {
		return err
	}
	httpClient.Timeout = 2 * time.Second
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.Config.Host, "/")+"/readyz", nil)
		if resp, err := httpClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !c.relaunched.Running() {
			return fmt.Errorf("kube-apiserver exited after the restart:\n%s", c.relaunched.LogTail(20))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready after the restart: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop stops the control plane (a relaunched API server first: envtest does not know it).
func (c *ControlPlane) Stop() error {
	var err error
	if c.relaunched != nil {
		err = c.relaunched.Stop(30 * time.Second)
	}
	return errors.Join(err, c.Env.Stop())
}

func portOf(host string) (string, error) {
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil || u.Port() == "" {
		return "", fmt.Errorf("no port in API server address %q", host)
	}
	return u.Port(), nil
}

// findAPIServer finds the kube-apiserver serving port, by its command line.
func findAPIServer(port string) (int, []string, error) {
	entries, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return 0, nil, err
	}
	for _, path := range entries {
		raw, err := os.ReadFile(path)
		if err != nil || len(raw) == 0 {
			continue
		}
		argv := strings.Split(string(bytes.TrimRight(raw, "\x00")), "\x00")
		if isAPIServerOn(argv, port) {
			var pid int
			if _, err := fmt.Sscanf(path, "/proc/%d/cmdline", &pid); err == nil {
				return pid, argv, nil
			}
		}
	}
	return 0, nil, fmt.Errorf("no kube-apiserver process serves port %s", port)
}

// isAPIServerOn reports whether argv is a kube-apiserver serving port.
func isAPIServerOn(argv []string, port string) bool {
	if len(argv) == 0 || filepath.Base(argv[0]) != "kube-apiserver" {
		return false
	}
	for _, arg := range argv[1:] {
		if arg == "--secure-port="+port {
			return true
		}
	}
	return false
}
