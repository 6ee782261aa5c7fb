package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"strings"
)

// writeType writes one type's section.
func writeType(b *bytes.Buffer, td *typeDoc, types map[string]*typeDoc) {
	fmt.Fprintf(b, "## %s\n\n", td.name)
	if text := prose(td.doc); text != "" {
		fmt.Fprintf(b, "%s\n\n", text)
	}
	for _, rule := range validation(td.doc) {
		fmt.Fprintf(b, "- %s\n", rule)
	}
	if len(validation(td.doc)) > 0 {
		b.WriteString("\n")
	}
	if td.isEnum || len(td.enum) > 0 {
		fmt.Fprintf(b, "A string, one of:\n\n")
		for _, v := range td.enum {
			fmt.Fprintf(b, "- %s\n", v)
		}
		b.WriteString("\n")
		return
	}
	if len(td.fields) == 0 {
		return
	}
	b.WriteString("| Field | Type | Required | Description |\n|---|---|---|---|\n")
	for _, f := range td.fields {
		if f.inline {
			continue // TypeMeta: apiVersion and kind
		}
		required := "yes"
		if f.optional {
			required = "no"
		}
		desc := prose(f.doc)
		if rules := validation(f.doc); len(rules) > 0 {
			desc += "<br>" + strings.Join(rules, "<br>")
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", f.name, typeString(f.typ, types), required, desc)
	}
	b.WriteString("\n")
}

// validation renders the schema markers of a comment in words.
func validation(doc []string) []string {
	var out []string
	for _, l := range doc {
		l = strings.TrimSpace(l)
		marker, ok := strings.CutPrefix(l, "+kubebuilder:validation:")
		if !ok {
			continue
		}
		key, value, _ := strings.Cut(marker, "=")
		switch key {
		case "XValidation":
			if msg := markerArg(value, "message"); msg != "" {
				out = append(out, "Rule: "+escape(msg))
			}
		case "Enum":
			out = append(out, "One of: `"+strings.ReplaceAll(value, ";", "`, `")+"`")
		case "Minimum", "Maximum", "MinLength", "MaxLength", "MinItems", "MaxItems", "Pattern", "Format":
			out = append(out, fmt.Sprintf("%s: `%s`", key, escape(value)))
		}
	}
	return out
}

// markerArg is a quoted argument of a marker: message="..." in rule="...",message="...".
func markerArg(value, name string) string {
	i := strings.Index(value, name+"=\"")
	if i < 0 {
		return ""
	}
	rest := value[i+len(name)+2:]
	if end := strings.LastIndex(rest, "\""); end >= 0 {
		return rest[:end]
	}
	return rest
}

func escape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// typeString renders a field's type, linking the package's own types.
func typeString(e ast.Expr, types map[string]*typeDoc) string {
	switch t := e.(type) {
	case *ast.Ident:
		if td, ok := types[t.Name]; ok && (len(td.fields) > 0 || len(td.enum) > 0) {
			return fmt.Sprintf("[%s](#%s)", t.Name, strings.ToLower(t.Name))
		}
		return t.Name
	case *ast.StarExpr:
		return typeString(t.X, types)
	case *ast.ArrayType:
		return "[]" + typeString(t.Elt, types)
	case *ast.MapType:
		return "map[" + typeString(t.Key, types) + "]" + typeString(t.Value, types)
	case *ast.SelectorExpr:
		return fmt.Sprintf("%s.%s", typeString(t.X, types), t.Sel.Name)
	}
	return fmt.Sprintf("%T", e)
}

// localRefs are the package's own types a field's type names.
func localRefs(e ast.Expr, types map[string]*typeDoc) []string {
	switch t := e.(type) {
	case *ast.Ident:
		if td, ok := types[t.Name]; ok && (len(td.fields) > 0 || len(td.enum) > 0) {
			return []string{t.Name}
		}
	case *ast.StarExpr:
		return localRefs(t.X, types)
	case *ast.ArrayType:
		return localRefs(t.Elt, types)
	case *ast.MapType:
		return append(localRefs(t.Key, types), localRefs(t.Value, types)...)
	}
	return nil
}
