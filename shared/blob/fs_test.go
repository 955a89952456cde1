package blob_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/blob"
)

// fakeClock is an injected clock that only moves when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newFS(t *testing.T, root string, clock *fakeClock) *blob.FS {
	t.Helper()
	s, err := blob.NewFS(blob.FSConfig{Root: root, Now: clock.Now})
	require.NoError(t, err)
	return s
}

func TestFSStore(t *testing.T) {
	testStoreContract(t, func(t *testing.T) harness {
		clock := newFakeClock()
		return harness{store: newFS(t, t.TempDir(), clock), advance: clock.Advance}
	})
}

func TestNewFSNamesMissingRoot(t *testing.T) {
	_, err := blob.NewFS(blob.FSConfig{})
	require.ErrorContains(t, err, "FSConfig.Root is required")
}

func TestFSRejectsPathsThatCouldEscapeTheRoot(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "store")
	s := newFS(t, root, newFakeClock())
	ctx := context.Background()

	names := []struct {
		name string
		ok   bool
	}{
		{"inbound/850.edi", true},
		{"a/b/c/d.edi", true},
		{"...", false},
		{"trailing.", false},
		{"dir./x", false},
		{"trailing ", false},
		{"a.b/c.d", true},
		{".hidden", true},
		{"dir/..data", true},
		{"spaces are fine.edi", true},
		{"", false},
		{"..", false},
		{".", false},
		{"../outside", false},
		{"../../etc/passwd", false},
		{"a/../../outside", false},
		{"a/../b", false},
		{"./a", false},
		{"a/./b", false},
		{"/etc/passwd", false},
		{"//server/share", false},
		{"a//b", false},
		{"a/", false},
		{`..\outside`, false},
		{`a\b`, false},
		{`C:\Windows`, false},
		{"nul\x00byte", false},
		{"new\nline", false},
		{strings.Repeat("x", 1025), false},
	}
	for _, tc := range names {
		t.Run(fmt.Sprintf("Name%q", shorten(tc.name)), func(t *testing.T) {
			_, err := s.Put(ctx, "box", tc.name, []byte("x"), nil)
			if tc.ok {
				require.NoError(t, err)
				got, _, err := s.Get(ctx, "box", tc.name)
				require.NoError(t, err)
				assert.Equal(t, "x", string(got))
				return
			}
			require.ErrorIs(t, err, blob.ErrInvalid)
			assert.Contains(t, err.Error(), "blob name")
			_, _, err = s.Get(ctx, "box", tc.name)
			require.ErrorIs(t, err, blob.ErrInvalid)
			require.ErrorIs(t, s.Delete(ctx, "box", tc.name), blob.ErrInvalid)
			_, err = s.Lock(ctx, "box", tc.name, blob.MinLockTTL)
			require.ErrorIs(t, err, blob.ErrInvalid)
		})
	}
	containers := []string{"", "..", "../x", "x/..", "a/b", "/abs", `a\b`, ".blobstore", "Box", "bo", strings.Repeat("a", 64), "a--b", "-ab", "ab-"}
	for _, c := range containers {
		t.Run(fmt.Sprintf("Container%q", shorten(c)), func(t *testing.T) {
			_, err := s.Put(ctx, c, "x", []byte("x"), nil)
			require.ErrorIs(t, err, blob.ErrInvalid)
			assert.Contains(t, err.Error(), "container")
			_, err = s.List(ctx, c, "")
			require.ErrorIs(t, err, blob.ErrInvalid)
		})
	}
	t.Run("PrefixesThatCouldEscapeListNothing", func(t *testing.T) {
		for _, p := range []string{"../", "../store/box/", "/etc/", "a//", `..\`} {
			list, err := s.List(ctx, "box", p)
			require.NoError(t, err, p)
			assert.Empty(t, list, p)
		}
	})
	t.Run("NothingWasWrittenOutsideTheRoot", func(t *testing.T) {
		entries, err := os.ReadDir(parent)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		assert.Equal(t, "store", entries[0].Name())
	})
}

func TestFSLayoutAndHiddenFiles(t *testing.T) {
	root := t.TempDir()
	s := newFS(t, root, newFakeClock())
	ctx := context.Background()
	_, err := s.Put(ctx, "archive", "2025/06/850.edi", []byte("ISA"), &blob.PutOptions{ContentType: "application/edi-x12", Metadata: map[string]string{"partner": "acme"}})
	require.NoError(t, err)

	t.Run("BlobIsAPlainFileAtRootContainerName", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(root, "archive", "2025", "06", "850.edi"))
		require.NoError(t, err)
		assert.Equal(t, "ISA", string(b))
		var files []string
		require.NoError(t, filepath.WalkDir(filepath.Join(root, "archive"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return err
		}))
		assert.Equal(t, []string{filepath.Join(root, "archive", "2025", "06", "850.edi")}, files, "no sidecar or temp file beside the blob")
	})

	t.Run("StrayTempFilesAreNotListed", func(t *testing.T) {
		require.NoError(t, os.WriteFile(filepath.Join(root, ".blobstore", "tmp", "data-123"), []byte("partial"), 0o644))
		list, err := s.List(ctx, "archive", "")
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, "2025/06/850.edi", list[0].Name)
	})

	t.Run("FileCopiedInByHandIsListedAndReadable", func(t *testing.T) {
		require.NoError(t, os.WriteFile(filepath.Join(root, "archive", "dropped.edi"), []byte("by hand"), 0o644))
		list, err := s.List(ctx, "archive", "dropped")
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.NotEmpty(t, list[0].ETag)
		got, info, err := s.Get(ctx, "archive", "dropped.edi")
		require.NoError(t, err)
		assert.Equal(t, "by hand", string(got))
		assert.Equal(t, list[0].ETag, info.ETag)
		assert.Equal(t, blob.DefaultContentType, info.ContentType)
		assert.Empty(t, info.Metadata)
	})

	t.Run("FileEditedInPlaceGetsNewETag", func(t *testing.T) {
		before, err := s.List(ctx, "archive", "2025/")
		require.NoError(t, err)
		p := filepath.Join(root, "archive", "2025", "06", "850.edi")
		require.NoError(t, os.WriteFile(p, []byte("ISB"), 0o644))
		require.NoError(t, os.Chtimes(p, time.Now(), time.Now().Add(time.Minute)))
		after, err := s.List(ctx, "archive", "2025/")
		require.NoError(t, err)
		assert.NotEqual(t, before[0].ETag, after[0].ETag)
		_, info, err := s.Get(ctx, "archive", "2025/06/850.edi")
		require.NoError(t, err)
		assert.Equal(t, blob.DefaultContentType, info.ContentType, "the sidecar belongs to the old version")
	})
}

func TestFSNameCannotBeBothBlobAndFolder(t *testing.T) {
	s := newFS(t, t.TempDir(), newFakeClock())
	ctx := context.Background()
	_, err := s.Put(ctx, "box", "a", []byte("x"), nil)
	require.NoError(t, err)
	_, err = s.Put(ctx, "box", "a/b", []byte("x"), nil)
	require.ErrorIs(t, err, blob.ErrInvalid)
	assert.Contains(t, err.Error(), `"a" is a blob`)

	_, err = s.Put(ctx, "box", "x/y/z", []byte("x"), nil)
	require.NoError(t, err)
	_, err = s.Put(ctx, "box", "x/y", []byte("x"), nil)
	require.ErrorIs(t, err, blob.ErrInvalid)
	_, _, err = s.Get(ctx, "box", "x/y")
	require.ErrorIs(t, err, blob.ErrNotFound, "a folder is not a blob")
	require.NoError(t, s.Delete(ctx, "box", "x/y"), "deleting a folder name deletes nothing")
	require.NoError(t, s.Delete(ctx, "box", "x/y/z"))
	_, err = s.Put(ctx, "box", "x/y", []byte("x"), nil)
	require.NoError(t, err, "emptied folders are removed")
}

func TestFSLockRules(t *testing.T) {
	ctx := context.Background()

	t.Run("ExpiredButUntakenLockRenews", func(t *testing.T) {
		clock := newFakeClock()
		s := newFS(t, t.TempDir(), clock)
		l, err := s.Lock(ctx, "jobs", "poll", blob.MinLockTTL)
		require.NoError(t, err)
		clock.Advance(blob.MinLockTTL + time.Second)
		require.NoError(t, l.Renew(ctx))
		_, err = s.Lock(ctx, "jobs", "poll", blob.MinLockTTL)
		require.ErrorIs(t, err, blob.ErrLocked, "renewed for another ttl")
	})

	t.Run("WriteAfterExpiryEndsTheLock", func(t *testing.T) {
		clock := newFakeClock()
		s := newFS(t, t.TempDir(), clock)
		l, err := s.Lock(ctx, "jobs", "poll", blob.MinLockTTL)
		require.NoError(t, err)
		clock.Advance(blob.MinLockTTL)
		_, err = s.Put(ctx, "jobs", "poll", []byte("x"), nil)
		require.NoError(t, err)
		require.ErrorIs(t, l.Renew(ctx), blob.ErrLockLost)
	})

	t.Run("TwoStoresOnOneRootShareLocks", func(t *testing.T) {
		root := t.TempDir()
		a, b := newFS(t, root, newFakeClock()), newFS(t, root, newFakeClock())
		l, err := a.Lock(ctx, "jobs", "poll", blob.MinLockTTL)
		require.NoError(t, err)
		_, err = b.Lock(ctx, "jobs", "poll", blob.MinLockTTL)
		require.ErrorIs(t, err, blob.ErrLocked)
		require.NoError(t, l.Release(ctx))
		lb, err := b.Lock(ctx, "jobs", "poll", blob.MinLockTTL)
		require.NoError(t, err)
		require.NoError(t, lb.Release(ctx))
	})

	t.Run("ManyContendersOneWinner", func(t *testing.T) {
		root := t.TempDir()
		const n = 16
		var wg sync.WaitGroup
		results := make(chan error, n)
		for range n {
			s := newFS(t, root, newFakeClock())
			wg.Go(func() {
				_, err := s.Lock(ctx, "jobs", "poll", blob.MinLockTTL)
				results <- err
			})
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			if err == nil {
				won++
				continue
			}
			require.ErrorIs(t, err, blob.ErrLocked)
		}
		assert.Equal(t, 1, won)
	})
}

// shorten keeps long table inputs out of test names.
func shorten(s string) string {
	if len(s) <= 24 {
		return s
	}
	return fmt.Sprintf("%s...(%d bytes)", s[:8], len(s))
}

const lockHelperEnv = "BLOB_TEST_LOCK_HELPER_ROOT"

// lockHelper is the other process of TestFSLockIsHeldAcrossProcesses: it
// takes a lock and exits without releasing it, as a crashed Function would.
func lockHelper(root string) int {
	s, err := blob.NewFS(blob.FSConfig{Root: root})
	if err == nil {
		_, err = s.Lock(context.Background(), "jobs", "nightly-export", blob.MaxLockTTL)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestFSLockIsHeldAcrossProcesses(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+root)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "helper process: %s", out)

	clock := newFakeClock()
	s := newFS(t, root, clock)
	ctx := context.Background()
	_, err = s.Lock(ctx, "jobs", "nightly-export", blob.MinLockTTL)
	require.ErrorIs(t, err, blob.ErrLocked, "the other process's lock outlives it until it expires")

	clock.Advance(blob.MaxLockTTL + time.Second)
	l, err := s.Lock(ctx, "jobs", "nightly-export", blob.MinLockTTL)
	require.NoError(t, err, "an expired lock is taken over")
	require.NoError(t, l.Release(ctx))
}

// A reader racing a writer must always see a sidecar that belongs to the
// bytes it read.
func TestFSGetDuringRewritesIsConsistent(t *testing.T) {
	s := newFS(t, t.TempDir(), newFakeClock())
	ctx := context.Background()
	versions := []string{"alpha", "bravo-longer", "c"}
	_, err := s.Put(ctx, "box", "hot", []byte(versions[0]), &blob.PutOptions{Metadata: map[string]string{"v": versions[0]}})
	require.NoError(t, err)

	done := make(chan struct{})
	writerErr := make(chan error, 1)
	go func() {
		defer close(done)
		for i := 1; i < 300; i++ {
			v := versions[i%len(versions)]
			if _, err := s.Put(ctx, "box", "hot", []byte(v), &blob.PutOptions{ContentType: "text/" + v, Metadata: map[string]string{"v": v}}); err != nil {
				writerErr <- err
				return
			}
		}
	}()
	reads := 0
	for running := true; running; reads++ {
		select {
		case <-done:
			running = false
		default:
		}
		got, info, err := s.Get(ctx, "box", "hot")
		require.NoError(t, err)
		assert.Equal(t, string(got), info.Metadata["v"])
		assert.Equal(t, int64(len(got)), info.Size)
	}
	select {
	case err := <-writerErr:
		require.NoError(t, err)
	default:
	}
	t.Logf("%d reads during 300 writes", reads)
}
