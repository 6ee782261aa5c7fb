// Package packagingtest renders the operator's install manifests, kustomize (config/) and
// Helm (charts/dodo-operator), checks the properties the install promises (two containers,
// restricted security contexts, probes, resources, leader election, Secrets referenced and
// never inlined, least-privilege RBAC) and applies them with a server-side dry run to a real
// API server, so that a broken manifest fails `make test`.
package packagingtest
