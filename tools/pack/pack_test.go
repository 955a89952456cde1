package pack_test

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/tools/pack"
)

const hostJSON = `{"version": "2.0", "customHandler": {"description": {"defaultExecutablePath": "handler"}}}`

// fakeELF is the smallest ELF header debug/elf accepts: a 64-bit executable
// for machine, with an optional PT_INTERP program header.
func fakeELF(machine elf.Machine, interp bool) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT), byte(elf.ELFOSABI_NONE)})
	b.Write(make([]byte, 8))
	phnum := uint16(0)
	if interp {
		phnum = 1
	}
	hdr := struct {
		Type, Machine                                        uint16
		Version                                              uint32
		Entry, Phoff, Shoff                                  uint64
		Flags                                                uint32
		Ehsize, Phentsize, Phnum, Shentsize, Shnum, Shstrndx uint16
	}{uint16(elf.ET_EXEC), uint16(machine), uint32(elf.EV_CURRENT), 0x401000, 64, 0, 0, 64, 56, phnum, 64, 0, 0}
	_ = binary.Write(&b, binary.LittleEndian, hdr)
	if interp {
		_ = binary.Write(&b, binary.LittleEndian, elf.Prog64{Type: uint32(elf.PT_INTERP), Off: 0, Filesz: 1, Memsz: 1})
	}
	return b.Bytes()
}

func write(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// appTree lays out an app root with the strays a developer's checkout has.
func appTree(t *testing.T) (root, handler string) {
	t.Helper()
	root = t.TempDir()
	write(t, filepath.Join(root, "host.json"), hostJSON)
	write(t, filepath.Join(root, "functions", "health", "function.json"), `{"bindings": [{"type": "httpTrigger"}]}`)
	write(t, filepath.Join(root, "functions", "health", "NOTES.md"), "not shipped")
	write(t, filepath.Join(root, "functions", "dead-letter-watch", "function.json"), `{"bindings": [{"type": "timerTrigger"}]}`)
	write(t, filepath.Join(root, "local.settings.json"), `{"Values": {"DATABASE_URL": "postgres://secret"}}`)
	write(t, filepath.Join(root, "functions", "health", "local.settings.json"), `{}`)
	write(t, filepath.Join(root, "local.settings.sample.json"), `{}`)
	write(t, filepath.Join(root, "main.go"), "package main")
	handler = filepath.Join(root, "handler")
	require.NoError(t, os.WriteFile(handler, fakeELF(elf.EM_X86_64, false), 0o755))
	return root, handler
}

func TestWriteLaysOutTheAppRootAndKeepsTheExecuteBit(t *testing.T) {
	t.Parallel()
	root, handler := appTree(t)
	out := filepath.Join(t.TempDir(), "dist", "functionapp.zip")
	_, err := pack.WriteFile(out, pack.Config{Root: root, Handler: handler})
	require.NoError(t, err)

	zr, err := zip.OpenReader(out)
	require.NoError(t, err)
	defer zr.Close()
	var names []string
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		byName[f.Name] = f
	}
	require.Equal(t, []string{
		"host.json", "handler",
		"dead-letter-watch/", "dead-letter-watch/function.json",
		"health/", "health/function.json",
	}, names, "only host.json, the handler and each function.json; no local.settings.json, no strays")

	h := byName["handler"]
	require.Equal(t, uint16(3), h.CreatorVersion>>8, "Unix attributes, so unzip and Azure honour the mode")
	require.Equal(t, uint32(0o100755), h.ExternalAttrs>>16, "regular file, rwxr-xr-x")
	require.Equal(t, fs.FileMode(0o755), h.Mode().Perm())
	require.Equal(t, fs.FileMode(0o644), byName["host.json"].Mode().Perm())
	require.True(t, byName["health/"].Mode().IsDir())

	rc, err := byName["health/function.json"].Open()
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.JSONEq(t, `{"bindings": [{"type": "httpTrigger"}]}`, string(b))
}

func TestWriteIsReproducible(t *testing.T) {
	t.Parallel()
	root, handler := appTree(t)
	var a, b bytes.Buffer
	_, err := pack.Write(&a, pack.Config{Root: root, Handler: handler})
	require.NoError(t, err)
	_, err = pack.Write(&b, pack.Config{Root: root, Handler: handler})
	require.NoError(t, err)
	require.Equal(t, a.Bytes(), b.Bytes())
}

func TestWriteRefuses(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		change func(t *testing.T, root, handler string)
		want   string
	}{
		"AHandlerThatIsNotELF": {func(t *testing.T, _, h string) { write(t, h, "#!/bin/sh\n") }, "not an ELF executable"},
		"AHandlerForArm64": {func(t *testing.T, _, h string) {
			require.NoError(t, os.WriteFile(h, fakeELF(elf.EM_AARCH64, false), 0o755))
		}, "linux/amd64"},
		"ADynamicallyLinkedHandler": {func(t *testing.T, _, h string) {
			require.NoError(t, os.WriteFile(h, fakeELF(elf.EM_X86_64, true), 0o755))
		}, "CGO_ENABLED=0"},
		"AHostJSONStartingAnotherExecutable": {func(t *testing.T, r, _ string) {
			write(t, filepath.Join(r, "host.json"), strings.Replace(hostJSON, `"handler"`, `"handler.exe"`, 1))
		}, "defaultExecutablePath"},
		"AFunctionFolderWithoutFunctionJSON": {func(t *testing.T, r, _ string) {
			require.NoError(t, os.MkdirAll(filepath.Join(r, "functions", "empty"), 0o755))
		}, "function empty"},
		"AFunctionJSONThatIsNotJSON": {func(t *testing.T, r, _ string) {
			write(t, filepath.Join(r, "functions", "health", "function.json"), "{")
		}, "function health"},
		"AFunctionNamedHandler": {func(t *testing.T, r, _ string) {
			write(t, filepath.Join(r, "functions", "handler", "function.json"), `{"bindings": [{}]}`)
		}, "collide"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root, handler := appTree(t)
			c.change(t, root, handler)
			_, err := pack.Write(io.Discard, pack.Config{Root: root, Handler: handler})
			require.ErrorContains(t, err, c.want)
		})
	}
}

// TestPackageOfThisRepository builds the real handler as `make package` does
// and packs this repository: every function folder is in the zip, and the
// binary inside is the one that was built, executable.
func TestPackageOfThisRepository(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	dir := t.TempDir()
	handler := filepath.Join(dir, "handler")
	cmd := exec.Command("go", "build", "-o", handler, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	zipPath := filepath.Join(dir, "functionapp.zip")
	_, err = pack.WriteFile(zipPath, pack.Config{Root: root, Handler: handler})
	require.NoError(t, err)

	want := []string{"handler", "host.json"}
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	require.NoError(t, err)
	for _, d := range dirs {
		if d.IsDir() {
			want = append(want, d.Name()+"/", d.Name()+"/function.json")
		}
	}
	zr, err := zip.OpenReader(zipPath)
	require.NoError(t, err)
	defer zr.Close()
	var got []string
	for _, f := range zr.File {
		got = append(got, f.Name)
		if f.Name == "handler" {
			require.Equal(t, fs.FileMode(0o755), f.Mode().Perm())
			st, err := os.Stat(handler)
			require.NoError(t, err)
			require.Equal(t, uint64(st.Size()), f.UncompressedSize64)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	require.Equal(t, want, got)
}
