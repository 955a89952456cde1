package blob

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// leaseRecord is the lock file of a blob: who holds it and until when.
// It is only read and written under the container's writer lock.
type leaseRecord struct {
	Owner   string    `json:"owner"`
	Expires time.Time `json:"expires"`
}

func readLease(path string) (leaseRecord, bool, error) {
	b, err := os.ReadFile(path)
	if isNotExist(err) {
		return leaseRecord{}, false, nil
	}
	if err != nil {
		return leaseRecord{}, false, fmt.Errorf("reading lock record: %w", err)
	}
	var l leaseRecord
	if err := json.Unmarshal(b, &l); err != nil {
		return leaseRecord{}, false, fmt.Errorf("decoding lock record %s: %w", path, err)
	}
	return l, true, nil
}

func (f *FS) writeLease(p blobPaths, l leaseRecord) error {
	tmp, err := f.writeTempJSON("lease-*", l)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.lease), 0o755); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("creating folder for lock record: %w", err)
	}
	if err := os.Rename(tmp, p.lease); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("renaming lock record into place: %w", err)
	}
	return nil
}

// checkUnleased fails with ErrLocked while a lock on the blob is live. An
// expired lock record is removed, as Azure ends an expired lease when the
// blob is written: its holder can then no longer renew.
// The caller holds the container's writer lock.
func (f *FS) checkUnleased(p blobPaths) error {
	l, ok, err := readLease(p.lease)
	if err != nil || !ok {
		return err
	}
	if f.now().Before(l.Expires) {
		return ErrLocked
	}
	if err := os.Remove(p.lease); err != nil && !isNotExist(err) {
		return fmt.Errorf("removing expired lock record: %w", err)
	}
	return nil
}

// Lock writes a lock record holding a fresh owner id and an expiry, under
// the container's writer lock, so at most one holder wins across processes.
// A record past its expiry is taken over.
func (f *FS) Lock(ctx context.Context, c, name string, ttl time.Duration) (Lock, error) {
	l, err := f.lock(ctx, c, name, ttl)
	if err != nil {
		return nil, fmt.Errorf("locking %s/%s: %w", c, name, err)
	}
	return l, nil
}

func (f *FS) lock(ctx context.Context, c, name string, ttl time.Duration) (*fsLock, error) {
	p, err := f.paths(c, name)
	if err != nil {
		return nil, err
	}
	ttl, err = normalizeTTL(ttl)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Staged before taking the writer lock, used only if the blob is missing.
	st, err := f.stage(nil, putSettings{contentType: DefaultContentType})
	if err != nil {
		return nil, fmt.Errorf("creating lock blob: %w", err)
	}
	defer st.cleanup()
	owner := newOwnerID()
	err = f.withWriteLock(ctx, c, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.checkUnleased(p); err != nil {
			return err
		}
		exists, err := f.exists(p)
		if err != nil {
			return err
		}
		if !exists {
			if err := f.commit(p, st); err != nil {
				return fmt.Errorf("creating lock blob: %w", err)
			}
		}
		return f.writeLease(p, leaseRecord{Owner: owner, Expires: f.now().Add(ttl)})
	})
	if err != nil {
		return nil, err
	}
	return &fsLock{fs: f, p: p, owner: owner, ttl: ttl}, nil
}

type fsLock struct {
	fs    *FS
	p     blobPaths
	owner string
	ttl   time.Duration

	mu       sync.Mutex
	released bool
}

// Renew extends the record if it is still ours. Like an Azure lease, a lock
// that expired but was not taken over (nor its blob written) renews.
func (l *fsLock) Renew(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := ErrLockLost
	if !l.released {
		err = l.fs.withWriteLock(ctx, l.p.container, func() error {
			rec, ok, err := readLease(l.p.lease)
			if err != nil {
				return err
			}
			if !ok || rec.Owner != l.owner {
				return ErrLockLost
			}
			return l.fs.writeLease(l.p, leaseRecord{Owner: l.owner, Expires: l.fs.now().Add(l.ttl)})
		})
	}
	if err != nil {
		return fmt.Errorf("renewing lock %s/%s: %w", l.p.container, l.p.name, err)
	}
	return nil
}

// Release removes the record if it is still ours.
func (l *fsLock) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}
	err := l.fs.withWriteLock(ctx, l.p.container, func() error {
		rec, ok, err := readLease(l.p.lease)
		if err != nil || !ok || rec.Owner != l.owner {
			return err
		}
		if err := os.Remove(l.p.lease); err != nil && !isNotExist(err) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("releasing lock %s/%s: %w", l.p.container, l.p.name, err)
	}
	l.released = true
	return nil
}
