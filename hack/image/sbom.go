package main

import (
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// SPDX 2.3 JSON, the fields this SBOM fills.
type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID           string       `json:"SPDXID"`
	Name             string       `json:"name"`
	VersionInfo      string       `json:"versionInfo"`
	DownloadLocation string       `json:"downloadLocation"`
	FilesAnalyzed    bool         `json:"filesAnalyzed"`
	LicenseConcluded string       `json:"licenseConcluded"`
	LicenseDeclared  string       `json:"licenseDeclared"`
	CopyrightText    string       `json:"copyrightText"`
	PrimaryPurpose   string       `json:"primaryPackagePurpose,omitempty"`
	ExternalRefs     []spdxExtRef `json:"externalRefs,omitempty"`
}

type spdxExtRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

var spdxIDUnsafe = regexp.MustCompile(`[^a-zA-Z0-9.-]+`)

func spdxID(kind, name string) string {
	return "SPDXRef-" + kind + "-" + strings.Trim(spdxIDUnsafe.ReplaceAllString(name, "-"), "-")
}

const noAssertion = "NOASSERTION"

// spdxSBOM describes the binaries in binDir from their embedded Go build information (the
// module list `go version -m` prints): one package per binary, one per module it links
// (with its pkg:golang purl) and the Go standard library.
func spdxSBOM(o options, arch, binDir string) ([]byte, error) {
	doc := spdxDocument{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name:              fmt.Sprintf("dodo-operator-%s-linux-%s", o.version, arch),
		DocumentNamespace: fmt.Sprintf("%s/spdx/%s/%s/linux-%s", o.source, o.version, o.revision, arch),
		CreationInfo: spdxCreationInfo{Created: o.created.Format(time.RFC3339),
			Creators: []string{"Tool: dodo-operator-hack-image", "Organization: dodo-operator"}},
	}
	modules := map[string]spdxPackage{}
	for _, b := range binaries {
		info, err := buildinfo.ReadFile(filepath.Join(binDir, b))
		if err != nil {
			return nil, fmt.Errorf("reading the build information of %s: %w", b, err)
		}
		binID := spdxID("Binary", b)
		doc.Packages = append(doc.Packages, spdxPackage{
			SPDXID: binID, Name: b, VersionInfo: o.version, DownloadLocation: o.source,
			LicenseConcluded: license, LicenseDeclared: license, CopyrightText: noAssertion,
			PrimaryPurpose: "APPLICATION",
			ExternalRefs:   []spdxExtRef{purl(info.Main.Path, o.version)},
		})
		doc.Relationships = append(doc.Relationships, spdxRelationship{"SPDXRef-DOCUMENT", "DESCRIBES", binID})
		deps := append([]module{{"stdlib", strings.TrimPrefix(info.GoVersion, "go")}}, moduleList(info)...)
		for _, m := range deps {
			id := spdxID("Module", m.path+"-"+m.version)
			if _, seen := modules[id]; !seen {
				modules[id] = modulePackage(id, m)
			}
			doc.Relationships = append(doc.Relationships, spdxRelationship{binID, "DEPENDS_ON", id})
		}
	}
	ids := make([]string, 0, len(modules))
	for id := range modules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		doc.Packages = append(doc.Packages, modules[id])
	}
	return json.MarshalIndent(doc, "", "  ")
}

type module struct{ path, version string }

// moduleList is the binary's dependencies, with replacements applied.
func moduleList(info *buildinfo.BuildInfo) []module {
	out := make([]module, 0, len(info.Deps))
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		out = append(out, module{d.Path, d.Version})
	}
	return out
}

func modulePackage(id string, m module) spdxPackage {
	p := spdxPackage{SPDXID: id, Name: m.path, VersionInfo: m.version, DownloadLocation: noAssertion,
		LicenseConcluded: noAssertion, LicenseDeclared: noAssertion, CopyrightText: noAssertion,
		PrimaryPurpose: "LIBRARY", ExternalRefs: []spdxExtRef{purl(m.path, m.version)}}
	// The purl names each module exactly; where it was fetched from is the builder's
	// GOPROXY setting, not a property of the module, hence NOASSERTION.
	if m.path == "stdlib" {
		p.Name, p.LicenseDeclared = "go-stdlib", "BSD-3-Clause"
		p.ExternalRefs = []spdxExtRef{purl("stdlib", "go"+m.version)}
	}
	return p
}

func purl(path, version string) spdxExtRef {
	return spdxExtRef{ReferenceCategory: "PACKAGE-MANAGER", ReferenceType: "purl",
		ReferenceLocator: "pkg:golang/" + path + "@" + version}
}
