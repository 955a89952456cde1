package blob_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/blob/blobtest"
)

// harness is one Store under contract test.
type harness struct {
	store blob.Store
	// advance moves the store's clock forward. Azure's clock is the
	// server's, so for Azure it does nothing and expiry takes real time.
	advance func(time.Duration)
}

// testStoreContract runs the behaviour both Stores share. newHarness is
// called once per subtest; every subtest uses its own container.
func testStoreContract(t *testing.T, newHarness func(t *testing.T) harness) {
	ctx := context.Background()

	t.Run("PutThenGetReturnsBytesContentTypeAndMetadata", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		data := []byte("ISA*00*          *00*...~")
		put, err := h.store.Put(ctx, c, "inbound/2025/06/850-0001.edi", data, &blob.PutOptions{
			ContentType: "application/edi-x12",
			Metadata:    map[string]string{"Partner": "acme", "run_id": "r-42"},
		})
		require.NoError(t, err)
		assert.Equal(t, c, put.Container)
		assert.Equal(t, "inbound/2025/06/850-0001.edi", put.Name)
		assert.Equal(t, int64(len(data)), put.Size)
		assert.NotEmpty(t, put.ETag)
		assert.False(t, put.LastModified.IsZero())

		got, info, err := h.store.Get(ctx, c, "inbound/2025/06/850-0001.edi")
		require.NoError(t, err)
		assert.Equal(t, data, got)
		assert.Equal(t, "application/edi-x12", info.ContentType)
		assert.Equal(t, map[string]string{"partner": "acme", "run_id": "r-42"}, info.Metadata, "keys come back in lower case")
		assert.Equal(t, put.ETag, info.ETag)
		assert.Equal(t, int64(len(data)), info.Size)
		assert.WithinDuration(t, put.LastModified, info.LastModified, time.Second)
	})

	t.Run("PutWithoutOptionsStoresDefaultContentType", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		_, err := h.store.Put(ctx, c, "empty", nil, nil)
		require.NoError(t, err)
		got, info, err := h.store.Get(ctx, c, "empty")
		require.NoError(t, err)
		assert.Empty(t, got)
		assert.Equal(t, blob.DefaultContentType, info.ContentType)
		assert.Empty(t, info.Metadata)
		assert.Equal(t, int64(0), info.Size)
	})

	t.Run("IfNotExistsRefusesSecondWriteAndKeepsOriginal", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		first, err := h.store.Put(ctx, c, "archive/a.edi", []byte("original"), &blob.PutOptions{IfNotExists: true})
		require.NoError(t, err)
		_, err = h.store.Put(ctx, c, "archive/a.edi", []byte("second"), &blob.PutOptions{IfNotExists: true})
		require.ErrorIs(t, err, blob.ErrExists)
		got, info, err := h.store.Get(ctx, c, "archive/a.edi")
		require.NoError(t, err)
		assert.Equal(t, "original", string(got))
		assert.Equal(t, first.ETag, info.ETag)
	})

	t.Run("ListReturnsPrefixMatchesSortedByName", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		etags := map[string]string{}
		for _, n := range []string{"inbound/2025/b.edi", "outbound/x.edi", "inbound/2025/a.edi", "inbound-old.edi", "inbound/2026/c.edi"} {
			info, err := h.store.Put(ctx, c, n, []byte(n), &blob.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"k": "v"}})
			require.NoError(t, err)
			etags[n] = info.ETag
		}
		cases := []struct {
			prefix string
			want   []string
		}{
			{"inbound/", []string{"inbound/2025/a.edi", "inbound/2025/b.edi", "inbound/2026/c.edi"}},
			// "-" sorts before "/": the order is by bytes, not by folders.
			{"inbound", []string{"inbound-old.edi", "inbound/2025/a.edi", "inbound/2025/b.edi", "inbound/2026/c.edi"}},
			{"inbound/2025/a", []string{"inbound/2025/a.edi"}},
			{"", []string{"inbound-old.edi", "inbound/2025/a.edi", "inbound/2025/b.edi", "inbound/2026/c.edi", "outbound/x.edi"}},
			{"nothing/", nil},
			{"inbound/20", []string{"inbound/2025/a.edi", "inbound/2025/b.edi", "inbound/2026/c.edi"}},
		}
		for _, tc := range cases {
			list, err := h.store.List(ctx, c, tc.prefix)
			require.NoError(t, err, "prefix %q", tc.prefix)
			var names []string
			for _, info := range list {
				names = append(names, info.Name)
				assert.Equal(t, c, info.Container)
				assert.Equal(t, int64(len(info.Name)), info.Size, info.Name)
				assert.Equal(t, etags[info.Name], info.ETag, info.Name)
				assert.False(t, info.LastModified.IsZero(), info.Name)
				assert.Empty(t, info.ContentType, "List leaves ContentType to Get")
				assert.Empty(t, info.Metadata, "List leaves Metadata to Get")
			}
			assert.Equal(t, tc.want, names, "prefix %q", tc.prefix)
		}
	})

	t.Run("ListOfMissingContainerIsEmpty", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		list, err := h.store.List(ctx, blobtest.ContainerName(t), "")
		require.NoError(t, err)
		assert.Empty(t, list)
	})

	t.Run("MissingBlobIsNotFound", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		_, _, err := h.store.Get(ctx, c, "never-written")
		require.ErrorIs(t, err, blob.ErrNotFound, "missing container")
		_, err = h.store.Put(ctx, c, "other", []byte("x"), nil)
		require.NoError(t, err)
		_, _, err = h.store.Get(ctx, c, "never-written")
		require.ErrorIs(t, err, blob.ErrNotFound, "missing blob")
	})

	t.Run("DeleteIsIdempotent", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		require.NoError(t, h.store.Delete(ctx, c, "a/b.edi"), "missing container")
		_, err := h.store.Put(ctx, c, "a/b.edi", []byte("x"), nil)
		require.NoError(t, err)
		require.NoError(t, h.store.Delete(ctx, c, "a/b.edi"))
		_, _, err = h.store.Get(ctx, c, "a/b.edi")
		require.ErrorIs(t, err, blob.ErrNotFound)
		require.NoError(t, h.store.Delete(ctx, c, "a/b.edi"), "already deleted")
		list, err := h.store.List(ctx, c, "")
		require.NoError(t, err)
		assert.Empty(t, list)
		// The name is free again, including as a folder.
		_, err = h.store.Put(ctx, c, "a", []byte("y"), nil)
		require.NoError(t, err)
	})

	t.Run("ETagChangesOnRewriteOfIdenticalBytes", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		first, err := h.store.Put(ctx, c, "export.csv", []byte("same"), nil)
		require.NoError(t, err)
		second, err := h.store.Put(ctx, c, "export.csv", []byte("same"), nil)
		require.NoError(t, err)
		assert.NotEqual(t, first.ETag, second.ETag)
		_, info, err := h.store.Get(ctx, c, "export.csv")
		require.NoError(t, err)
		assert.Equal(t, second.ETag, info.ETag)
		list, err := h.store.List(ctx, c, "export")
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, second.ETag, list[0].ETag)
	})

	t.Run("LockIsExclusiveAndGuardsTheBlob", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		l1, err := h.store.Lock(ctx, c, "locks/poll-sftp", 30*time.Second)
		require.NoError(t, err)
		_, err = h.store.Lock(ctx, c, "locks/poll-sftp", 30*time.Second)
		require.ErrorIs(t, err, blob.ErrLocked)

		got, info, err := h.store.Get(ctx, c, "locks/poll-sftp")
		require.NoError(t, err, "the lock blob is created")
		assert.Empty(t, got)
		assert.Equal(t, int64(0), info.Size)

		_, err = h.store.Put(ctx, c, "locks/poll-sftp", []byte("x"), nil)
		require.ErrorIs(t, err, blob.ErrLocked, "a leased blob refuses writes")
		_, err = h.store.Put(ctx, c, "locks/poll-sftp", []byte("x"), &blob.PutOptions{IfNotExists: true})
		require.ErrorIs(t, err, blob.ErrExists)
		require.ErrorIs(t, h.store.Delete(ctx, c, "locks/poll-sftp"), blob.ErrLocked)

		require.NoError(t, l1.Renew(ctx))
		require.NoError(t, l1.Release(ctx))
	})

	t.Run("ReleaseThenRelockWorks", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		// An existing blob can be the lock blob; its bytes are kept.
		_, err := h.store.Put(ctx, c, "job.lock", []byte("keep"), nil)
		require.NoError(t, err)
		l1, err := h.store.Lock(ctx, c, "job.lock", blob.MinLockTTL)
		require.NoError(t, err)
		require.NoError(t, l1.Release(ctx))
		require.NoError(t, l1.Release(ctx), "release is idempotent")
		require.ErrorIs(t, l1.Renew(ctx), blob.ErrLockLost, "a released lock cannot be renewed")

		l2, err := h.store.Lock(ctx, c, "job.lock", blob.MaxLockTTL)
		require.NoError(t, err)
		require.NoError(t, l2.Release(ctx))
		got, _, err := h.store.Get(ctx, c, "job.lock")
		require.NoError(t, err)
		assert.Equal(t, "keep", string(got))
		require.NoError(t, h.store.Delete(ctx, c, "job.lock"), "unlocked blobs can be deleted")
	})

	t.Run("ExpiredLockIsTakenOver", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		l1, err := h.store.Lock(ctx, c, "job", blob.MinLockTTL)
		require.NoError(t, err)
		h.advance(blob.MinLockTTL + time.Second)

		l2 := waitForLock(t, h.store, c, "job", blob.MinLockTTL, blob.MinLockTTL+15*time.Second)
		require.ErrorIs(t, l1.Renew(ctx), blob.ErrLockLost)
		require.NoError(t, l1.Release(ctx), "releasing a lost lock is not an error")
		_, err = h.store.Lock(ctx, c, "job", blob.MinLockTTL)
		require.ErrorIs(t, err, blob.ErrLocked, "the old holder's release left the new lock alone")
		require.NoError(t, l2.Renew(ctx))
		require.NoError(t, l2.Release(ctx))
	})

	t.Run("LockTTLOutsideLeaseLimitsIsInvalid", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		for _, ttl := range []time.Duration{0, -time.Second, 14 * time.Second, 14999 * time.Millisecond, 61 * time.Second, time.Hour} {
			_, err := h.store.Lock(ctx, c, "job", ttl)
			require.ErrorIs(t, err, blob.ErrInvalid, "ttl %s", ttl)
		}
		list, err := h.store.List(ctx, c, "")
		require.NoError(t, err)
		assert.Empty(t, list, "nothing is created for a rejected lock")
	})

	t.Run("ConcurrentPutsOfDifferentNamesAreAllListed", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		const n = 24
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				name := fmt.Sprintf("staging/%02d/part-%02d.csv", i%4, i)
				_, err := h.store.Put(ctx, c, name, bytes.Repeat([]byte{byte(i)}, i+1), nil)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		list, err := h.store.List(ctx, c, "staging/")
		require.NoError(t, err)
		require.Len(t, list, n)
		for _, info := range list {
			var i, dir int
			_, err := fmt.Sscanf(info.Name, "staging/%02d/part-%02d.csv", &dir, &i)
			require.NoError(t, err, info.Name)
			assert.Equal(t, int64(i+1), info.Size, info.Name)
		}
	})

	t.Run("CanceledContextIsRespected", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		_, err := h.store.Put(ctx, c, "x", []byte("x"), nil)
		require.NoError(t, err)
		l, err := h.store.Lock(ctx, c, "held", blob.MinLockTTL)
		require.NoError(t, err)

		canceled, cancel := context.WithCancel(ctx)
		cancel()
		_, err = h.store.Put(canceled, c, "y", []byte("y"), nil)
		assert.ErrorIs(t, err, context.Canceled, "Put")
		_, _, err = h.store.Get(canceled, c, "x")
		assert.ErrorIs(t, err, context.Canceled, "Get")
		_, err = h.store.List(canceled, c, "")
		assert.ErrorIs(t, err, context.Canceled, "List")
		assert.ErrorIs(t, h.store.Delete(canceled, c, "x"), context.Canceled, "Delete")
		_, err = h.store.Lock(canceled, c, "other", blob.MinLockTTL)
		assert.ErrorIs(t, err, context.Canceled, "Lock")
		assert.ErrorIs(t, l.Renew(canceled), context.Canceled, "Renew")
		assert.ErrorIs(t, l.Release(canceled), context.Canceled, "Release")

		// Nothing happened: y was not written, x was not deleted, the lock is held.
		_, _, err = h.store.Get(ctx, c, "y")
		require.ErrorIs(t, err, blob.ErrNotFound)
		_, _, err = h.store.Get(ctx, c, "x")
		require.NoError(t, err)
		_, err = h.store.Lock(ctx, c, "held", blob.MinLockTTL)
		require.ErrorIs(t, err, blob.ErrLocked)
		require.NoError(t, l.Release(context.WithoutCancel(canceled)))
	})

	t.Run("InvalidNamesAndOptionsAreRejectedBeforeAnyIO", func(t *testing.T) {
		t.Parallel()
		h, c := newHarness(t), blobtest.ContainerName(t)
		for _, name := range []string{"", "../x", "a//b", "a/", "/abs", `a\b`, "a/./b", "a/..", "tab\tname"} {
			_, err := h.store.Put(ctx, c, name, nil, nil)
			assert.ErrorIs(t, err, blob.ErrInvalid, "Put %q", name)
			_, _, err = h.store.Get(ctx, c, name)
			assert.ErrorIs(t, err, blob.ErrInvalid, "Get %q", name)
			assert.ErrorIs(t, h.store.Delete(ctx, c, name), blob.ErrInvalid, "Delete %q", name)
			_, err = h.store.Lock(ctx, c, name, blob.MinLockTTL)
			assert.ErrorIs(t, err, blob.ErrInvalid, "Lock %q", name)
		}
		for _, bad := range []string{"UPPER", "ab", "a_b", "-ab", "ab-", "a--b", "../etc", ".blobstore"} {
			_, err := h.store.Put(ctx, bad, "x", nil, nil)
			assert.ErrorIs(t, err, blob.ErrInvalid, "container %q", bad)
			_, err = h.store.List(ctx, bad, "")
			assert.ErrorIs(t, err, blob.ErrInvalid, "List container %q", bad)
		}
		for _, md := range []map[string]string{
			{"1st": "v"}, {"has-dash": "v"}, {"k": ""}, {"k": " padded "}, {"k": "caf\u00e9"}, {"Key": "a", "key": "b"},
		} {
			_, err := h.store.Put(ctx, c, "x", nil, &blob.PutOptions{Metadata: md})
			assert.ErrorIs(t, err, blob.ErrInvalid, "metadata %v", md)
		}
		list, err := h.store.List(ctx, c, "")
		require.NoError(t, err)
		assert.Empty(t, list)
	})
}

// waitForLock polls Lock until the previous holder's lease has expired,
// failing on any answer but ErrLocked or when the deadline passes.
func waitForLock(t *testing.T, s blob.Store, c, name string, ttl, within time.Duration) blob.Lock {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		l, err := s.Lock(context.Background(), c, name, ttl)
		if err == nil {
			return l
		}
		require.ErrorIs(t, err, blob.ErrLocked)
		select {
		case <-deadline.C:
			t.Fatalf("lock %s/%s still held after %s", c, name, within)
		case <-tick.C:
		}
	}
}
