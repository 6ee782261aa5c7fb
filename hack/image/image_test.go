package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestImage builds the image for both platforms into a temporary OCI layout, as
// `make image` does, reads it back, checks each platform's config (user, entrypoint,
// labels), that the file system holds nothing but the three binaries as programs (no shell),
// the nonroot user, the CA bundle and the SBOM, and runs each binary of the host's platform
// from the unpacked layers with --help.
func TestImage(t *testing.T) {
	dir := t.TempDir()
	o := options{repoRoot: "../..", output: filepath.Join(dir, "oci"), tarPath: filepath.Join(dir, "oci.tar"),
		platforms: []string{"linux/amd64", "linux/arm64"}, version: "v9.9.9-test", revision: "0123abcd",
		source: "https://example.com/dodo-operator", created: time.Unix(1_800_000_000, 0).UTC(),
		caBundle: "/etc/ssl/certs/ca-certificates.crt"}
	start := time.Now()
	if err := build(o); err != nil {
		t.Fatal(err)
	}
	t.Logf("built in %v", time.Since(start))
	if info, err := os.Stat(o.tarPath); err != nil || info.Size() == 0 {
		t.Errorf("layout tar %s: %v", o.tarPath, err)
	}
	images := readLayout(t, o.output, o.version)
	if got := sortedKeys(images); !slices.Equal(got, []string{"linux/amd64", "linux/arm64"}) {
		t.Fatalf("platforms = %v, want linux/amd64 and linux/arm64", got)
	}
	for platform, img := range images {
		checkConfig(t, platform, img, o)
		files := unpack(t, img, filepath.Join(dir, strings.ReplaceAll(platform, "/", "-")))
		checkFiles(t, platform, files)
		t.Logf("%s checked at %v", platform, time.Since(start))
		if platform == "linux/"+runtime.GOARCH {
			runHelp(t, files.root)
		}
		t.Logf("%s run at %v", platform, time.Since(start))
	}
}

// readLayout returns the images of the layout's one index, by platform.
func readLayout(t *testing.T, dir, refName string) map[string]v1.Image {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	root, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	rootManifest, err := root.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(rootManifest.Manifests) != 1 || rootManifest.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != refName {
		t.Fatalf("index.json = %+v, want one image index named %s", rootManifest.Manifests, refName)
	}
	index, err := root.ImageIndex(rootManifest.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]v1.Image{}
	for _, desc := range manifest.Manifests {
		img, err := index.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		images[desc.Platform.OS+"/"+desc.Platform.Architecture] = img
	}
	return images
}

func checkConfig(t *testing.T, platform string, img v1.Image, o options) {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.OS + "/" + cfg.Architecture; got != platform {
		t.Errorf("%s: config platform %s", platform, got)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("%s: user %q, want 65532:65532 (nonroot)", platform, cfg.Config.User)
	}
	if !slices.Equal(cfg.Config.Entrypoint, []string{"/dodo-operator"}) {
		t.Errorf("%s: entrypoint %v", platform, cfg.Config.Entrypoint)
	}
	for key, want := range map[string]string{
		"org.opencontainers.image.source":   o.source,
		"org.opencontainers.image.version":  o.version,
		"org.opencontainers.image.revision": o.revision,
		"org.opencontainers.image.licenses": "Apache-2.0",
	} {
		if got := cfg.Config.Labels[key]; got != want {
			t.Errorf("%s: label %s = %q, want %q", platform, key, got, want)
		}
	}
	if !cfg.Created.Equal(o.created) {
		t.Errorf("%s: created %v, want %v", platform, cfg.Created, o.created)
	}
}

// unpacked is an image's flattened file system written to root.
type unpacked struct {
	root     string
	programs []string // regular files with an execute bit
	names    map[string]bool
}

func unpack(t *testing.T, img v1.Image, root string) unpacked {
	t.Helper()
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	out := unpacked{root: root, names: map[string]bool{}}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		name := path.Clean(hdr.Name)
		out.names[name] = true
		target := filepath.Join(root, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(target, 0o755)
		case tar.TypeReg:
			if hdr.Mode&0o111 != 0 {
				out.programs = append(out.programs, name)
			}
			err = writeFile(target, tr, os.FileMode(hdr.Mode).Perm()|0o200)
		default:
			t.Errorf("unexpected entry %s of type %c", name, hdr.Typeflag)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(target string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil { //nolint:gosec // our own image, bounded by the layer
		_ = f.Close()
		return err
	}
	return f.Close()
}

func checkFiles(t *testing.T, platform string, files unpacked) {
	t.Helper()
	slices.Sort(files.programs)
	if want := []string{"dodo-operator", "dodo-simulator", "webhook-receiver"}; !slices.Equal(files.programs, want) {
		t.Errorf("%s: programs %v, want only %v (no shell, no tools)", platform, files.programs, want)
	}
	for _, name := range []string{"etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt", "tmp", SBOMPath} {
		if !files.names[name] {
			t.Errorf("%s: %s is missing", platform, name)
		}
	}
	passwd, err := os.ReadFile(filepath.Join(files.root, "etc", "passwd"))
	if err != nil || !strings.Contains(string(passwd), "nonroot:x:65532:65532:") {
		t.Errorf("%s: /etc/passwd lacks the nonroot user: %q %v", platform, passwd, err)
	}
	checkSBOM(t, platform, filepath.Join(files.root, filepath.FromSlash(SBOMPath)))
}

// checkSBOM: an SPDX 2.3 document describing the three binaries and the modules they link.
func checkSBOM(t *testing.T, platform, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc spdxDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: SBOM is not JSON: %v", platform, err)
	}
	names := map[string]bool{}
	for _, p := range doc.Packages {
		names[p.Name] = true
	}
	described := 0
	for _, r := range doc.Relationships {
		if r.Type == "DESCRIBES" {
			described++
		}
	}
	if doc.SPDXVersion != "SPDX-2.3" || described != 3 {
		t.Errorf("%s: SBOM version %q describing %d packages, want SPDX-2.3 describing 3", platform, doc.SPDXVersion, described)
	}
	for _, want := range []string{"dodo-operator", "webhook-receiver", "dodo-simulator", "go-stdlib",
		"sigs.k8s.io/controller-runtime", "k8s.io/client-go"} {
		if !names[want] {
			t.Errorf("%s: SBOM has no package %s", platform, want)
		}
	}
}

// runHelp runs each binary of the unpacked image with --help: it must start (static, for
// this platform) and print its own flags.
func runHelp(t *testing.T, root string) {
	t.Helper()
	for binary, flag := range map[string]string{
		"dodo-operator": "-metrics-secure", "webhook-receiver": "-webhook-key-file", "dodo-simulator": "-listen",
	} {
		out, err := exec.Command(filepath.Join(root, binary), "--help").CombinedOutput()
		if err != nil {
			t.Errorf("%s --help: %v\n%s", binary, err, out)
		}
		if !strings.Contains(string(out), flag) {
			t.Errorf("%s --help does not list %s:\n%.500s", binary, flag, out)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
