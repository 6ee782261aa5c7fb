// Command apidocs writes docs/api.md, the API reference, from the Go types in api/v1alpha1:
// their doc comments, JSON names, and the kubebuilder markers that become the CRD schema
// (required, defaults and limits, CEL rules with their messages). `make api-docs` runs it and
// `make verify-generated` fails when docs/api.md is stale. Only the standard library's Go
// parser is used, so the reference follows the types without a separate tool to pin.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// typeDoc is one documented type of the package.
type typeDoc struct {
	name    string
	doc     []string // comment lines, markers included
	fields  []fieldDoc
	isRoot  bool     // a kind (the root markers sit apart from the doc comment, so by shape)
	enum    []string // for string types: the values of its constants, with their docs
	isEnum  bool
	aliasOf string
}

type fieldDoc struct {
	name     string // JSON name
	typ      ast.Expr
	doc      []string
	optional bool
	inline   bool
}

func main() {
	dir := flag.String("dir", "api/v1alpha1", "package of the API types")
	out := flag.String("out", "docs/api.md", "Markdown file to write")
	flag.Parse()
	types, err := parsePackage(*dir)
	if err == nil {
		err = os.WriteFile(*out, render(types), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apidocs:", err)
		os.Exit(1)
	}
}

// parsePackage reads the package's types, skipping generated files and tests.
func parsePackage(dir string) (map[string]*typeDoc, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	types := map[string]*typeDoc{}
	for _, path := range files {
		base := filepath.Base(path)
		if strings.HasPrefix(base, "zz_generated") || strings.HasSuffix(base, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			if gd, ok := decl.(*ast.GenDecl); ok {
				collect(gd, types)
			}
		}
	}
	return types, nil
}

// collect records the types and the typed constants of one declaration.
func collect(gd *ast.GenDecl, types map[string]*typeDoc) {
	for _, spec := range gd.Specs {
		switch s := spec.(type) {
		case *ast.TypeSpec:
			doc := commentLines(s.Doc)
			if len(doc) == 0 {
				doc = commentLines(gd.Doc)
			}
			td := typeOf(types, s.Name.Name)
			td.doc = doc
			switch t := s.Type.(type) {
			case *ast.StructType:
				td.fields = structFields(t)
				td.isRoot = isKind(td)
			case *ast.Ident:
				td.isEnum, td.aliasOf = t.Name == "string", t.Name
			}
		case *ast.ValueSpec:
			ident, ok := s.Type.(*ast.Ident)
			if !ok || len(s.Values) != 1 {
				continue
			}
			lit, ok := s.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			td := typeOf(types, ident.Name)
			td.enum = append(td.enum, fmt.Sprintf("`%s`: %s", strings.Trim(lit.Value, "\""), prose(commentLines(s.Doc))))
		}
	}
}

// isKind: embeds TypeMeta and has metadata, and is not a list.
func isKind(td *typeDoc) bool {
	inline, metadata := false, false
	for _, f := range td.fields {
		inline = inline || f.inline
		metadata = metadata || f.name == "metadata"
	}
	return inline && metadata && !strings.HasSuffix(td.name, "List")
}

func typeOf(types map[string]*typeDoc, name string) *typeDoc {
	if types[name] == nil {
		types[name] = &typeDoc{name: name}
	}
	return types[name]
}

func structFields(st *ast.StructType) []fieldDoc {
	var out []fieldDoc
	for _, f := range st.Fields.List {
		tag := ""
		if f.Tag != nil {
			tag = strings.Trim(f.Tag.Value, "`")
		}
		jsonTag := tagValue(tag, "json")
		name, opts, _ := strings.Cut(jsonTag, ",")
		if name == "-" {
			continue
		}
		doc := commentLines(f.Doc)
		fd := fieldDoc{name: name, typ: f.Type, doc: doc, inline: strings.Contains(opts, "inline"),
			optional: hasMarker(doc, "+optional") || (strings.Contains(opts, "omitempty") && !hasMarker(doc, "+required"))}
		if fd.name == "" && len(f.Names) > 0 {
			fd.name = f.Names[0].Name
		}
		out = append(out, fd)
	}
	return out
}

func tagValue(tag, key string) string {
	for _, part := range strings.Fields(tag) {
		if k, v, ok := strings.Cut(part, ":"); ok && k == key {
			return strings.Trim(v, "\"")
		}
	}
	return ""
}

func commentLines(cg *ast.CommentGroup) []string {
	if cg == nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(cg.Text()), "\n")
}

func hasMarker(doc []string, marker string) bool {
	for _, l := range doc {
		if strings.TrimSpace(l) == marker {
			return true
		}
	}
	return false
}

// prose is the comment without markers, as one paragraph.
func prose(doc []string) string {
	var words []string
	for _, l := range doc {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "+") {
			words = append(words, l)
		}
	}
	return strings.ReplaceAll(strings.Join(words, " "), "|", `\|`)
}

// sortedRoots are the kinds, in name order.
func sortedRoots(types map[string]*typeDoc) []string {
	var roots []string
	for name, td := range types {
		if td.isRoot {
			roots = append(roots, name)
		}
	}
	sort.Strings(roots)
	return roots
}

// render writes the reference: each kind, then the types it uses in the order they are met.
func render(types map[string]*typeDoc) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# API reference: billing.dodo-operator.io/v1alpha1\n\n")
	fmt.Fprintf(&b, "Generated by `make api-docs` (hack/apidocs) from the Go types in `api/v1alpha1`; do not edit.\n")
	fmt.Fprintf(&b, "`kubectl explain subscription.spec` shows the same text from the installed CRD. Validation\n")
	fmt.Fprintf(&b, "lines come from the schema markers; defaults live in code and are stated in each description.\n\n")
	seen := map[string]bool{}
	queue := sortedRoots(types)
	for _, r := range queue {
		seen[r] = true
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		td := types[name]
		writeType(&b, td, types)
		for _, f := range td.fields {
			for _, ref := range localRefs(f.typ, types) {
				if !seen[ref] {
					seen[ref] = true
					queue = append(queue, ref)
				}
			}
		}
	}
	return b.Bytes()
}
