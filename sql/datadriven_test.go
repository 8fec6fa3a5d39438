package sql

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata expectations with the actual output")

// A testdata file is a list of cases:
//
//	parse            (or parse-one)
//	<SQL, any number of lines>
//	----
//	<expected rendering>
//	<blank line>
//
// Lines starting with # between cases are comments.
type ddCase struct {
	directive string
	input     string
	expected  string
	line      int
	comments  string // the # lines before the case, kept by -rewrite
}

func readCases(t *testing.T, path string) []ddCase {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var cases []ddCase
	var comments []string
	for i := 0; i < len(lines); {
		l := lines[i]
		if strings.HasPrefix(l, "#") {
			comments = append(comments, l)
		}
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			i++
			continue
		}
		c := ddCase{directive: strings.TrimSpace(l), line: i + 1}
		if len(comments) > 0 {
			c.comments = strings.Join(comments, "\n") + "\n"
			comments = nil
		}
		i++
		var in []string
		for i < len(lines) && lines[i] != "----" {
			in = append(in, lines[i])
			i++
		}
		if i == len(lines) {
			t.Fatalf("%s:%d: case without ----", path, c.line)
		}
		i++
		var out []string
		for i < len(lines) && lines[i] != "" {
			out = append(out, lines[i])
			i++
		}
		c.input = strings.Join(in, "\n")
		c.expected = strings.Join(out, "\n")
		cases = append(cases, c)
	}
	return cases
}

func runCase(t *testing.T, c ddCase) string {
	switch c.directive {
	case "parse":
		stmts, err := Parse(c.input)
		checkPosition(t, c.input, err)
		return render(stmts, err)
	case "parse-one":
		st, err := ParseOne(c.input)
		checkPosition(t, c.input, err)
		if st == nil {
			return render(nil, err)
		}
		return render([]Statement{st}, err)
	}
	t.Fatalf("line %d: unknown directive %q", c.line, c.directive)
	return ""
}

func TestDataDriven(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cases := readCases(t, path)
			var b strings.Builder
			for _, c := range cases {
				got := strings.TrimRight(runCase(t, c), "\n")
				if *rewrite {
					b.WriteString(c.comments + c.directive + "\n" + c.input + "\n----\n" + got + "\n\n")
					continue
				}
				if got != c.expected {
					t.Errorf("%s:%d:\n%s\ngot:\n%s\nwant:\n%s", path, c.line, c.input, got, c.expected)
				}
			}
			if *rewrite {
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
