package blob

import (
	"context"
	"time"
)

// Store is archive and staging storage.
type Store interface {
	// Put writes data to container/name, creating the container if needed.
	// With opts.IfNotExists it fails with ErrExists when the blob exists
	// (used to archive a file exactly once). It fails with ErrLocked while
	// another holder has a Lock on the name.
	Put(ctx context.Context, container, name string, data []byte, opts *PutOptions) (Info, error)
	// Get returns the bytes and properties; ErrNotFound when absent.
	Get(ctx context.Context, container, name string) ([]byte, Info, error)
	// List returns blobs whose names start with prefix, sorted by name.
	// A missing container gives an empty list. Each Info carries Container,
	// Name, Size, ETag and LastModified only; ContentType and Metadata are
	// left empty so that listing stays cheap (use Get for them).
	List(ctx context.Context, container, prefix string) ([]Info, error)
	// Delete removes a blob; deleting a missing blob is not an error.
	// It fails with ErrLocked while the name is locked.
	Delete(ctx context.Context, container, name string) error
	// Lock takes a lease-based lock on container/name, creating an empty
	// lock blob if missing, held for ttl (MinLockTTL..MaxLockTTL, whole
	// seconds). ErrLocked when someone else holds it.
	Lock(ctx context.Context, container, name string, ttl time.Duration) (Lock, error)
}

// Lock is a held lease on a blob. Renew it about every ttl/3 and stop the
// guarded work when Renew fails. Release it with a context that survives
// cancellation, for example context.WithoutCancel(ctx).
type Lock interface {
	// Renew extends the lock by its ttl. It returns ErrLockLost if the lock
	// expired and was taken by another holder, or was released.
	Renew(ctx context.Context) error
	// Release gives the lock up. It is idempotent, and returns nil when
	// the lock was already lost.
	Release(ctx context.Context) error
}

// PutOptions are the optional settings of Put.
type PutOptions struct {
	// ContentType defaults to DefaultContentType.
	ContentType string
	// Metadata keys are case-insensitive identifiers ([A-Za-z_][A-Za-z0-9_]*)
	// and come back in lower case; values are non-empty printable ASCII
	// without leading or trailing spaces. At most 8 KiB in all.
	Metadata map[string]string
	// IfNotExists makes Put fail with ErrExists when the blob exists.
	IfNotExists bool
}

// Info describes a stored blob.
type Info struct {
	Container string
	Name      string
	Size      int64
	// ETag is opaque and unquoted: compare it for equality only. It changes
	// on every write, even of identical content.
	ETag         string
	ContentType  string
	Metadata     map[string]string
	LastModified time.Time
}

// DefaultContentType is stored when PutOptions.ContentType is empty.
const DefaultContentType = "application/octet-stream"

// Lock durations accepted by Store.Lock (the limits of an Azure blob lease).
const (
	MinLockTTL = 15 * time.Second
	MaxLockTTL = 60 * time.Second
)
