// Package argocdhealth tests the operator's Argo CD health checks
// (config/argocd/resource_customizations) with Argo CD's own Lua VM, in the layout and test
// format of Argo CD's resource_customizations directory, and checks that the argocd-cm
// snippet (config/argocd/argocd-cm.yaml) carries exactly the same scripts.
//
//	cd hack/argocd && go test ./...    (or: make argocd-health-test)
package argocdhealth
