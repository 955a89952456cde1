package sftptest

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHDPath is where Debian's openssh-server puts sshd (scripts/ensure-sshd.sh
// installs it for `make test`).
const SSHDPath = "/usr/sbin/sshd"

// OpenSSH is a real sshd started for one test: one account (the user the
// test runs as), key authentication, and the sftp subsystem starting in
// its own directory, which holds the account's folders.
type OpenSSH struct {
	Addr       string
	User       string
	PrivateKey string
	KnownHosts string
	// Home is the account's start directory on disk.
	Home string
}

// StartOpenSSH starts `sshd -D` on a free loopback port with a generated
// host key and a config file of its own, creating dirs under the account's
// start directory. It stops the server when the test ends. It fails the
// test when sshd is not installed (make test installs it).
func StartOpenSSH(t testing.TB, dirs ...string) *OpenSSH {
	t.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		t.Fatalf("OpenSSH's server is not installed (%v): run scripts/ensure-sshd.sh (make test does)", err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	for _, d := range append([]string{""}, dirs...) {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(hostPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	hostKeyFile := filepath.Join(dir, "ssh_host_ed25519_key")
	if err := os.WriteFile(hostKeyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	clientPEM, clientPub, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	authKeys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authKeys, ssh.MarshalAuthorizedKey(clientPub), 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// sshd's privilege separation directory.
		_ = os.MkdirAll("/run/sshd", 0o755)
	}
	port := freePort(t)
	conf := strings.Join([]string{
		"Port " + strconv.Itoa(port),
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKeyFile,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + authKeys,
		"StrictModes no",
		"UsePAM no",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"AllowUsers " + u.Username,
		"Subsystem sftp internal-sftp -d " + home,
		"ForceCommand internal-sftp -d " + home,
		"AllowTcpForwarding no",
		"X11Forwarding no",
		"LogLevel VERBOSE",
		"",
	}, "\n")
	confFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(SSHDPath, "-D", "-e", "-f", confFile)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	listening := make(chan struct{})
	var logLines []string
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			logLines = append(logLines, sc.Text())
			if !once && strings.Contains(sc.Text(), "Server listening on") {
				once = true
				close(listening)
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	select {
	case <-listening:
	case <-logged:
		t.Fatalf("sshd stopped before listening:\n%s", strings.Join(logLines, "\n"))
	case <-time.After(20 * time.Second):
		t.Fatal("sshd did not start listening within 20 s")
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return &OpenSSH{
		Addr: addr, User: u.Username, PrivateKey: clientPEM, Home: home,
		KnownHosts: knownhosts.Line([]string{knownhosts.Normalize(addr)}, hostSigner.PublicKey()),
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// String describes the server for test logs.
func (o *OpenSSH) String() string { return fmt.Sprintf("sshd %s (%s)", o.Addr, o.User) }
