package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// SystemOptions say what to start besides the control plane and the simulator.
type SystemOptions struct {
	Sim SimOptions
	// Receiver starts a webhook receiver and points the simulator's webhooks at it.
	Receiver bool
	// ReceiverViaProxy makes the receiver reach the API server through a KubeProxy (to
	// fail its status writes); ProxySeed seeds the proxy's faults.
	ReceiverViaProxy bool
	ProxySeed        uint64
}

// System is the control plane, the simulator and, optionally, a webhook receiver. The
// operators are started by the caller (NewOperator), since tests kill and restart them.
type System struct {
	// Dir holds logs, kubeconfigs and secrets.
	Dir  string
	Bins Binaries
	CP   *ControlPlane
	Sim  *SimServer
	// Client is an uncached administrator client.
	Client   client.Client
	Proxy    *KubeProxy
	Receiver *Receiver
}

// StartSystem starts the control plane, the simulator and the receiver (when asked).
func StartSystem(ctx context.Context, dir string, bins Binaries, opts SystemOptions) (_ *System, err error) {
	s := &System{Dir: dir, Bins: bins}
	defer func() {
		if err != nil {
			_ = s.Stop() // s, not the nil result: what started so far is stopped
		}
	}()
	if s.CP, err = StartControlPlane(dir); err != nil {
		return nil, err
	}
	s.Client = s.CP.Client
	if s.Sim, err = StartSimulator(opts.Sim); err != nil {
		return nil, err
	}
	if !opts.Receiver {
		return s, nil
	}
	kubeconfig := s.CP.Kubeconfig
	if opts.ReceiverViaProxy {
		if s.Proxy, err = StartKubeProxy(s.CP.Config, filepath.Join(dir, "proxy-kubeconfig"), opts.ProxySeed); err != nil {
			return nil, err
		}
		kubeconfig = s.Proxy.Kubeconfig
	}
	secretFile := filepath.Join(dir, "webhook-secret")
	if err := os.WriteFile(secretFile, []byte(s.Sim.WebhookSecret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing the webhook secret: %w", err)
	}
	s.Receiver, err = NewReceiver(ReceiverOptions{Binary: bins.Receiver, Kubeconfig: kubeconfig, LogDir: dir, SecretFile: secretFile})
	if err != nil {
		return nil, err
	}
	if err := s.Receiver.StartAndWait(ctx, 2*time.Minute); err != nil {
		return nil, err
	}
	if err := s.Sim.SendWebhooksTo(s.Receiver.WebhookURL); err != nil {
		return nil, err
	}
	return s, nil
}

// NewOperator prepares an operator process of this system; o's Binary defaults to the
// real operator, and the connection fields are filled in.
func (s *System) NewOperator(o OperatorOptions) (*Component, error) {
	if o.Binary == "" {
		o.Binary = s.Bins.Operator
	}
	o.Kubeconfig, o.LogDir, o.Sim = s.CP.Kubeconfig, s.Dir, s.Sim
	return NewOperator(o)
}

// Stop stops everything the system started.
func (s *System) Stop() error {
	var errs []error
	if s.Receiver != nil {
		errs = append(errs, s.Receiver.Stop(20*time.Second))
	}
	if s.Proxy != nil {
		errs = append(errs, s.Proxy.Close())
	}
	if s.Sim != nil {
		errs = append(errs, s.Sim.Close())
	}
	if s.CP != nil {
		errs = append(errs, s.CP.Stop())
	}
	return errors.Join(errs...)
}
