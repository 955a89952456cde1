package pack

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// HandlerName is the executable's name in the package; host.json's
// customHandler.description.defaultExecutablePath must name it.
const HandlerName = "handler"

// Config says where the pieces of the package are.
type Config struct {
	// Root is the app root: host.json and functions/<name>/function.json.
	Root string
	// Handler is the built handler binary.
	Handler string
}

// Entry is one entry of the written zip.
type Entry struct {
	Name string
	Mode fs.FileMode
	Size int64
}

// modTime is every entry's timestamp, so the same inputs give the same bytes.
var modTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

type file struct {
	name string
	mode fs.FileMode
	data []byte
}

// Write writes the package for cfg to w and returns its entries in order.
func Write(w io.Writer, cfg Config) ([]Entry, error) {
	files, err := collect(cfg)
	if err != nil {
		return nil, err
	}
	zw := zip.NewWriter(w)
	var entries []Entry
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Modified: modTime}
		h.SetMode(f.mode)
		if f.mode.IsDir() {
			h.Method = zip.Store
		} else {
			h.Method = zip.Deflate
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("adding %s: %w", f.name, err)
		}
		if _, err := fw.Write(f.data); err != nil {
			return nil, fmt.Errorf("adding %s: %w", f.name, err)
		}
		entries = append(entries, Entry{Name: f.name, Mode: f.mode, Size: int64(len(f.data))})
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("finishing the zip: %w", err)
	}
	return entries, nil
}

// WriteFile writes the package to path, replacing it only once complete.
func WriteFile(path string, cfg Config) ([]Entry, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pack-*.zip")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	entries, err := Write(tmp, cfg)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return entries, nil
}

// collect reads and checks every file of the package, in zip order:
// host.json, handler, then each function's folder and function.json.
func collect(cfg Config) ([]file, error) {
	host, err := os.ReadFile(filepath.Join(cfg.Root, "host.json"))
	if err != nil {
		return nil, fmt.Errorf("reading host.json: %w", err)
	}
	if err := checkHostJSON(host); err != nil {
		return nil, err
	}
	handler, err := os.ReadFile(cfg.Handler)
	if err != nil {
		return nil, fmt.Errorf("reading the handler: %w", err)
	}
	if err := checkHandler(handler); err != nil {
		return nil, fmt.Errorf("handler %s: %w", cfg.Handler, err)
	}
	files := []file{
		{name: "host.json", mode: 0o644, data: host},
		{name: HandlerName, mode: 0o755, data: handler},
	}

	dirs, err := os.ReadDir(filepath.Join(cfg.Root, "functions"))
	if err != nil {
		return nil, fmt.Errorf("reading the function folders: %w", err)
	}
	var names []string
	for _, d := range dirs {
		if d.IsDir() {
			names = append(names, d.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, errors.New("functions/ has no function folders")
	}
	for _, name := range names {
		if name == HandlerName || name == "host.json" {
			return nil, fmt.Errorf("function %q would collide with the file of that name", name)
		}
		p := filepath.Join(cfg.Root, "functions", name, "function.json")
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", name, err)
		}
		var fn struct {
			Bindings []json.RawMessage `json:"bindings"`
		}
		if err := json.Unmarshal(b, &fn); err != nil {
			return nil, fmt.Errorf("function %s: function.json: %w", name, err)
		}
		if len(fn.Bindings) == 0 {
			return nil, fmt.Errorf("function %s: function.json has no bindings", name)
		}
		files = append(files,
			file{name: name + "/", mode: fs.ModeDir | 0o755},
			file{name: name + "/function.json", mode: 0o644, data: b})
	}
	return files, nil
}

func checkHostJSON(b []byte) error {
	var h struct {
		Version       string `json:"version"`
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string `json:"defaultExecutablePath"`
			} `json:"description"`
		} `json:"customHandler"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return fmt.Errorf("host.json: %w", err)
	}
	if h.Version != "2.0" {
		return fmt.Errorf("host.json: version %q, want \"2.0\"", h.Version)
	}
	if got := h.CustomHandler.Description.DefaultExecutablePath; got != HandlerName {
		return fmt.Errorf("host.json: customHandler.description.defaultExecutablePath is %q; the package ships %q", got, HandlerName)
	}
	return nil
}

// checkHandler accepts only what Flex Consumption can exec: a 64-bit x86
// Linux executable with no dynamic loader (CGO_ENABLED=0).
func checkHandler(b []byte) error {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not an ELF executable (build with GOOS=linux): %w", err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return fmt.Errorf("built for %s/%s; Azure runs linux/amd64 (GOARCH=amd64)", f.Class, f.Machine)
	}
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		return fmt.Errorf("built for OS ABI %s; Azure runs linux", f.OSABI)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("ELF type %s is not an executable", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked; build with CGO_ENABLED=0")
		}
	}
	return nil
}
