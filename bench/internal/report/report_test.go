package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplace(t *testing.T) {
	for _, tc := range []struct {
		name, doc, section, content, want string
	}{
		{
			name:    "replaces the text between the markers",
			doc:     "# Title\n\nintro\n<!-- BEGIN peers -->\nold\ntable\n<!-- END peers -->\nprose\n",
			section: "peers", content: "new\n",
			want: "# Title\n\nintro\n<!-- BEGIN peers -->\nnew\n<!-- END peers -->\nprose\n",
		},
		{
			name:    "adds the missing final newline of the content",
			doc:     "<!-- BEGIN a -->\n<!-- END a -->\n",
			section: "a", content: "x",
			want: "<!-- BEGIN a -->\nx\n<!-- END a -->\n",
		},
		{
			name:    "empty content empties the section",
			doc:     "<!-- BEGIN a -->\nold\n<!-- END a -->",
			section: "a", content: "",
			want: "<!-- BEGIN a -->\n<!-- END a -->",
		},
		{
			name:    "leaves other sections alone",
			doc:     "<!-- BEGIN a -->\n1\n<!-- END a -->\n<!-- BEGIN b -->\n2\n<!-- END b -->\n",
			section: "b", content: "3\n",
			want: "<!-- BEGIN a -->\n1\n<!-- END a -->\n<!-- BEGIN b -->\n3\n<!-- END b -->\n",
		},
		{
			name:    "a marker of a longer name is not the marker",
			doc:     "<!-- BEGIN peers-old -->\nx\n<!-- END peers-old -->\n",
			section: "peers", content: "y\n",
			want: "<!-- BEGIN peers-old -->\nx\n<!-- END peers-old -->\n\n<!-- BEGIN peers -->\ny\n<!-- END peers -->\n",
		},
		{
			name:    "markers with spaces and CRLF line ends are found and kept",
			doc:     "intro\r\n  <!-- BEGIN a -->\r\nold\r\n<!-- END a -->  \r\nend\r\n",
			section: "a", content: "new\n",
			want: "intro\r\n  <!-- BEGIN a -->\r\nnew\n<!-- END a -->  \r\nend\r\n",
		},
		{
			name:    "a marker inside a line is text, not a marker",
			doc:     "see `<!-- BEGIN a -->` here\n",
			section: "a", content: "x\n",
			want: "see `<!-- BEGIN a -->` here\n\n<!-- BEGIN a -->\nx\n<!-- END a -->\n",
		},
		{
			name:    "appends the section to a document without a final newline",
			doc:     "# Title",
			section: "a", content: "x\n",
			want: "# Title\n\n<!-- BEGIN a -->\nx\n<!-- END a -->\n",
		},
		{
			name:    "an empty document gets only the section",
			doc:     "",
			section: "a", content: "x\n",
			want: "<!-- BEGIN a -->\nx\n<!-- END a -->\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Replace(tc.doc, tc.section, tc.content)
			if err != nil {
				t.Fatalf("Replace: %v", err)
			}
			if got != tc.want {
				t.Errorf("Replace(%q, %q, %q)\n got %q\nwant %q", tc.doc, tc.section, tc.content, got, tc.want)
			}
		})
	}
}

func TestReplaceRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, doc, section, content, wantErr string
	}{
		{"empty name", "", "", "x", "1 to 64 characters"},
		{"name with a space", "", "a b", "x", `has ' '`},
		{"name closing the comment", "", "a-->", "x", `has '>'`},
		{"BEGIN without END", "x\n<!-- BEGIN a -->\n", "a", "x", `line 2 has "<!-- BEGIN a -->" but no line has "<!-- END a -->"`},
		{"END without BEGIN", "<!-- END a -->\n", "a", "x", `line 1 has "<!-- END a -->" but no line has "<!-- BEGIN a -->"`},
		{"END before BEGIN", "<!-- END a -->\n<!-- BEGIN a -->\n", "a", "x", "comes before"},
		{"BEGIN twice", "<!-- BEGIN a -->\n<!-- BEGIN a -->\n<!-- END a -->\n", "a", "x", "lines 1 and 2"},
		{"END twice", "<!-- BEGIN a -->\n<!-- END a -->\n<!-- END a -->\n", "a", "x", "lines 2 and 3"},
		{"content holding a marker", "", "a", "x\n<!-- END a -->\ny\n", "holds its own marker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Replace(tc.doc, tc.section, tc.content)
			if err == nil {
				t.Fatalf("Replace succeeded with %q, want an error with %q", got, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestReplaceSectionRewritesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	if err := os.WriteFile(path, []byte("# Benchmarks\n<!-- BEGIN peers -->\nold\n<!-- END peers -->\nprose\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceSection(path, "peers", "new table\n"); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceSection(path, "manyapps", "other table\n"); err != nil {
		t.Fatal(err)
	}
	want := "# Benchmarks\n<!-- BEGIN peers -->\nnew table\n<!-- END peers -->\nprose\n\n<!-- BEGIN manyapps -->\nother table\n<!-- END manyapps -->\n"
	if got := readFile(t, path); got != want {
		t.Errorf("file holds\n%q\nwant\n%q", got, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after the rewrite, want the file's own 0600", info.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".benchmarks.md.*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestReplaceSectionCreatesAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.md")
	if err := ReplaceSection(path, "peers", "table"); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, path), "<!-- BEGIN peers -->\ntable\n<!-- END peers -->\n"; got != want {
		t.Errorf("file holds %q, want %q", got, want)
	}
}

func TestReplaceSectionLeavesABrokenFileAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.md")
	const broken = "# Benchmarks\n<!-- BEGIN peers -->\nno end marker\n"
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	err := ReplaceSection(path, "peers", "table\n")
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "no line has") {
		t.Fatalf("ReplaceSection = %v, want an error naming the file and the missing END marker", err)
	}
	if got := readFile(t, path); got != broken {
		t.Errorf("the file changed to %q", got)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzReplace checks, for any document that Replace accepts, that the
// section then holds exactly the new content, that the text before and
// after it is kept, and that replacing again with the same content changes
// nothing.
func FuzzReplace(f *testing.F) {
	f.Add("# T\n<!-- BEGIN s -->\nold\n<!-- END s -->\ntail\n", "new")
	f.Add("no markers", "x\ny\n")
	f.Add("<!-- END s -->\n<!-- BEGIN s -->\n", "")
	f.Add("\r\n<!-- BEGIN s -->\r\n<!-- END s -->", "a\r\n")
	f.Fuzz(func(t *testing.T, doc, content string) {
		got, err := Replace(doc, "s", content)
		if err != nil {
			return
		}
		b, e := findLines(got, beginMarker("s")), findLines(got, endMarker("s"))
		if len(b) != 1 || len(e) != 1 {
			t.Fatalf("result has %d BEGIN and %d END markers, want one each:\n%q", len(b), len(e), got)
		}
		want := content
		if want != "" && !strings.HasSuffix(want, "\n") {
			want += "\n"
		}
		if section := got[b[0].end:e[0].start]; section != want {
			t.Fatalf("section holds %q, want %q", section, want)
		}
		if old := findLines(doc, beginMarker("s")); len(old) == 1 {
			if got[:b[0].end] != doc[:old[0].end] {
				t.Fatalf("text before the section changed: %q became %q", doc[:old[0].end], got[:b[0].end])
			}
			oldEnd := findLines(doc, endMarker("s"))[0]
			if got[e[0].start:] != doc[oldEnd.start:] {
				t.Fatalf("text after the section changed: %q became %q", doc[oldEnd.start:], got[e[0].start:])
			}
		} else if !strings.HasPrefix(got, doc) {
			t.Fatalf("appending the section changed the document: %q became %q", doc, got)
		}
		again, err := Replace(got, "s", content)
		if err != nil || again != got {
			t.Fatalf("replacing again gave %q, %v; want the same document", again, err)
		}
	})
}
