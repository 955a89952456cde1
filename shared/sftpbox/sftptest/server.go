package sftptest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Config configures a Server.
type Config struct {
	// User and Password are the login; Password may be empty when
	// AuthorizedKey is set.
	User     string
	Password string
	// AuthorizedKey, when set, is accepted for User.
	AuthorizedKey ssh.PublicKey
	// Root is the directory served (default: a new temporary directory,
	// removed by Close).
	Root string
	// Dirs are created under Root at start ("out", "in").
	Dirs []string
	// Addr is where to listen (default 127.0.0.1:0).
	Addr string
}

// Server is an in-process SSH server offering the sftp subsystem.
type Server struct {
	cfg     Config
	ln      net.Listener
	hostKey ssh.Signer
	root    string
	ownRoot bool

	mu        sync.Mutex
	dropAfter int64 // next download: cut the connection after this many bytes (-1: off)
	refuseRm  bool
	refuseMv  bool
	onList    func(dir string, n int)
	onRename  func(from, to string)
	lists     int
	removed   []string
	renamed   [][2]string
	logins    int
	downUntil bool
	conns     map[net.Conn]bool
	wg        sync.WaitGroup
	closed    atomic.Bool
}

// NewServer starts a server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.User == "" {
		cfg.User = "edi"
	}
	if cfg.Password == "" && cfg.AuthorizedKey == nil {
		cfg.Password = "secret"
	}
	s := &Server{cfg: cfg, dropAfter: -1, conns: map[net.Conn]bool{}}
	if cfg.Root == "" {
		dir, err := os.MkdirTemp("", "sftptest-")
		if err != nil {
			return nil, err
		}
		s.root, s.ownRoot = dir, true
	} else {
		s.root = cfg.Root
	}
	for _, d := range cfg.Dirs {
		if err := os.MkdirAll(filepath.Join(s.root, filepath.FromSlash(d)), 0o755); err != nil {
			return nil, err
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	if s.hostKey, err = ssh.NewSignerFromKey(priv); err != nil {
		return nil, err
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if s.ln, err = net.Listen("tcp", addr); err != nil {
		return nil, err
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// User is the login.
func (s *Server) User() string { return s.cfg.User }

// Password is the login's password.
func (s *Server) Password() string { return s.cfg.Password }

// Root is the directory served.
func (s *Server) Root() string { return s.root }

// HostKey is the server's public host key.
func (s *Server) HostKey() ssh.PublicKey { return s.hostKey.PublicKey() }

// KnownHosts is the known_hosts line that pins this server.
func (s *Server) KnownHosts() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, s.hostKey.PublicKey())
}

// DropDownloadAfter makes the next download lose its connection after n bytes.
func (s *Server) DropDownloadAfter(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter = n
}

// RefuseRemove makes deletes fail (permission denied) while on.
func (s *Server) RefuseRemove(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseRm = on
}

// RefuseRename makes renames fail (permission denied) while on.
func (s *Server) RefuseRename(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseMv = on
}

// Down makes the server refuse every new connection while on (an outage).
func (s *Server) Down(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.downUntil = on
}

// OnList runs fn before each directory listing, with the listing's number
// (1, 2, ...): a test changes a file between two looks with it.
func (s *Server) OnList(fn func(dir string, n int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onList = fn
}

// OnRename runs fn after each rename (an upload arriving under its final
// name): benchmarks time arrivals with it.
func (s *Server) OnRename(fn func(from, to string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRename = fn
}

// Removed lists the paths deleted, in order.
func (s *Server) Removed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.removed...)
}

// Renamed lists the renames done, from and to.
func (s *Server) Renamed() [][2]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][2]string(nil), s.renamed...)
}

// Logins counts successful logins.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// WriteFile puts a file under the root (the partner dropping a file).
func (s *Server) WriteFile(rel string, data []byte) error {
	p := s.local(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// ReadFile reads a file under the root.
func (s *Server) ReadFile(rel string) ([]byte, error) { return os.ReadFile(s.local(rel)) }

// Files lists the regular files of a folder under the root, by name.
func (s *Server) Files(dir string) []string {
	ents, _ := os.ReadDir(s.local(dir))
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out
}

// Close stops the server and drops its connections.
func (s *Server) Close() {
	if s.closed.Swap(true) {
		return
	}
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if s.ownRoot {
		os.RemoveAll(s.root)
	}
}

func (s *Server) local(p string) string {
	clean := path.Clean("/" + strings.TrimPrefix(p, "/"))
	return filepath.Join(s.root, filepath.FromSlash(clean))
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		down := s.downUntil
		if !down {
			s.conns[c] = true
		}
		s.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

func (s *Server) serve(c net.Conn) {
	defer c.Close()
	conf := &ssh.ServerConfig{
		PasswordCallback: func(m ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if m.User() == s.cfg.User && s.cfg.Password != "" && string(pw) == s.cfg.Password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
		PublicKeyCallback: func(m ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if m.User() == s.cfg.User && s.cfg.AuthorizedKey != nil && string(k.Marshal()) == string(s.cfg.AuthorizedKey.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("key not authorized")
		},
	}
	conf.AddHostKey(s.hostKey)
	sc, chans, reqs, err := ssh.NewServerConn(c, conf)
	if err != nil {
		return
	}
	defer sc.Close()
	s.mu.Lock()
	s.logins++
	s.mu.Unlock()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for r := range creqs {
				ok := r.Type == "subsystem" && len(r.Payload) >= 4 && string(r.Payload[4:]) == "sftp"
				_ = r.Reply(ok, nil)
			}
		}()
		h := &handlers{s: s, conn: c}
		rs := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
		_ = rs.Serve()
		rs.Close()
	}
}

// handlers serve the request server from the root directory.
type handlers struct {
	s    *Server
	conn net.Conn
}

var errDenied = fmt.Errorf("permission denied: %w", os.ErrPermission)

func (h *handlers) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	f, err := os.Open(h.s.local(r.Filepath))
	if err != nil {
		return nil, err
	}
	h.s.mu.Lock()
	drop := h.s.dropAfter
	h.s.dropAfter = -1
	h.s.mu.Unlock()
	if drop < 0 {
		return f, nil
	}
	return &dropper{f: f, left: drop, conn: h.conn}, nil
}

// dropper cuts the connection once left bytes have been read.
type dropper struct {
	f    *os.File
	left int64
	conn net.Conn
	mu   sync.Mutex
}

func (d *dropper) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if off >= d.left {
		d.conn.Close()
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > d.left-off {
		p = p[:d.left-off]
	}
	return d.f.ReadAt(p, off)
}

func (d *dropper) Close() error { return d.f.Close() }

func (h *handlers) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	flags := os.O_WRONLY
	pf := r.Pflags()
	if pf.Creat {
		flags |= os.O_CREATE
	}
	if pf.Excl {
		flags |= os.O_EXCL
	}
	if pf.Trunc {
		flags |= os.O_TRUNC
	}
	if pf.Append {
		flags |= os.O_APPEND
	}
	return os.OpenFile(h.s.local(r.Filepath), flags, 0o644)
}

func (h *handlers) Filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Remove":
		h.s.mu.Lock()
		refuse := h.s.refuseRm
		h.s.mu.Unlock()
		if refuse {
			return errDenied
		}
		if err := os.Remove(h.s.local(r.Filepath)); err != nil {
			return err
		}
		h.s.mu.Lock()
		h.s.removed = append(h.s.removed, r.Filepath)
		h.s.mu.Unlock()
		return nil
	case "Rename":
		// SSH_FXP_RENAME never replaces an existing file (as OpenSSH).
		if _, err := os.Stat(h.s.local(r.Target)); err == nil {
			return os.ErrExist
		}
		return h.rename(r)
	case "Mkdir":
		return os.Mkdir(h.s.local(r.Filepath), 0o755)
	case "Rmdir":
		fi, err := os.Lstat(h.s.local(r.Filepath))
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("not a directory: %w", os.ErrInvalid)
		}
		return os.Remove(h.s.local(r.Filepath))
	case "Setstat":
		return nil
	}
	return sftp.ErrSSHFxOpUnsupported
}

// PosixRename replaces the target atomically.
func (h *handlers) PosixRename(r *sftp.Request) error { return h.rename(r) }

func (h *handlers) rename(r *sftp.Request) error {
	h.s.mu.Lock()
	refuse := h.s.refuseMv
	h.s.mu.Unlock()
	if refuse {
		return errDenied
	}
	if err := os.Rename(h.s.local(r.Filepath), h.s.local(r.Target)); err != nil {
		return err
	}
	h.s.mu.Lock()
	h.s.renamed = append(h.s.renamed, [2]string{r.Filepath, r.Target})
	fn := h.s.onRename
	h.s.mu.Unlock()
	if fn != nil {
		fn(r.Filepath, r.Target)
	}
	return nil
}

func (h *handlers) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	p := h.s.local(r.Filepath)
	switch r.Method {
	case "List":
		h.s.mu.Lock()
		h.s.lists++
		n, fn := h.s.lists, h.s.onList
		h.s.mu.Unlock()
		if fn != nil {
			fn(r.Filepath, n)
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var out []os.FileInfo
		for _, e := range ents {
			if fi, err := e.Info(); err == nil {
				out = append(out, fi)
			}
		}
		return lister(out), nil
	case "Stat", "Lstat":
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		return lister{fi}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

type lister []os.FileInfo

func (l lister) ListAt(dst []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(dst, l[off:])
	if n < len(dst) {
		return n, io.EOF
	}
	return n, nil
}

// NewKey generates an ed25519 key pair for a client: the private key as an
// OpenSSH PEM, and its public key.
func NewKey() (privatePEM string, pub ssh.PublicKey, err error) {
	pk, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return "", nil, err
	}
	pub, err = ssh.NewPublicKey(pk)
	if err != nil {
		return "", nil, err
	}
	return string(pem.EncodeToMemory(block)), pub, nil
}
