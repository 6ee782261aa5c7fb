package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SBOMPath is where the image carries its SBOM.
const SBOMPath = "usr/share/sbom/dodo-operator.spdx.json"

// entry is one file or directory of a layer.
type entry struct {
	name     string // without a leading slash
	mode     int64
	uid, gid int
	dir      bool
	data     []byte // file contents, or nil with source set
	source   string // a file to copy
}

// imageLayers are the image's three layers: root filesystem, binaries, SBOM.
func imageLayers(work, arch, binDir string, ca, sbom []byte, created time.Time) ([]mutate.Addendum, error) {
	root := []entry{
		{name: "etc", mode: 0o755, dir: true},
		{name: "etc/passwd", mode: 0o644, data: []byte(
			"root:x:0:0:root:/root:/sbin/nologin\n" +
				fmt.Sprintf("nonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonrootUID, nonrootGID))},
		{name: "etc/group", mode: 0o644, data: []byte(fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", nonrootGID))},
		{name: "etc/ssl", mode: 0o755, dir: true},
		{name: "etc/ssl/certs", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: ca},
		{name: "home", mode: 0o755, dir: true},
		{name: "home/nonroot", mode: 0o700, dir: true, uid: nonrootUID, gid: nonrootGID},
		{name: "tmp", mode: 0o1777, dir: true},
	}
	bins := make([]entry, 0, len(binaries))
	for _, b := range binaries {
		bins = append(bins, entry{name: b, mode: 0o755, source: filepath.Join(binDir, b)})
	}
	sbomLayer := []entry{
		{name: "usr", mode: 0o755, dir: true},
		{name: "usr/share", mode: 0o755, dir: true},
		{name: "usr/share/sbom", mode: 0o755, dir: true},
		{name: SBOMPath, mode: 0o644, data: sbom},
	}
	var out []mutate.Addendum
	for i, l := range []struct {
		entries []entry
		comment string
	}{
		{root, "nonroot user, CA certificates, /tmp; no shell"},
		{bins, "the dodo-operator, webhook-receiver and dodo-simulator binaries"},
		{sbomLayer, "SPDX SBOM of the binaries' Go modules"},
	} {
		path := filepath.Join(work, fmt.Sprintf("%s-layer-%d.tar", arch, i))
		if err := writeTar(path, l.entries, created); err != nil {
			return nil, err
		}
		// Fastest gzip: the binaries barely compress further, and CI builds this each run.
		layer, err := tarball.LayerFromFile(path, tarball.WithMediaType(types.OCILayer),
			tarball.WithCompressionLevel(gzip.BestSpeed))
		if err != nil {
			return nil, err
		}
		out = append(out, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
			History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "hack/image: " + l.comment, Comment: l.comment}})
	}
	return out, nil
}

// writeTar writes entries as an uncompressed tar with fixed times and owners, so that the
// same inputs give the same layer digest.
func writeTar(path string, entries []entry, modTime time.Time) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	tw := tar.NewWriter(f)
	for _, e := range entries {
		if err := writeEntry(tw, e, modTime); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	return tw.Close()
}

func writeEntry(tw *tar.Writer, e entry, modTime time.Time) error {
	hdr := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.gid, ModTime: modTime, Format: tar.FormatPAX}
	if e.dir {
		hdr.Typeflag, hdr.Name = tar.TypeDir, e.name+"/"
		return tw.WriteHeader(hdr)
	}
	hdr.Typeflag = tar.TypeReg
	if e.data != nil {
		hdr.Size = int64(len(e.data))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(e.data)
		return err
	}
	src, err := os.Open(e.source)
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	info, err := src.Stat()
	if err != nil {
		return err
	}
	hdr.Size = info.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, src)
	return err
}

// tarDirectory writes the files under dir (an OCI layout) into a tar at path, in sorted
// order with fixed times: the form `skopeo copy oci-archive:` reads (crane pushes the directory).
func tarDirectory(dir, path string, modTime time.Time) error {
	var entries []entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		entries = append(entries, entry{name: filepath.ToSlash(rel), mode: 0o644, dir: d.IsDir(), source: p})
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	for i := range entries {
		if entries[i].dir {
			entries[i].mode = 0o755
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeTar(path, entries, modTime)
}
