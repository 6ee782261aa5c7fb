// Command crdunwrap joins the hard line breaks controller-gen copies from Go doc comments
// into CRD descriptions, so `kubectl explain` and IDEs wrap the text to their own width
// instead of breaking it mid-sentence. Blank lines (paragraphs) and list items stay.
//
// Usage: go run ./hack/crdunwrap FILE...   (rewrites each file in place)
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

func main() {
	for _, path := range os.Args[1:] {
		if err := rewrite(path); err != nil {
			fmt.Fprintln(os.Stderr, "crdunwrap:", err)
			os.Exit(1)
		}
	}
}

func rewrite(path string) error {
	in, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(in, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	unwrapDescriptions(&doc)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte("---\n"), out.Bytes()...), 0o644)
}

// unwrapDescriptions rewrites every mapping value under a "description" key.
func unwrapDescriptions(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			if key.Value == "description" && value.Kind == yaml.ScalarNode {
				value.Value = Unwrap(value.Value)
				if !strings.Contains(value.Value, "\n") {
					value.Style = 0 // one line needs no block scalar
				}
			}
		}
	}
	for _, child := range n.Content {
		unwrapDescriptions(child)
	}
}

// Unwrap joins lines of a paragraph with spaces. A line break is kept before a blank line,
// after one, and before a line that starts a list item or is indented (an example).
func Unwrap(text string) string {
	lines := strings.Split(text, "\n")
	var b strings.Builder
	for i, line := range lines {
		if i > 0 {
			prev := lines[i-1]
			if keepBreak(prev, line) {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(line)
	}
	return b.String()
}

func keepBreak(prev, line string) bool {
	if strings.TrimSpace(prev) == "" || strings.TrimSpace(line) == "" {
		return true
	}
	return strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") || strings.HasPrefix(line, " ") ||
		strings.HasPrefix(line, "\t") || strings.HasPrefix(prev, " ")
}
