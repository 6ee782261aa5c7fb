package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// binaries are the commands the image holds, each at /<name>.
var binaries = []string{"dodo-operator", "webhook-receiver", "dodo-simulator"}

// license is the project's SPDX license identifier (image label and SBOM).
const license = "Apache-2.0"

// Identity of the image's user: distroless's nonroot.
const (
	nonrootUID = 65532
	nonrootGID = 65532
)

// options of one build.
type options struct {
	repoRoot  string   // the operator's module, whose ./cmd/<binary> are built
	output    string   // directory of the OCI layout (replaced)
	tarPath   string   // tar of the layout; none when empty
	platforms []string // os/arch
	version   string
	revision  string
	source    string
	created   time.Time
	caBundle  string // CA certificates copied into the image
}

func main() {
	var o options
	var platforms string
	var created int64
	flag.StringVar(&o.repoRoot, "repo", "../..", "the operator's repository root")
	flag.StringVar(&o.output, "output", "bin/image/oci", "directory of the OCI image layout to write (replaced)")
	flag.StringVar(&o.tarPath, "tar", "", "also write the layout as this tar file")
	flag.StringVar(&platforms, "platforms", "linux/amd64,linux/arm64", "comma-separated os/arch list")
	flag.StringVar(&o.version, "version", "dev", "image version (label and the layout's ref name)")
	flag.StringVar(&o.revision, "revision", "unknown", "source revision (the git commit)")
	flag.StringVar(&o.source, "source", "https://github.com/dodo-operator/dodo-operator", "source repository URL")
	flag.Int64Var(&created, "created", 0, "creation time as Unix seconds (default: now); use the commit time for reproducible layers")
	flag.StringVar(&o.caBundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "CA certificates to copy into the image")
	flag.Parse()
	o.platforms = strings.Split(platforms, ",")
	o.created = time.Now().UTC().Truncate(time.Second)
	if created > 0 {
		o.created = time.Unix(created, 0).UTC()
	}
	if err := build(o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

// build writes the multi-platform image as an OCI layout at o.output.
func build(o options) error {
	work, err := os.MkdirTemp("", "dodo-image-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()
	ca, err := os.ReadFile(o.caBundle)
	if err != nil {
		return fmt.Errorf("reading the CA bundle (Debian: apt-get install ca-certificates): %w", err)
	}
	index := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, platform := range o.platforms {
		osName, arch, ok := strings.Cut(platform, "/")
		if !ok || osName != "linux" {
			return fmt.Errorf("platform %q: want linux/<arch>", platform)
		}
		img, err := platformImage(o, work, arch, ca)
		if err != nil {
			return fmt.Errorf("%s: %w", platform, err)
		}
		index = mutate.AppendManifests(index, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: osName, Architecture: arch}}})
	}
	annotated, ok := mutate.Annotations(index, o.labels()).(v1.ImageIndex)
	if !ok {
		return errors.New("annotating the index")
	}
	return writeLayout(o, annotated)
}

// platformImage builds the binaries for arch and assembles their image.
func platformImage(o options, work, arch string, ca []byte) (v1.Image, error) {
	binDir := filepath.Join(work, arch)
	if err := buildBinaries(o.repoRoot, binDir, arch); err != nil {
		return nil, err
	}
	sbom, err := spdxSBOM(o, arch, binDir)
	if err != nil {
		return nil, err
	}
	layers, err := imageLayers(work, arch, binDir, ca, sbom, o.created)
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, layers...)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	cfg.Created = v1.Time{Time: o.created}
	cfg.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", nonrootUID, nonrootGID),
		Entrypoint: []string{"/dodo-operator"},
		WorkingDir: "/",
		Env:        []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		Labels:     o.labels(),
	}
	return mutate.ConfigFile(img, cfg)
}

// buildBinaries cross-compiles the static binaries into dir.
func buildBinaries(repoRoot, dir, arch string) error {
	args := make([]string, 0, 5+len(binaries))
	args = append(args, "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", dir+string(filepath.Separator))
	for _, b := range binaries {
		args = append(args, "./cmd/"+b)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s: %w", arch, err)
	}
	return nil
}

// labels are the OCI annotations of the image config and the index.
func (o options) labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.source":      o.source,
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.revision":    o.revision,
		"org.opencontainers.image.created":     o.created.Format(time.RFC3339),
		"org.opencontainers.image.title":       "dodo-operator",
		"org.opencontainers.image.description": "Dodo Payments subscriptions as Kubernetes resources: operator, webhook receiver, simulator",
		"org.opencontainers.image.licenses":    license,
	}
}

// writeLayout replaces o.output with an OCI layout whose index.json names the image index
// by its version, and writes the tar of it when asked.
func writeLayout(o options, index v1.ImageIndex) error {
	if err := os.RemoveAll(o.output); err != nil {
		return err
	}
	p, err := layout.Write(o.output, mutate.IndexMediaType(empty.Index, types.OCIImageIndex))
	if err != nil {
		return err
	}
	if err := p.AppendIndex(index, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": o.version,
	})); err != nil {
		return err
	}
	if o.tarPath == "" {
		return nil
	}
	return tarDirectory(o.output, o.tarPath, o.created)
}
