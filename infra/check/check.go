package check

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// File is the outline of one .bicep or .bicepparam file.
type File struct {
	Path       string       `json:"path"`
	Kind       string       `json:"kind"` // "bicep" or "bicepparam"
	Errors     []Diagnostic `json:"errors"`
	Params     []Param      `json:"params"`
	Vars       []Var        `json:"vars"`
	Outputs    []Symbol     `json:"outputs"`
	Modules    []Module     `json:"modules"`
	Resources  []Resource   `json:"resources"`
	Symbols    []Symbol     `json:"symbols"`
	OutputRefs []OutputRef  `json:"outputRefs"`
	Loads      []Load       `json:"loads"`
	// Using is a .bicepparam file's template, relative to the file.
	Using string `json:"using"`
	// Assignments are a .bicepparam file's `param NAME = value` lines.
	Assignments []Assignment `json:"assignments"`
}

// Diagnostic is a syntax error.
type Diagnostic struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// Param is a `param` declaration.
type Param struct {
	Name       string `json:"name"`
	Line       int    `json:"line"`
	HasDefault bool   `json:"hasDefault"`
	Secure     bool   `json:"secure"`
}

// Var is a `var` declaration. Keys are the properties of the object literals
// that make it up (the object itself, or the arguments of union()), Spreads
// the variables passed to such a call, and Value its JSON value when the
// expression is a plain literal.
type Var struct {
	Name    string          `json:"name"`
	Line    int             `json:"line"`
	Keys    []Key           `json:"keys"`
	Spreads []string        `json:"spreads"`
	Text    string          `json:"text"`
	Value   json.RawMessage `json:"value,omitempty"`
}

// Key is one property of an object literal and its value's source text.
type Key struct {
	Name  string `json:"name"`
	Line  int    `json:"line"`
	Value string `json:"value"`
}

// Symbol is a named declaration.
type Symbol struct {
	Name string `json:"name"`
	Line int    `json:"line"`
}

// Module is a `module` declaration and the names of the params it passes.
type Module struct {
	Name   string   `json:"name"`
	Line   int      `json:"line"`
	Path   string   `json:"path"`
	Params []string `json:"params"`
	// ParamsIsObject is false when params is an expression whose keys cannot be read.
	ParamsIsObject bool `json:"paramsIsObject"`
}

// Resource is a `resource` declaration.
type Resource struct {
	Name string `json:"name"`
	Line int    `json:"line"`
	Type string `json:"type"`
}

// OutputRef is a `<module>.outputs.<name>` expression.
type OutputRef struct {
	Module string `json:"module"`
	Output string `json:"output"`
	Line   int    `json:"line"`
}

// Load is a load*() call and the path it reads.
type Load struct {
	Function string `json:"function"`
	Path     string `json:"path"`
	Line     int    `json:"line"`
}

// Assignment is one `param NAME = value` of a .bicepparam file; Value is set
// when the value is a plain literal.
type Assignment struct {
	Name  string          `json:"name"`
	Line  int             `json:"line"`
	Text  string          `json:"text"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Param returns the file's parameter called name.
func (f *File) Param(name string) (Param, bool) {
	for _, p := range f.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Var returns the file's variable called name.
func (f *File) Var(name string) (Var, bool) {
	for _, v := range f.Vars {
		if v.Name == name {
			return v, true
		}
	}
	return Var{}, false
}

// Assignment returns the .bicepparam assignment of name.
func (f *File) Assignment(name string) (Assignment, bool) {
	for _, a := range f.Assignments {
		if a.Name == name {
			return a, true
		}
	}
	return Assignment{}, false
}

// Report is the outline of a set of files.
type Report struct {
	Files []*File `json:"files"`
}

// File returns the outline of the file at path (as given to Outline).
func (r *Report) File(path string) (*File, bool) {
	path = filepath.Clean(path)
	for _, f := range r.Files {
		if filepath.Clean(f.Path) == path {
			return f, true
		}
	}
	return nil, false
}

// Runner runs bicep.cjs with node.
type Runner struct {
	node    string
	modules string
	script  string
}

// NewRunner finds node, the script and the parser packages of the repository
// at root. Its error tells the reader to run `make tools`.
func NewRunner(root string) (*Runner, error) {
	r := &Runner{
		modules: filepath.Join(root, ".tools", "node_modules"),
		script:  filepath.Join(root, "infra", "check", "bicep.cjs"),
	}
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node (Node.js) on PATH")
	}
	r.node = node
	for _, p := range []string{
		filepath.Join(r.modules, "web-tree-sitter", "package.json"),
		filepath.Join(r.modules, "tree-sitter-bicep", "tree-sitter-bicep.wasm"),
	} {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	if _, err := os.Stat(r.script); err != nil {
		missing = append(missing, r.script)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the Bicep checks need %s: run `make tools`", strings.Join(missing, ", "))
	}
	return r, nil
}

// Outline parses files and returns their outlines in the same order.
func (r *Runner) Outline(ctx context.Context, files ...string) (*Report, error) {
	if len(files) == 0 {
		return &Report{}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.node, append([]string{r.script}, files...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+r.modules)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 3 {
			return nil, fmt.Errorf("parsing Bicep: %s", msg)
		}
		return nil, fmt.Errorf("parsing Bicep with %s: %w: %s", r.script, err, msg)
	}
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return nil, fmt.Errorf("reading the Bicep outline: %w", err)
	}
	if len(rep.Files) != len(files) {
		return nil, fmt.Errorf("the Bicep outline has %d files, want %d", len(rep.Files), len(files))
	}
	return &rep, nil
}

// Find lists every .bicep and .bicepparam file under dir, sorted.
func Find(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && p != dir {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".bicep") || strings.HasSuffix(p, ".bicepparam")) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Problem is one finding, at a file and line.
type Problem struct {
	File    string
	Line    int
	Message string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message) }

// Validate checks the files of a report against each other. A module or a
// `using` target must itself be in the report.
func Validate(rep *Report) []Problem {
	var out []Problem
	add := func(f *File, line int, format string, args ...any) {
		out = append(out, Problem{File: f.Path, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	target := func(f *File, rel string) (*File, bool) {
		t, ok := rep.File(filepath.Join(filepath.Dir(f.Path), filepath.FromSlash(rel)))
		return t, ok
	}
	for _, f := range rep.Files {
		for _, e := range f.Errors {
			add(f, e.Line, "column %d: %s", e.Column, e.Message)
		}
		seen := map[string]int{}
		for _, s := range f.Symbols {
			if first, ok := seen[s.Name]; ok {
				add(f, s.Line, "%q is declared twice (first on line %d)", s.Name, first)
				continue
			}
			seen[s.Name] = s.Line
		}
		for _, l := range f.Loads {
			if l.Path == "" {
				add(f, l.Line, "%s needs a literal path", l.Function)
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(f.Path), filepath.FromSlash(l.Path))); err != nil {
				add(f, l.Line, "%s(%q): no such file", l.Function, l.Path)
			}
		}
		modules := map[string]*File{}
		for _, m := range f.Modules {
			t, ok := target(f, m.Path)
			if !ok {
				add(f, m.Line, "module %s: %q is not a checked Bicep file", m.Name, m.Path)
				continue
			}
			modules[m.Name] = t
			passed := map[string]bool{}
			for _, p := range m.Params {
				passed[p] = true
				if _, ok := t.Param(p); !ok {
					add(f, m.Line, "module %s passes %q, which %s does not declare", m.Name, p, m.Path)
				}
			}
			if !m.ParamsIsObject {
				continue
			}
			for _, p := range t.Params {
				if !p.HasDefault && !passed[p.Name] {
					add(f, m.Line, "module %s does not pass %q, which %s requires", m.Name, p.Name, m.Path)
				}
			}
		}
		for _, r := range f.OutputRefs {
			t, ok := modules[r.Module]
			if !ok {
				continue
			}
			found := false
			for _, o := range t.Outputs {
				found = found || o.Name == r.Output
			}
			if !found {
				add(f, r.Line, "%s.outputs.%s: the module has no such output", r.Module, r.Output)
			}
		}
		if f.Kind == "bicepparam" {
			out = append(out, validateParams(f, target)...)
		}
	}
	return out
}

func validateParams(f *File, target func(*File, string) (*File, bool)) []Problem {
	var out []Problem
	add := func(line int, format string, args ...any) {
		out = append(out, Problem{File: f.Path, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	if f.Using == "" {
		add(1, "a parameters file needs `using '<template>.bicep'`")
		return out
	}
	t, ok := target(f, f.Using)
	if !ok {
		add(1, "using %q: not a checked Bicep file", f.Using)
		return out
	}
	set := map[string]int{}
	for _, a := range f.Assignments {
		if first, ok := set[a.Name]; ok {
			add(a.Line, "parameter %q is set twice (first on line %d)", a.Name, first)
		}
		set[a.Name] = a.Line
		if _, ok := t.Param(a.Name); !ok {
			add(a.Line, "parameter %q is not declared in %s", a.Name, f.Using)
		}
	}
	for _, p := range t.Params {
		if _, ok := set[p.Name]; !ok && !p.HasDefault {
			add(1, "parameter %q of %s has no default and is not set", p.Name, f.Using)
		}
	}
	return out
}
