# dodo-operator Makefile, in the kubebuilder v4 layout. `make help` lists the targets.

# Image for `make docker-build`.
IMG ?= dodo-operator:dev

# Tools are pinned and installed into ./bin, so a fresh clone needs nothing but Go.
LOCALBIN ?= $(shell pwd)/bin
CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint

# envtest's control plane (kube-apiserver v1.36.3, etcd v3.6.8, kubectl) is built from source
# by hack/envtest, because setup-envtest cannot download on air-gapped machines. A
# KUBEBUILDER_ASSETS already set in the environment is used as it is.
ENVTEST_ASSETS ?= $(LOCALBIN)/k8s
ifeq ($(origin KUBEBUILDER_ASSETS), undefined)
KUBEBUILDER_ASSETS := $(ENVTEST_ASSETS)
ENVTEST_BUILD := envtest
endif
export KUBEBUILDER_ASSETS

GO_TEST_FLAGS ?= -race -count=1

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs and RBAC into config/ (and the chart's crds/).
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./api/..." paths="./internal/controller/..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	mkdir -p charts/dodo-operator/crds && cp config/crd/bases/*.yaml charts/dodo-operator/crds/
	cp config/rbac/role.yaml charts/dodo-operator/files/manager-role.yaml

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods for the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run go fmt.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: test
test: manifests generate fmt vet $(ENVTEST_BUILD) ## Run all tests against a real kube-apiserver (envtest).
	go test $(GO_TEST_FLAGS) ./... -coverprofile cover.out

.PHONY: verify-generated
verify-generated: manifests generate ## Fail if generated files differ from what is committed.
	@git diff --exit-code -- api config charts || { echo "generated files are stale: run 'make manifests generate' and commit"; exit 1; }

.PHONY: lint
lint: golangci-lint ## Run golangci-lint.
	$(GOLANGCI_LINT) run

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint and apply its fixes.
	$(GOLANGCI_LINT) run --fix

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the binaries into ./bin.
	go build -o $(LOCALBIN)/ ./cmd/...

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .

##@ Dependencies

$(LOCALBIN):
	mkdir -p $(LOCALBIN)

.PHONY: envtest
envtest: $(LOCALBIN) ## Build kube-apiserver, etcd and kubectl for envtest into ./bin/k8s (once; ~7 min cold).
	bash hack/envtest/build.sh $(ENVTEST_ASSETS)

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into ./bin.
$(CONTROLLER_GEN): $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Install golangci-lint into ./bin.
$(GOLANGCI_LINT): $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

# go-install-tool installs a pinned Go tool into ./bin under a versioned name, and links
# the plain name to it, so that changing a version reinstalls it.
define go-install-tool
@[ -f "$(1)-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
rm -f $(1) || true ;\
GOBIN=$(LOCALBIN) go install $${package} ;\
mv $(1) $(1)-$(3) ;\
} ;\
ln -sf $(1)-$(3) $(1)
endef

##@ Local run and packaging

HELM_VERSION ?= v3.19.0
HELM ?= $(LOCALBIN)/helm
KUBECTL ?= $(ENVTEST_ASSETS)/kubectl

.PHONY: run-local
run-local: ## Run control plane, payments simulator, operator and webhook receiver locally; Ctrl-C stops all.
	bash hack/run-local.sh

.PHONY: helm
helm: $(HELM) ## Install helm into ./bin.
$(HELM): $(LOCALBIN)
	$(call go-install-tool,$(HELM),helm.sh/helm/v3/cmd/helm,$(HELM_VERSION))

.PHONY: helm-lint
helm-lint: helm ## Lint the Helm chart (strict).
	$(HELM) lint --strict charts/dodo-operator

.PHONY: argocd-health-test
argocd-health-test: ## Test the Argo CD health checks with Argo CD's own Lua VM (module hack/argocd).
	cd hack/argocd && go test -count=1 ./...

##@ Benchmarks and fault injection

# Flags of hack/bench, e.g. BENCH_FLAGS="-n 10000 -rate-limited-n 100" (see docs/benchmarks.md).
BENCH_FLAGS ?=
FAULT_TEST_TIMEOUT ?= 120m

.PHONY: bench
bench: $(ENVTEST_BUILD) ## Benchmark: 1,000 Subscriptions at once, the client-go ceiling, webhooks, steady state, 100 req/min (long).
	go run ./hack/bench $(BENCH_FLAGS)

.PHONY: fault-test
fault-test: $(ENVTEST_BUILD) ## Long fault-injection suite: 200 operator SIGKILLs, lost responses, webhook chaos, restarts.
	go test -tags faults -count=1 -v -timeout $(FAULT_TEST_TIMEOUT) ./test/faulttest/...

.PHONY: fault-test-short
fault-test-short: $(ENVTEST_BUILD) ## Short fault-injection suite (also part of make test).
	go test $(GO_TEST_FLAGS) -v -timeout 10m ./test/faulttest/...
