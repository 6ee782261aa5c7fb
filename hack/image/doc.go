// Command image builds the dodo-operator container image without a Docker engine or a
// registry: an OCI image index for linux/amd64 and linux/arm64 written as an OCI layout
// (and a tar of it), from the repository's own sources.
//
// Each platform's image has three layers on no base image at all:
//   - a root filesystem made here, distroless-like: /etc/passwd and /etc/group with the
//     nonroot user (65532), the build host's CA bundle at /etc/ssl/certs, /tmp and
//     /home/nonroot, and no shell or other programs;
//   - the three static binaries /dodo-operator, /webhook-receiver and /dodo-simulator;
//   - an SPDX 2.3 JSON SBOM at /usr/share/sbom/dodo-operator.spdx.json, made from the Go
//     module information embedded in the binaries (what `go version -m` prints).
//
// The config runs /dodo-operator as 65532:65532 and carries the OCI labels source, version,
// revision, created, title and licenses. Timestamps come from --created (the commit time in
// `make image`), so the same commit builds the same layers.
//
// A release pushes the layout with crane (`crane push bin/image/oci <registry>/dodo-operator:<tag>`)
// or skopeo (`skopeo copy --all oci:bin/image/oci:<tag> docker://<registry>/dodo-operator:<tag>`).
package main
