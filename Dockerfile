# syntax=docker/dockerfile:1
# One image, three static binaries: /dodo-operator (the manager container), /webhook-receiver
# (the sidecar) and /dodo-simulator (for demos and end-to-end tests). Build with
#   make docker-build IMG=<registry>/dodo-operator:<tag>
# For another architecture: docker buildx build --platform linux/arm64 ...

ARG GO_VERSION=1.26
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS builder
ARG TARGETOS=linux
ARG TARGETARCH
WORKDIR /workspace

# Dependencies first, so that source edits reuse this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/

# CGO off: static binaries that run on distroless/static (no libc).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/ \
      ./cmd/dodo-operator ./cmd/webhook-receiver ./cmd/dodo-simulator

# distroless static, nonroot variant: no shell, no package manager, UID/GID 65532.
FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /out/dodo-operator /out/webhook-receiver /out/dodo-simulator /
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
ENTRYPOINT ["/dodo-operator"]
