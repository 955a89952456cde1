package blob

import "errors"

// Sentinel errors. Implementations wrap them, so test with errors.Is.
var (
	// ErrNotFound: the blob does not exist.
	ErrNotFound = errors.New("blob: not found")
	// ErrExists: Put with IfNotExists found the blob already there.
	ErrExists = errors.New("blob: already exists")
	// ErrLocked: another holder has a lock on the blob.
	ErrLocked = errors.New("blob: locked by another holder")
	// ErrLockLost: the lock expired and was taken by another holder, or was released.
	ErrLockLost = errors.New("blob: lock lost")
	// ErrInvalid: a container name, blob name, option or lock ttl was rejected
	// before any I/O. Retrying the same call cannot succeed.
	ErrInvalid = errors.New("blob: invalid argument")
)
