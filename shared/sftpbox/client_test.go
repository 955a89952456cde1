package sftpbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/sftpbox"
	"github.com/popsockets/integration/shared/sftpbox/sftptest"
)

func inProcess(t *testing.T) (*sftptest.Server, *sftpbox.Client) {
	t.Helper()
	srv, err := sftptest.NewServer(sftptest.Config{Dirs: []string{"out", "in"}})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	c, err := sftpbox.New(sftpbox.Config{Addr: srv.Addr(), User: srv.User(), Password: srv.Password(), KnownHosts: srv.KnownHosts(),
		Timeout: 5 * time.Second})
	require.NoError(t, err)
	return srv, c
}

func open(t *testing.T, c *sftpbox.Client) *sftpbox.Session {
	t.Helper()
	s, err := c.Open(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// TestAgainstOpenSSH runs the whole discipline against a real sshd:
// list, two looks, download, upload through a temporary name, delete.
func TestAgainstOpenSSH(t *testing.T) {
	t.Parallel()
	o := sftptest.StartOpenSSH(t, "out", "in")
	ctx := context.Background()
	c, err := sftpbox.New(sftpbox.Config{Addr: o.Addr, User: o.User, PrivateKey: o.PrivateKey, KnownHosts: o.KnownHosts})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(o.Home, "out", "PO123.xml"), []byte("<Orders/>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(o.Home, "out", "ED1.xml"), []byte("other"), 0o644))
	s := open(t, c)

	t.Run("ListsOnlyThePrefix", func(t *testing.T) {
		files, err := s.List(ctx, "out", "PO")
		require.NoError(t, err)
		require.Len(t, files, 1)
		require.Equal(t, "out/PO123.xml", files[0].Path)
		require.EqualValues(t, 9, files[0].Size)
	})
	t.Run("TakesAFileStableAcrossTwoLooks", func(t *testing.T) {
		first, err := s.List(ctx, "out", "PO")
		require.NoError(t, err)
		require.Empty(t, sftpbox.Stable(nil, first), "one look is not enough")
		second, err := s.List(ctx, "out", "PO")
		require.NoError(t, err)
		require.Len(t, sftpbox.Stable(sftpbox.Looks(first), second), 1)
	})
	t.Run("DownloadsWhole", func(t *testing.T) {
		files, _ := s.List(ctx, "out", "PO")
		b, err := s.Download(ctx, files[0])
		require.NoError(t, err)
		require.Equal(t, "<Orders/>", string(b))
	})
	t.Run("UploadsThroughATemporaryNameAndRenames", func(t *testing.T) {
		require.NoError(t, s.Upload(ctx, "in", "SH1.xml", []byte("<Shipments/>")))
		b, err := os.ReadFile(filepath.Join(o.Home, "in", "SH1.xml"))
		require.NoError(t, err)
		require.Equal(t, "<Shipments/>", string(b))
		ents, _ := os.ReadDir(filepath.Join(o.Home, "in"))
		require.Len(t, ents, 1, "no temporary file left behind")
		require.NoError(t, s.Upload(ctx, "in", "SH1.xml", []byte("<Shipments/>")), "a repeat of the same upload is fine")
		err = s.Upload(ctx, "in", "SH1.xml", []byte("<Shipments>other</Shipments>"))
		require.Error(t, err, "a different file never replaces one we sent")
	})
	t.Run("DeletesAndToleratesAMissingFile", func(t *testing.T) {
		require.NoError(t, s.Remove(ctx, "out/PO123.xml"))
		require.NoError(t, s.Remove(ctx, "out/PO123.xml"))
		_, err := os.Stat(filepath.Join(o.Home, "out", "PO123.xml"))
		require.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("RefusesAnotherHostKey", func(t *testing.T) {
		other, err := sftptest.NewServer(sftptest.Config{})
		require.NoError(t, err)
		defer other.Close()
		// The pin names this sshd's address but another server's key.
		line := strings.Replace(other.KnownHosts(), "["+strings.Replace(other.Addr(), ":", "]:", 1), "["+strings.Replace(o.Addr, ":", "]:", 1), 1)
		c, err := sftpbox.New(sftpbox.Config{Addr: o.Addr, User: o.User, PrivateKey: o.PrivateKey, KnownHosts: line})
		require.NoError(t, err)
		_, err = c.Open(ctx)
		require.ErrorIs(t, err, sftpbox.ErrHostKeyMismatch)
	})
}

func TestHostKeyIsPinned(t *testing.T) {
	t.Parallel()
	srv, _ := inProcess(t)
	other, err := sftptest.NewServer(sftptest.Config{})
	require.NoError(t, err)
	defer other.Close()
	t.Run("MismatchIsRefused", func(t *testing.T) {
		line := strings.Replace(other.KnownHosts(), other.Addr()[strings.LastIndex(other.Addr(), ":"):], srv.Addr()[strings.LastIndex(srv.Addr(), ":"):], 1)
		c, err := sftpbox.New(sftpbox.Config{Addr: srv.Addr(), User: srv.User(), Password: srv.Password(), KnownHosts: line})
		require.NoError(t, err)
		_, err = c.Open(context.Background())
		require.ErrorIs(t, err, sftpbox.ErrHostKeyMismatch)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		require.Zero(t, srv.Logins(), "no credentials were sent")
	})
	t.Run("NoLineForTheHostIsAConfigurationError", func(t *testing.T) {
		_, err := sftpbox.New(sftpbox.Config{Addr: srv.Addr(), User: "u", Password: "p", KnownHosts: other.KnownHosts()})
		require.ErrorContains(t, err, "no known_hosts line names")
	})
	t.Run("NoPinIsRefused", func(t *testing.T) {
		_, err := sftpbox.New(sftpbox.Config{Addr: srv.Addr(), User: "u", Password: "p"})
		require.ErrorContains(t, err, "known_hosts")
	})
	t.Run("WrongPasswordIsAnAuthError", func(t *testing.T) {
		c, err := sftpbox.New(sftpbox.Config{Addr: srv.Addr(), User: srv.User(), Password: "wrong", KnownHosts: srv.KnownHosts()})
		require.NoError(t, err)
		_, err = c.Open(context.Background())
		require.ErrorIs(t, err, sftpbox.ErrAuth)
	})
}

func TestKeyAuthentication(t *testing.T) {
	t.Parallel()
	pemKey, pub, err := sftptest.NewKey()
	require.NoError(t, err)
	srv, err := sftptest.NewServer(sftptest.Config{User: "nav", AuthorizedKey: pub, Dirs: []string{"out"}})
	require.NoError(t, err)
	defer srv.Close()
	c, err := sftpbox.New(sftpbox.Config{Addr: srv.Addr(), User: "nav", PrivateKey: pemKey, KnownHosts: srv.KnownHosts()})
	require.NoError(t, err)
	s := open(t, c)
	_, err = s.List(context.Background(), "out", "")
	require.NoError(t, err)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("ConnectionDroppedMidDownloadIsAnErrorNotAShortFile", func(t *testing.T) {
		srv, c := inProcess(t)
		require.NoError(t, srv.WriteFile("out/PO1.xml", []byte(strings.Repeat("x", 100000))))
		s := open(t, c)
		files, err := s.List(ctx, "out", "PO")
		require.NoError(t, err)
		srv.DropDownloadAfter(40000)
		_, err = s.Download(ctx, files[0])
		require.ErrorIs(t, err, sftpbox.ErrConnection)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})
	t.Run("DeleteRefusedIsReported", func(t *testing.T) {
		srv, c := inProcess(t)
		require.NoError(t, srv.WriteFile("out/PO1.xml", []byte("x")))
		srv.RefuseRemove(true)
		s := open(t, c)
		err := s.Remove(ctx, "out/PO1.xml")
		require.ErrorContains(t, err, "permission denied")
		require.Equal(t, []string{"PO1.xml"}, srv.Files("out"), "the file is still there")
	})
	t.Run("RenameRefusedLeavesNoFileBehind", func(t *testing.T) {
		srv, c := inProcess(t)
		srv.RefuseRename(true)
		s := open(t, c)
		err := s.Upload(ctx, "in", "SH1.xml", []byte("<x/>"))
		require.Error(t, err)
		require.Empty(t, srv.Files("in"), "neither the final nor the temporary name")
	})
	t.Run("ServerDownIsTransient", func(t *testing.T) {
		srv, c := inProcess(t)
		srv.Down(true)
		_, err := c.Open(ctx)
		require.ErrorIs(t, err, sftpbox.ErrConnection)
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})
	t.Run("AFileStillBeingWrittenIsNotStable", func(t *testing.T) {
		srv, c := inProcess(t)
		require.NoError(t, srv.WriteFile("out/PO1.xml", []byte("<Ord")))
		srv.OnList(func(dir string, n int) {
			if n == 2 {
				_ = srv.WriteFile("out/PO1.xml", []byte("<Orders/>"))
			}
		})
		s := open(t, c)
		first, err := s.List(ctx, "out", "PO")
		require.NoError(t, err)
		second, err := s.List(ctx, "out", "PO")
		require.NoError(t, err)
		require.Empty(t, sftpbox.Stable(sftpbox.Looks(first), second))
		third, err := s.List(ctx, "out", "PO")
		require.NoError(t, err)
		require.Len(t, sftpbox.Stable(sftpbox.Looks(second), third), 1)
	})
}

func TestStable(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f := func(size int64, mt time.Time) sftpbox.File {
		return sftpbox.File{Path: "out/PO1", Size: size, ModTime: mt}
	}
	for _, tc := range []struct {
		name string
		prev map[string]sftpbox.Look
		now  sftpbox.File
		want bool
	}{
		{"FirstLookIsNotEnough", nil, f(10, at), false},
		{"SameSizeAndTimeIsStable", map[string]sftpbox.Look{"out/PO1": {10, at}}, f(10, at), true},
		{"GrownIsNotStable", map[string]sftpbox.Look{"out/PO1": {5, at}}, f(10, at), false},
		{"TouchedIsNotStable", map[string]sftpbox.Look{"out/PO1": {10, at}}, f(10, at.Add(time.Second)), false},
		{"EmptyIsNeverStable", map[string]sftpbox.Look{"out/PO1": {0, at}}, f(0, at), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sftpbox.Stable(tc.prev, []sftpbox.File{tc.now})
			require.Equal(t, tc.want, len(got) == 1)
		})
	}
	_ = errors.New
}
