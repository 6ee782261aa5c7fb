package packagingtest

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// Container names of the operator Pod.
const (
	managerContainer  = "manager"
	receiverContainer = "webhook-receiver"
)

// secretLike matches environment variable names that would carry a credential.
var secretLike = regexp.MustCompile(`(?i)(KEY|SECRET|TOKEN|PASSWORD)`)

// webhookSecretValue matches a whsec_ signing secret (base64 after the prefix).
var webhookSecretValue = regexp.MustCompile(`whsec_[A-Za-z0-9+/]{16,}`)

// assertInstall checks the properties both install methods promise.
func assertInstall(t *testing.T, manifests []byte, objs []unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	assertNoInlinedSecrets(t, manifests, objs)
	deploy := deployment(t, objs)
	spec := deploy.Spec.Template.Spec
	assertPodSecurity(t, spec)
	names := make([]string, 0, len(spec.Containers))
	for _, c := range spec.Containers {
		names = append(names, c.Name)
		assertContainerBasics(t, c)
		assertSecretsByReference(t, c)
	}
	if !slices.Equal(names, []string{managerContainer, receiverContainer}) {
		t.Fatalf("containers = %v, want [%s %s]", names, managerContainer, receiverContainer)
	}
	manager, receiver := spec.Containers[0], spec.Containers[1]
	if !slices.Contains(manager.Args, "--leader-elect") {
		t.Errorf("manager args %v lack --leader-elect", manager.Args)
	}
	if slices.Contains(receiver.Args, "--leader-elect") {
		t.Errorf("the webhook receiver must not elect a leader (every replica serves): %v", receiver.Args)
	}
	assertDistinctPorts(t, spec.Containers)
	assertMountsOnlyOwnSecret(t, spec, manager, receiver)
	return deploy
}

func deployment(t *testing.T, objs []unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	obj := onlyKind(t, objs, "Deployment", 1)[0]
	deploy := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, deploy); err != nil {
		t.Fatal(err)
	}
	return deploy
}

// assertNoInlinedSecrets: no Secret objects and no secret material in the output.
func assertNoInlinedSecrets(t *testing.T, manifests []byte, objs []unstructured.Unstructured) {
	t.Helper()
	for _, obj := range objs {
		if obj.GetKind() == "Secret" {
			t.Errorf("the install renders Secret %s: Secrets must be referenced, never inlined", obj.GetName())
		}
	}
	for _, marker := range []string{"sk_live", "sk_test", "Bearer "} {
		if strings.Contains(string(manifests), marker) {
			t.Errorf("rendered manifests contain %q", marker)
		}
	}
	// A signing secret's value; the CRDs' descriptions name the prefix ("whsec_...").
	if m := webhookSecretValue.Find(manifests); m != nil {
		t.Errorf("rendered manifests contain a webhook secret %.10s...", m)
	}
}

func assertPodSecurity(t *testing.T, spec corev1.PodSpec) {
	t.Helper()
	sc := spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("pod securityContext.runAsNonRoot must be true")
	}
	if sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("pod seccompProfile must be RuntimeDefault")
	}
	if spec.ServiceAccountName == "" {
		t.Error("the pod must run under its own ServiceAccount")
	}
}

func assertContainerBasics(t *testing.T, c corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Fatalf("%s: no securityContext", c.Name)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("%s: readOnlyRootFilesystem must be true", c.Name)
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("%s: allowPrivilegeEscalation must be false", c.Name)
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
		t.Errorf("%s: capabilities must drop ALL and add none", c.Name)
	}
	if c.LivenessProbe == nil || c.ReadinessProbe == nil {
		t.Errorf("%s: liveness and readiness probes are required", c.Name)
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			t.Errorf("%s: no %s request", c.Name, res)
		}
		if _, ok := c.Resources.Limits[res]; !ok {
			t.Errorf("%s: no %s limit", c.Name, res)
		}
	}
	if len(c.Command) != 1 || !strings.HasPrefix(c.Command[0], "/") {
		t.Errorf("%s: command %v must name one binary of the image", c.Name, c.Command)
	}
}

// assertSecretsByReference: a credential-like variable is a *_FILE path or a secretKeyRef.
func assertSecretsByReference(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, e := range c.Env {
		if !secretLike.MatchString(e.Name) || strings.HasSuffix(e.Name, "_FILE") {
			continue
		}
		if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: %s must come from a Secret (secretKeyRef or a mounted file), not a literal", c.Name, e.Name)
		}
	}
}

func assertDistinctPorts(t *testing.T, containers []corev1.Container) {
	t.Helper()
	seen := map[int32]string{}
	for _, c := range containers {
		for _, p := range c.Ports {
			if other, dup := seen[p.ContainerPort]; dup {
				t.Errorf("port %d is used by %s and %s", p.ContainerPort, other, c.Name)
			}
			seen[p.ContainerPort] = c.Name
		}
	}
}

// assertMountsOnlyOwnSecret: the API key reaches only the manager, the webhook secret only
// the receiver, and DODO_PAYMENTS_API_KEY_FILE points into the API key's mount.
func assertMountsOnlyOwnSecret(t *testing.T, spec corev1.PodSpec, manager, receiver corev1.Container) {
	t.Helper()
	secretVolumes := map[string]string{}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			secretVolumes[v.Name] = v.Secret.SecretName
		}
	}
	mounted := func(c corev1.Container) map[string]string {
		out := map[string]string{}
		for _, m := range c.VolumeMounts {
			if _, ok := secretVolumes[m.Name]; ok {
				out[m.Name] = m.MountPath
				if !m.ReadOnly {
					t.Errorf("%s: Secret volume %s must be mounted read-only", c.Name, m.Name)
				}
			}
		}
		return out
	}
	managerMounts, receiverMounts := mounted(manager), mounted(receiver)
	if len(managerMounts) != 1 || managerMounts["api-key"] == "" {
		t.Errorf("manager must mount exactly the api-key Secret, mounts %v", managerMounts)
	}
	if receiverMounts["webhook-key"] == "" || receiverMounts["api-key"] != "" {
		t.Errorf("webhook receiver must mount the webhook-key Secret and not the API key, mounts %v", receiverMounts)
	}
	keyFile := envValue(manager, "DODO_PAYMENTS_API_KEY_FILE")
	if keyFile == "" || !strings.HasPrefix(keyFile, managerMounts["api-key"]+"/") {
		t.Errorf("DODO_PAYMENTS_API_KEY_FILE=%q is not inside the api-key mount %q", keyFile, managerMounts["api-key"])
	}
	if !slices.ContainsFunc(receiver.Args, func(a string) bool {
		return strings.HasPrefix(a, "--webhook-key-file="+receiverMounts["webhook-key"]+"/")
	}) {
		t.Errorf("webhook receiver args %v do not read the key from the webhook-key mount", receiver.Args)
	}
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// assertServiceTargets: each Service's named target ports exist on the Pod, and the
// webhook Service reaches the receiver's webhook port.
func assertServiceTargets(t *testing.T, objs []unstructured.Unstructured, deploy *appsv1.Deployment) {
	t.Helper()
	podPorts := map[string]string{}
	for _, c := range deploy.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			podPorts[p.Name] = c.Name
		}
	}
	webhookServices := 0
	for _, obj := range onlyKind(t, objs, "Service", 2) {
		svc := &corev1.Service{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, svc); err != nil {
			t.Fatal(err)
		}
		for key, value := range svc.Spec.Selector {
			if deploy.Spec.Template.Labels[key] != value {
				t.Errorf("Service %s selects %s=%s, which the Pod does not carry", svc.Name, key, value)
			}
		}
		for _, p := range svc.Spec.Ports {
			owner, ok := podPorts[p.TargetPort.String()]
			if !ok {
				t.Errorf("Service %s targets port %q, which no container has", svc.Name, p.TargetPort.String())
			}
			if p.TargetPort.String() == "webhooks" && owner == receiverContainer {
				webhookServices++
			}
		}
	}
	if webhookServices != 1 {
		t.Errorf("want one Service for the webhook receiver, found %d", webhookServices)
	}
}
