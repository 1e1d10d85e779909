package luaapi

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

var update = flag.Bool("update", false, "rewrite README.md's Lua API reference from the docs")

const (
	apiBegin = "<!-- lua-api:begin (generated from luaapi's docs: go test ./luaapi -run TestREADME -update) -->\n"
	apiEnd   = "<!-- lua-api:end -->\n"
)

// luaapi/README.md's reference is the docs rendered: the docs are the one
// source, and this test fails when the file drifts from them.
func TestREADMEReference(t *testing.T) {
	const path = "README.md"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i, j := strings.Index(text, apiBegin), strings.Index(text, apiEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", apiBegin, apiEnd)
	}
	want := text[:i+len(apiBegin)] + "\n" + Reference() + "\n" + text[j:]
	if want == text {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("luaapi/README.md's reference differs from the docs; run: go test ./luaapi -run TestREADME -update")
}

// The project's README stays short enough to read: what sockshell is, how
// to start, and links to the rest.
func TestProjectREADMEIsShort(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(readme), "\n"); n > 400 {
		t.Errorf("README.md has %d lines; keep it to 400 and move detail to the documents it links", n)
	}
}

// Every relative link of the documents leads to a file that is there, and
// to a heading of it when it names one.
func TestDocumentLinks(t *testing.T) {
	docs := []string{"../README.md", "README.md", "../scripts/plugins/README.md", "../cmd/recvbench/README.md"}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := doc
			if file != "" {
				path = filepath.Join(filepath.Dir(doc), file)
			}
			content, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s links %s: %v", doc, target, err)
				continue
			}
			if anchor != "" && !slices.Contains(headingSlugs(string(content)), anchor) {
				t.Errorf("%s links %s: %s has no such heading", doc, target, path)
			}
		}
	}
}

// headingSlugs are the anchors a Markdown renderer gives the headings of
// text: lower case, punctuation dropped, spaces made hyphens.
func headingSlugs(text string) []string {
	var slugs []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		slug := strings.Map(func(r rune) rune {
			switch {
			case r == ' ':
				return '-'
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				return r
			}
			return -1
		}, title)
		slugs = append(slugs, slug)
	}
	return slugs
}

// Every file the documents' commands and text name by a path (a script,
// a sample, a test file) is in the repository, so that their instructions
// work from a fresh clone.
func TestDocumentedPathsExist(t *testing.T) {
	path := regexp.MustCompile("(?:^|[\\s`(])((?:scripts|cmd|luaapi|repl|internal|third_party)/[A-Za-z0-9_./-]+\\.(?:lua|go|md|py))")
	for _, doc := range []string{"../README.md", "README.md", "../scripts/plugins/README.md", "../cmd/recvbench/README.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		found := path.FindAllStringSubmatch(string(text), -1)
		if doc == "../README.md" && len(found) < 10 {
			t.Fatalf("%s names %d paths: not the README?", doc, len(found))
		}
		for _, m := range found {
			if _, err := os.Stat(filepath.Join("..", m[1])); err != nil {
				t.Errorf("%s names %s, which is not in the repository", doc, m[1])
			}
		}
	}
}
