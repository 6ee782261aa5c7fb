#!/usr/bin/env bash
# plugins/krew/release.sh VERSION: builds kubectl-dodo for linux and darwin, amd64 and
# arm64, as dist/kubectl-dodo_OS_ARCH.tar.gz (the binary and LICENSE, if any, at the top,
# as krew expects), and rewrites plugins/krew/dodo.yaml with VERSION, the release URIs and
# each archive's sha256. Upload the archives as the release VERSION's assets.
set -euo pipefail
version=${1:?usage: plugins/krew/release.sh vX.Y.Z}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
dist=$root/dist
manifest=$root/plugins/krew/dodo.yaml
mkdir -p "$dist"
for platform in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64; do
  os=${platform%/*} arch=${platform#*/}
  work=$(mktemp -d)
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags=-s -o "$work/kubectl-dodo" ./cmd/kubectl-dodo
  [[ -f LICENSE ]] && cp LICENSE "$work/"
  archive=$dist/kubectl-dodo_${os}_${arch}.tar.gz
  tar -C "$work" -czf "$archive" .
  rm -rf "$work"
  sum=$(sha256sum "$archive" | cut -d' ' -f1)
  # The sha256 line follows the uri line of the same platform.
  sed -i -E "/kubectl-dodo_${os}_${arch}\.tar\.gz/{n;s/sha256: .*/sha256: \"$sum\"/}" "$manifest"
  echo "$archive $sum"
done
sed -i -E "s#^  version: .*#  version: $version#; s#releases/download/[^/]+/#releases/download/$version/#" "$manifest"
