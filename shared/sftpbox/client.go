package sftpbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/popsockets/integration/shared/audit"
	"github.com/popsockets/integration/shared/fault"
)

// Config configures a Client.
type Config struct {
	// Addr is host:port (SPS: sftp.spscommerce.com:10022).
	Addr string
	// User is the login.
	User string
	// Password and PrivateKey (PEM, unencrypted) are the credentials; at
	// least one is required, and both may be set.
	Password   string
	PrivateKey string
	// KnownHosts holds the pinned known_hosts lines for Addr, one per
	// line ("[host]:port type base64-key"); at least one must name Addr.
	KnownHosts string
	// Timeout bounds connecting and each operation's wait for the
	// network (default 30 s).
	Timeout time.Duration
	// Partner names the server in the audit trail ("SPS SFTP"; default
	// "SFTP").
	Partner string
}

// Client connects to one SFTP server. It holds no connection: each Open
// dials a new session.
type Client struct {
	cfg    Config
	auth   []ssh.AuthMethod
	pinned []ssh.PublicKey
	algos  []string
	host   string
}

// partner is the server's name in the audit trail.
func (c *Client) partner() string {
	if c.cfg.Partner != "" {
		return c.cfg.Partner
	}
	return "SFTP"
}

// status is an SFTP operation's status in the audit trail, in HTTP's
// terms (SFTP has none): 200 done, 500 failed.
func status(err error) int {
	if err != nil {
		return 500
	}
	return 200
}

// Errors the flows branch on.
var (
	// ErrHostKeyMismatch means the server offered a host key other than
	// the pinned one: the connection was refused.
	ErrHostKeyMismatch = errors.New("sftp host key does not match the pinned key")
	// ErrAuth means the server refused the credentials.
	ErrAuth = errors.New("sftp login refused")
	// ErrConnection means the connection failed or dropped.
	ErrConnection = errors.New("sftp connection failed")
)

// New validates the configuration; it does no network I/O.
func New(cfg Config) (*Client, error) {
	var missing []string
	if cfg.Addr == "" {
		missing = append(missing, "address")
	}
	if cfg.User == "" {
		missing = append(missing, "user")
	}
	if cfg.Password == "" && cfg.PrivateKey == "" {
		missing = append(missing, "password or private key")
	}
	if strings.TrimSpace(cfg.KnownHosts) == "" {
		missing = append(missing, "known_hosts line")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("sftpbox: missing %s", strings.Join(missing, ", "))
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("sftpbox: address %q is not host:port", cfg.Addr)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	c := &Client{cfg: cfg, host: knownhosts.Normalize(cfg.Addr)}
	if cfg.PrivateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(cfg.PrivateKey))
		if err != nil {
			return nil, errors.New("sftpbox: the private key is not an unencrypted PEM or OpenSSH key")
		}
		c.auth = append(c.auth, ssh.PublicKeys(signer))
	}
	if cfg.Password != "" {
		pw := cfg.Password
		c.auth = append(c.auth, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
				out := make([]string, len(qs))
				for i := range qs {
					out[i] = pw
				}
				return out, nil
			}))
	}
	pinned, err := parsePinned(cfg.KnownHosts, c.host)
	if err != nil {
		return nil, err
	}
	c.pinned = pinned
	seen := map[string]bool{}
	for _, k := range pinned {
		for _, a := range algorithmsFor(k.Type()) {
			if !seen[a] {
				seen[a] = true
				c.algos = append(c.algos, a)
			}
		}
	}
	return c, nil
}

// parsePinned reads the known_hosts lines that name host.
func parsePinned(lines, host string) ([]ssh.PublicKey, error) {
	var keys []ssh.PublicKey
	rest := []byte(lines)
	n := 0
	for len(bytes.TrimSpace(rest)) > 0 {
		n++
		marker, hosts, key, _, next, err := ssh.ParseKnownHosts(rest)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("sftpbox: known_hosts line %d is not a known_hosts entry: %v", n, err)
		}
		rest = next
		if marker == "@revoked" {
			continue
		}
		for _, h := range hosts {
			if h == host || knownhosts.Normalize(h) == host {
				keys = append(keys, key)
				break
			}
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("sftpbox: no known_hosts line names %s (write the entry as %s <type> <key>)", host, host)
	}
	return keys, nil
}

// algorithmsFor lists the host-key algorithms that a key type verifies.
func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

func (c *Client) checkHostKey(_ string, _ net.Addr, key ssh.PublicKey) error {
	for _, k := range c.pinned {
		if k.Type() == key.Type() && bytes.Equal(k.Marshal(), key.Marshal()) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s offered %s %s", ErrHostKeyMismatch, c.host, key.Type(), ssh.FingerprintSHA256(key))
}

// Session is one open SFTP connection. Close it when done.
type Session struct {
	c    *Client
	ssh  *ssh.Client
	sftp *sftp.Client
}

// Open connects and starts the sftp subsystem.
func (c *Client) Open(ctx context.Context) (*Session, error) {
	conf := &ssh.ClientConfig{
		User: c.cfg.User, Auth: c.auth, HostKeyCallback: c.checkHostKey,
		HostKeyAlgorithms: c.algos, Timeout: c.cfg.Timeout,
	}
	d := net.Dialer{Timeout: c.cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, transient(fmt.Errorf("%w: dialing %s: %v", ErrConnection, c.cfg.Addr, err))
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(c.cfg.Timeout))
	sc, chans, reqs, err := ssh.NewClientConn(conn, c.cfg.Addr, conf)
	stop()
	if err != nil {
		conn.Close()
		switch {
		case errors.Is(err, ErrHostKeyMismatch):
			return nil, transient(err)
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, transient(fmt.Errorf("%w: %s as %s", ErrAuth, c.cfg.Addr, c.cfg.User))
		}
		return nil, transient(fmt.Errorf("%w: ssh handshake with %s: %v", ErrConnection, c.cfg.Addr, err))
	}
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(sc, chans, reqs)
	s, err := sftp.NewClient(client)
	if err != nil {
		client.Close()
		return nil, transient(fmt.Errorf("%w: starting sftp on %s: %v", ErrConnection, c.cfg.Addr, err))
	}
	sess := &Session{c: c, ssh: client, sftp: s}
	return sess, nil
}

// Close ends the session.
func (s *Session) Close() error {
	err := s.sftp.Close()
	if cerr := s.ssh.Close(); err == nil {
		err = cerr
	}
	return err
}

// File is one entry of a folder.
type File struct {
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
}

// List returns the regular files of dir whose names start with prefix
// (any name when prefix is empty), sorted by name. Temporary names (a
// leading dot, a .part or .tmp suffix) are skipped.
func (s *Session) List(ctx context.Context, dir, prefix string) ([]File, error) {
	infos, err := s.sftp.ReadDirContext(ctx, dir)
	if err != nil {
		return nil, s.fail("listing "+dir, err)
	}
	var out []File
	for _, fi := range infos {
		name := fi.Name()
		if !fi.Mode().IsRegular() || !strings.HasPrefix(name, prefix) || temporary(name) {
			continue
		}
		out = append(out, File{Name: name, Path: path.Join(dir, name), Size: fi.Size(), ModTime: fi.ModTime().UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func temporary(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".part") || strings.HasSuffix(name, ".tmp")
}

// MaxFile bounds a download (SPS documents are far smaller).
const MaxFile = 64 << 20

// Download reads f whole. It fails when fewer bytes arrive than the
// server reported, or the file changed size meanwhile.
func (s *Session) Download(ctx context.Context, f File) (data []byte, err error) {
	start := time.Now()
	defer func() {
		audit.Call(ctx, s.c.partner(), "GET", f.Path, status(err), int64(len(data)), time.Since(start), err)
	}()
	if f.Size > MaxFile {
		return nil, fault.Permanentf("sftp file %s is %d bytes, over the %d-byte limit", f.Path, f.Size, MaxFile)
	}
	fh, err := s.sftp.Open(f.Path)
	if err != nil {
		return nil, s.fail("opening "+f.Path, err)
	}
	defer fh.Close()
	stop := context.AfterFunc(ctx, func() { s.ssh.Close() })
	defer stop()
	var buf bytes.Buffer
	buf.Grow(int(f.Size))
	n, err := io.Copy(&buf, io.LimitReader(fh, MaxFile+1))
	if err != nil {
		return nil, s.fail(fmt.Sprintf("downloading %s (after %d of %d bytes)", f.Path, n, f.Size), err)
	}
	if n != f.Size {
		return nil, transient(fmt.Errorf("%w: downloading %s: got %d bytes, the listing said %d (still being written, or the transfer broke)",
			ErrConnection, f.Path, n, f.Size))
	}
	return buf.Bytes(), nil
}

// Upload writes data to dir/name: first to a temporary name in dir, then,
// once its size checks out, renamed into place. An existing file of that
// name is an error (names are unique by construction), unless it already
// holds exactly data, which is a repeat of an upload that succeeded.
func (s *Session) Upload(ctx context.Context, dir, name string, data []byte) (err error) {
	final := path.Join(dir, name)
	start := time.Now()
	defer func() {
		audit.Call(ctx, s.c.partner(), "PUT", final, status(err), int64(len(data)), time.Since(start), err)
	}()
	if fi, err := s.sftp.Stat(final); err == nil {
		if fi.Size() == int64(len(data)) {
			if same, err := s.sameContent(final, data); err == nil && same {
				return nil
			}
		}
		return fault.Permanentf("sftp upload: %s already exists with other content", final)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(dir, "."+name+"."+hex.EncodeToString(rnd[:])+".part")
	fh, err := s.sftp.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return s.fail("creating "+tmp, err)
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		s.removeQuietly(tmp)
		return s.fail("writing "+tmp, err)
	}
	if err := fh.Close(); err != nil {
		s.removeQuietly(tmp)
		return s.fail("closing "+tmp, err)
	}
	fi, err := s.sftp.Stat(tmp)
	if err != nil {
		s.removeQuietly(tmp)
		return s.fail("checking "+tmp, err)
	}
	if fi.Size() != int64(len(data)) {
		s.removeQuietly(tmp)
		return transient(fmt.Errorf("%w: %s holds %d bytes after writing %d", ErrConnection, tmp, fi.Size(), len(data)))
	}
	if _, ok := s.sftp.HasExtension("posix-rename@openssh.com"); ok {
		err = s.sftp.PosixRename(tmp, final)
	} else {
		err = s.sftp.Rename(tmp, final)
	}
	if err != nil {
		s.removeQuietly(tmp)
		return s.fail(fmt.Sprintf("renaming %s to %s", tmp, final), err)
	}
	return nil
}

func (s *Session) sameContent(p string, data []byte) (bool, error) {
	fh, err := s.sftp.Open(p)
	if err != nil {
		return false, err
	}
	defer fh.Close()
	got, err := io.ReadAll(io.LimitReader(fh, int64(len(data))+1))
	if err != nil {
		return false, err
	}
	return bytes.Equal(got, data), nil
}

func (s *Session) removeQuietly(p string) { _ = s.sftp.Remove(p) }

// Remove deletes a file. A file already gone is not an error (an earlier
// run deleted it and crashed before saying so).
func (s *Session) Remove(ctx context.Context, p string) error {
	err := s.sftp.Remove(p)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return s.fail("deleting "+p, err)
}

// MkdirAll makes dir and its parents (tests and local runs set up folders).
func (s *Session) MkdirAll(dir string) error {
	if err := s.sftp.MkdirAll(dir); err != nil {
		return s.fail("creating "+dir, err)
	}
	return nil
}

// fail classifies an sftp error: a lost connection or a server failure is
// transient; "no such file" and "permission denied" are too (a file may
// come back, a permission may be fixed), with the server's words.
func (s *Session) fail(doing string, err error) error {
	if errors.Is(err, sftp.ErrSSHFxConnectionLost) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) {
		return transient(fmt.Errorf("%w: %s: %v", ErrConnection, doing, err))
	}
	return transient(fmt.Errorf("sftp %s: %w", doing, err))
}

func transient(err error) error { return fault.Transient(err, 0) }
