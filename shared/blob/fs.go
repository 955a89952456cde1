package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FSConfig configures NewFS.
type FSConfig struct {
	// Root is the directory that holds the containers. It is created if missing.
	Root string
	// Now is the clock for LastModified and lock expiry; nil means time.Now.
	Now func() time.Time
}

// FS is a Store on a local directory, for local runs. A blob lives at
// Root/<container>/<name>; its content type and metadata live in a sidecar
// under Root/.blobstore, which also holds temporary files, lock records and
// the per-container lock files that serialise writers across processes.
//
// A blob's ETag derives from its data file: inode, size and a modification
// time that Put makes unique. So List costs one stat per blob and reads no
// sidecar, and a file copied in by hand is listed like any other. The
// sidecar records the ETag of the version it describes, which is how Get
// pairs the two when a rewrite races it.
//
// Locks and writers are coordinated across processes with flock on Linux,
// macOS and the BSDs; elsewhere only within one process.
//
// A name cannot be both a blob and a folder of other blobs ("a" and "a/b"):
// such a Put fails with ErrInvalid, where Azure would accept it.
type FS struct {
	root string
	now  func() time.Time

	mu        sync.Mutex
	sems      map[string]chan struct{} // one writer per container in this process
	lastMtime int64                    // last modification time handed out, in ns
}

var _ Store = (*FS)(nil)

const internalDir = ".blobstore" // not a valid container name, so never listed

// NewFS checks cfg and creates the root and its internal folders.
func NewFS(cfg FSConfig) (*FS, error) {
	if cfg.Root == "" {
		return nil, errors.New("configuring filesystem blob store: FSConfig.Root is required")
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("configuring filesystem blob store: resolving FSConfig.Root: %w", err)
	}
	f := &FS{root: root, now: cfg.Now, sems: map[string]chan struct{}{}}
	if f.now == nil {
		f.now = time.Now
	}
	for _, d := range []string{f.tmpDir(), f.locksDir(), f.metaDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("configuring filesystem blob store: creating %s: %w", d, err)
		}
	}
	return f, nil
}

func (f *FS) tmpDir() string   { return filepath.Join(f.root, internalDir, "tmp") }
func (f *FS) locksDir() string { return filepath.Join(f.root, internalDir, "locks") }
func (f *FS) metaDir() string  { return filepath.Join(f.root, internalDir, "meta") }

// blobPaths are the files behind one blob.
type blobPaths struct {
	container, name string
	dataRoot        string // Root/<container>
	data            string // Root/<container>/<name>
	metaRoot        string // Root/.blobstore/meta/<container>
	meta            string // sidecar: etag, content type, metadata
	lease           string // lock record
}

func (f *FS) paths(c, name string) (blobPaths, error) {
	if err := validateBlob(c, name); err != nil {
		return blobPaths{}, err
	}
	rel := filepath.FromSlash(name)
	p := blobPaths{
		container: c,
		name:      name,
		dataRoot:  filepath.Join(f.root, c),
		metaRoot:  filepath.Join(f.metaDir(), c),
	}
	p.data = filepath.Join(p.dataRoot, rel)
	p.meta = filepath.Join(p.metaRoot, rel) + ".meta"
	p.lease = filepath.Join(p.metaRoot, rel) + ".lease"
	// The name rules already make escaping impossible; check once more.
	if !within(p.dataRoot, p.data) || !within(p.metaRoot, p.meta) {
		return blobPaths{}, fmt.Errorf("%w: blob name %q leaves the container", ErrInvalid, name)
	}
	return p, nil
}

func within(dir, path string) bool {
	return strings.HasPrefix(path, dir+string(filepath.Separator))
}

type sidecar struct {
	ETag        string            `json:"etag"`
	ContentType string            `json:"contentType"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// Put writes data and its sidecar to temporary files, then, holding the
// container's writer lock, renames them into place.
func (f *FS) Put(ctx context.Context, c, name string, data []byte, opts *PutOptions) (Info, error) {
	info, err := f.put(ctx, c, name, data, opts)
	if err != nil {
		return Info{}, fmt.Errorf("writing %s/%s: %w", c, name, err)
	}
	return info, nil
}

func (f *FS) put(ctx context.Context, c, name string, data []byte, opts *PutOptions) (Info, error) {
	p, err := f.paths(c, name)
	if err != nil {
		return Info{}, err
	}
	s, err := normalizePut(opts)
	if err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	st, err := f.stage(data, s)
	if err != nil {
		return Info{}, err
	}
	defer st.cleanup()
	err = f.withWriteLock(ctx, c, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		exists, err := f.exists(p)
		if err != nil {
			return err
		}
		if exists && s.ifNotExists {
			return ErrExists
		}
		if err := f.checkUnleased(p); err != nil {
			return err
		}
		return f.commit(p, st)
	})
	if err != nil {
		return Info{}, err
	}
	return Info{
		Container:    c,
		Name:         name,
		Size:         st.fi.Size(),
		ETag:         st.side.ETag,
		ContentType:  s.contentType,
		Metadata:     cloneMetadata(s.metadata),
		LastModified: st.fi.ModTime(),
	}, nil
}

// staged is a written but not yet visible blob version.
type staged struct {
	data, meta string // temporary files
	fi         fs.FileInfo
	side       sidecar
}

func (s *staged) cleanup() {
	// After a commit the files are gone and these fail harmlessly.
	_ = os.Remove(s.data)
	_ = os.Remove(s.meta)
}

// stage writes the data and sidecar temporary files. The data file gets a
// modification time unique within this store, which with its inode and size
// makes its ETag.
func (f *FS) stage(data []byte, s putSettings) (*staged, error) {
	st := &staged{}
	tmp, err := os.CreateTemp(f.tmpDir(), "data-*")
	if err != nil {
		return nil, fmt.Errorf("creating temporary file: %w", err)
	}
	st.data = tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		mt := f.nextMtime()
		err = os.Chtimes(st.data, mt, mt)
	}
	if err == nil {
		st.fi, err = os.Stat(st.data)
	}
	if err != nil {
		st.cleanup()
		return nil, fmt.Errorf("writing temporary file: %w", err)
	}
	st.side = sidecar{ETag: etagOf(st.fi), ContentType: s.contentType, Metadata: s.metadata}
	st.meta, err = f.writeTempJSON("meta-*", st.side)
	if err != nil {
		st.cleanup()
		return nil, err
	}
	return st, nil
}

func (f *FS) writeTempJSON(pattern string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", pattern, err)
	}
	tmp, err := os.CreateTemp(f.tmpDir(), pattern)
	if err != nil {
		return "", fmt.Errorf("creating temporary file: %w", err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("writing temporary file: %w", err)
	}
	return tmp.Name(), nil
}

// commit renames a staged version into place: data first, then sidecar.
// The caller holds the container's writer lock.
func (f *FS) commit(p blobPaths, st *staged) error {
	if err := f.mkdirParent(p, p.data); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.meta), 0o755); err != nil {
		return fmt.Errorf("creating folder for sidecar: %w", err)
	}
	if err := os.Rename(st.data, p.data); err != nil {
		return fmt.Errorf("renaming into place: %w", err)
	}
	if err := os.Rename(st.meta, p.meta); err != nil {
		return fmt.Errorf("renaming sidecar into place: %w", err)
	}
	return nil
}

// mkdirParent creates the folders above path, turning the clash of a blob
// with a folder of the same name into a clear error.
func (f *FS) mkdirParent(p blobPaths, path string) error {
	err := os.MkdirAll(filepath.Dir(path), 0o755)
	if err == nil {
		return nil
	}
	segs := strings.Split(p.name, "/")
	for i := 1; i < len(segs); i++ {
		anc := strings.Join(segs[:i], "/")
		if fi, serr := os.Lstat(filepath.Join(p.dataRoot, filepath.FromSlash(anc))); serr == nil && !fi.IsDir() {
			return fmt.Errorf("%w: %q is a blob, so it cannot also be a folder in the filesystem store", ErrInvalid, anc)
		}
	}
	return fmt.Errorf("creating folder: %w", err)
}

// exists reports whether the blob's data file exists. A folder in its
// place (other blobs under name + "/") is a clash, not a blob.
func (f *FS) exists(p blobPaths) (bool, error) {
	fi, err := os.Lstat(p.data)
	switch {
	case err == nil && fi.IsDir():
		return false, fmt.Errorf("%w: %q is a folder of other blobs in the filesystem store", ErrInvalid, p.name)
	case err == nil:
		return true, nil
	case isNotExist(err):
		return false, nil
	default:
		return false, err
	}
}

// Get reads the data file and the sidecar that belongs to it. Without the
// writer lock a rewrite can land between the two reads, which the ETag in
// the sidecar reveals; after a few tries Get reads under the lock.
func (f *FS) Get(ctx context.Context, c, name string) ([]byte, Info, error) {
	data, info, err := f.get(ctx, c, name)
	if err != nil {
		return nil, Info{}, fmt.Errorf("reading %s/%s: %w", c, name, err)
	}
	return data, info, nil
}

func (f *FS) get(ctx context.Context, c, name string) ([]byte, Info, error) {
	p, err := f.paths(c, name)
	if err != nil {
		return nil, Info{}, err
	}
	for range 3 {
		if err := ctx.Err(); err != nil {
			return nil, Info{}, err
		}
		data, info, consistent, err := f.read(p)
		if err != nil || consistent {
			return data, info, err
		}
	}
	var (
		data []byte
		info Info
	)
	err = f.withWriteLock(ctx, c, func() error {
		var err error
		// Still inconsistent under the lock: the file was placed by hand or
		// a writer died between its renames; the sidecar is stale.
		data, info, _, err = f.read(p)
		return err
	})
	return data, info, err
}

func (f *FS) read(p blobPaths) (data []byte, info Info, consistent bool, err error) {
	file, err := os.Open(p.data)
	if isNotExist(err) {
		return nil, Info{}, false, ErrNotFound
	}
	if err != nil {
		return nil, Info{}, false, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, Info{}, false, err
	}
	if !fi.Mode().IsRegular() {
		return nil, Info{}, false, ErrNotFound
	}
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + bytes.MinRead) // room for ReadFrom's EOF probe
	if _, err := buf.ReadFrom(file); err != nil {
		return nil, Info{}, false, err
	}
	info = Info{
		Container:    p.container,
		Name:         p.name,
		Size:         int64(buf.Len()),
		ETag:         etagOf(fi),
		ContentType:  DefaultContentType,
		LastModified: fi.ModTime(),
	}
	var side sidecar
	b, err := os.ReadFile(p.meta)
	switch {
	case isNotExist(err):
	case err != nil:
		return nil, Info{}, false, fmt.Errorf("reading sidecar: %w", err)
	default:
		if err := json.Unmarshal(b, &side); err != nil {
			return nil, Info{}, false, fmt.Errorf("decoding sidecar: %w", err)
		}
	}
	if side.ETag == info.ETag {
		info.ContentType = side.ContentType
		info.Metadata = cloneMetadata(side.Metadata)
		consistent = true
	}
	return buf.Bytes(), info, consistent, nil
}

// List walks the container's folder under the prefix's folder part. It
// reads no sidecar: the ETag comes from the file's inode, size and
// modification time, so a poll costs one stat per blob.
func (f *FS) List(ctx context.Context, c, prefix string) ([]Info, error) {
	out, err := f.list(ctx, c, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing %s/%s: %w", c, prefix, err)
	}
	return out, nil
}

func (f *FS) list(ctx context.Context, c, prefix string) ([]Info, error) {
	if err := validateContainer(c); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	croot := filepath.Join(f.root, c)
	start := croot
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		if validateName(prefix[:i]) != nil {
			return nil, nil // no valid name starts with this prefix
		}
		start = filepath.Join(croot, filepath.FromSlash(prefix[:i]))
	}
	var out []Info
	err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			if isNotExist(err) {
				return nil // removed while walking, or never there
			}
			return err
		}
		if path == croot {
			return nil
		}
		rel, rerr := filepath.Rel(croot, path)
		if rerr != nil {
			return rerr
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			dir := name + "/"
			if !strings.HasPrefix(dir, prefix) && !strings.HasPrefix(prefix, dir) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(name, prefix) || validateName(name) != nil {
			return nil
		}
		fi, ierr := d.Info()
		if isNotExist(ierr) {
			return nil
		}
		if ierr != nil {
			return ierr
		}
		out = append(out, Info{
			Container:    c,
			Name:         name,
			Size:         fi.Size(),
			ETag:         etagOf(fi),
			LastModified: fi.ModTime(),
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes the data file, its sidecar and lock record, and the
// folders this leaves empty.
func (f *FS) Delete(ctx context.Context, c, name string) error {
	if err := f.delete(ctx, c, name); err != nil {
		return fmt.Errorf("deleting %s/%s: %w", c, name, err)
	}
	return nil
}

func (f *FS) delete(ctx context.Context, c, name string) error {
	p, err := f.paths(c, name)
	if err != nil {
		return err
	}
	return f.withWriteLock(ctx, c, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.checkUnleased(p); err != nil {
			return err
		}
		fi, err := os.Lstat(p.data)
		if isNotExist(err) || (err == nil && fi.IsDir()) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := os.Remove(p.data); err != nil && !isNotExist(err) {
			return err
		}
		for _, side := range []string{p.meta, p.lease} {
			if err := os.Remove(side); err != nil && !isNotExist(err) {
				return err
			}
		}
		pruneEmpty(p.dataRoot, p.data)
		pruneEmpty(p.metaRoot, p.meta)
		return nil
	})
}

// pruneEmpty removes the empty folders above path, stopping below stop.
func pruneEmpty(stop, path string) {
	for d := filepath.Dir(path); within(stop, d); d = filepath.Dir(d) {
		if os.Remove(d) != nil { // not empty, or gone
			return
		}
	}
}

// withWriteLock runs fn holding the container's writer lock: a semaphore
// in this process (honouring ctx) and then an exclusive flock on
// Root/.blobstore/locks/<container>.lock (across processes).
func (f *FS) withWriteLock(ctx context.Context, c string, fn func() error) error {
	f.mu.Lock()
	sem, ok := f.sems[c]
	if !ok {
		sem = make(chan struct{}, 1)
		f.sems[c] = sem
	}
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-sem }()

	lf, err := os.OpenFile(filepath.Join(f.locksDir(), c+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("opening container lock: %w", err)
	}
	defer lf.Close() // closing drops the flock too
	if err := lockFile(lf); err != nil {
		return fmt.Errorf("taking container lock: %w", err)
	}
	defer func() { _ = unlockFile(lf) }()
	return fn()
}

// nextMtime returns the clock's time, moved past every time this store
// handed out before, so that two writes never share a modification time.
func (f *FS) nextMtime() time.Time {
	ns := f.now().UnixNano()
	f.mu.Lock()
	if ns <= f.lastMtime {
		ns = f.lastMtime + 1
	}
	f.lastMtime = ns
	f.mu.Unlock()
	return time.Unix(0, ns)
}

// etagOf derives a blob's ETag from its data file. Every write renames a
// new file into place, which has a new inode (the old one is still alive
// when it is created) and a modification time unique within the store.
func etagOf(fi fs.FileInfo) string {
	h := fnv.New64a()
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], fileID(fi))
	binary.LittleEndian.PutUint64(b[8:], uint64(fi.ModTime().UnixNano()))
	binary.LittleEndian.PutUint64(b[16:], uint64(fi.Size()))
	h.Write(b[:])
	return fmt.Sprintf("0x%016X", h.Sum64())
}

func isNotExist(err error) bool {
	return err != nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR))
}

func newOwnerID() string { return rand.Text() }
