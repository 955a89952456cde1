// Package pglocal starts a throwaway PostgreSQL server for tests and for
// local runs (tools/devrun). It never runs in Azure.
//
// The server lives in a temporary directory, listens on 127.0.0.1 on a free
// port, trades durability for speed (fsync off) unless Config.Durable asks
// for a server whose commits survive a crash, and is stopped, and its
// directory removed, by Stop. When the process that started it dies, the
// kernel stops it too (Linux parent-death signal), so a killed test run
// leaves no server behind. PostgreSQL refuses to run as root; as root the
// server runs as the "postgres" user.
package pglocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Config configures a server. Zero values pick sensible defaults.
type Config struct {
	// BinDir holds initdb and postgres; found automatically when empty.
	BinDir string
	// Dir is the parent of the data directory; a new temporary directory when empty.
	Dir string
	// Port to listen on; a free port when zero.
	Port int
	// StartTimeout bounds initdb plus start-up (default 60 s).
	StartTimeout time.Duration
	// Durable runs the server as production does: fsync, synchronous_commit
	// and full_page_writes on, and initdb syncs the new data directory, so
	// a commit is on disk when it returns. A directory on tmpfs, where
	// fsync does nothing, is refused. Off by default: tests trade
	// durability for speed.
	Durable bool
}

// Server is a running throwaway PostgreSQL.
type Server struct {
	// URL connects as the superuser "postgres" to database "postgres".
	URL string

	dir      string
	ownsDir  bool
	cmd      *exec.Cmd
	done     chan struct{}
	stopOnce sync.Once
	logPath  string
}

// Start initialises a data directory and starts the server.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	bin := cfg.BinDir
	if bin == "" {
		var err error
		if bin, err = FindBinDir(); err != nil {
			return nil, err
		}
	}
	s := &Server{done: make(chan struct{})}
	if cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "pglocal-")
		if err != nil {
			return nil, fmt.Errorf("creating data directory: %w", err)
		}
		s.dir, s.ownsDir = dir, true
	} else {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating data directory: %w", err)
		}
		s.dir = cfg.Dir
	}
	cred, err := credential()
	if err != nil {
		s.cleanup()
		return nil, err
	}
	if cred != nil {
		// The directory and its parents must be reachable by the postgres user.
		if err := chownTree(s.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			s.cleanup()
			return nil, err
		}
		// The directory's parents must let the postgres user through (a
		// temporary directory does; a checkout under /root may not).
		_ = os.Chmod(s.dir, 0o755)
	}
	if cfg.Durable {
		if err := refuseMemoryFS(s.dir); err != nil {
			s.cleanup()
			return nil, err
		}
	}
	data := filepath.Join(s.dir, "data")
	initArgs := []string{"-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"}
	durability := []string{"-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on"}
	if !cfg.Durable {
		initArgs = append(initArgs, "--no-sync")
		durability = []string{"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"}
	}
	init := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), initArgs...)
	init.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := init.CombinedOutput(); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("running initdb: %w: %s", err, lastLines(out, 5))
	}
	port := cfg.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			s.cleanup()
			return nil, err
		}
	}
	s.logPath = filepath.Join(s.dir, "postgres.log")
	logFile, err := os.Create(s.logPath)
	if err != nil {
		s.cleanup()
		return nil, fmt.Errorf("creating server log: %w", err)
	}
	if cred != nil {
		_ = logFile.Chown(int(cred.Uid), int(cred.Gid))
	}
	args := append([]string{"-D", data, "-p", strconv.Itoa(port), "-k", s.dir, "-c", "listen_addresses=127.0.0.1"},
		durability...)
	args = append(args, "-c", "max_connections=300", "-c", "shared_buffers=128MB")
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGTERM, Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		s.cleanup()
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	go func() {
		_ = s.cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	s.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(cctx, s.URL)
		cancel()
		if err == nil {
			_ = conn.Close(ctx)
			return nil
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(s.logPath)
			return fmt.Errorf("postgres exited during start-up: %s", lastLines(log, 10))
		case <-ctx.Done():
			return fmt.Errorf("waiting for postgres to accept connections: %w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// Stop shuts the server down (fast mode) and removes its directory if Start created it.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			_ = s.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
			select {
			case <-s.done:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
				<-s.done
			}
		}
		s.cleanup()
	})
}

func (s *Server) cleanup() {
	if s.ownsDir && s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// FindBinDir locates the PostgreSQL server binaries: pg_config's BINDIR when
// it holds initdb, else the newest /usr/lib/postgresql/<v>/bin, else PATH.
func FindBinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if fileExists(filepath.Join(dir, "initdb")) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL server binaries not found (need initdb and postgres): install the postgresql package")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// credential returns the postgres user's identity when running as root.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres user to own the server: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func chownTree(dir string, uid, gid int) error {
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			return fmt.Errorf("handing %s to the postgres user: %w", p, err)
		}
		return nil
	})
}

// refuseMemoryFS fails when dir is on tmpfs or ramfs, where fsync is a
// no-op and a durable server would only pretend to be.
func refuseMemoryFS(dir string) error {
	const tmpfsMagic, ramfsMagic = 0x01021994, 0x858458f6
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("checking the file system of %s: %w", dir, err)
	}
	if st.Type == tmpfsMagic || st.Type == ramfsMagic {
		return fmt.Errorf("a durable server needs a disk: %s is in memory (tmpfs); set Config.Dir", dir)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}
