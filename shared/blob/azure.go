package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"
)

// AzureConfig configures NewAzure. Set either ConnectionString (Azurite,
// local runs) or ServiceURL with Credential (managed identity in Azure).
type AzureConfig struct {
	// ConnectionString is a storage account connection string with
	// AccountName/AccountKey or BlobEndpoint. UseDevelopmentStorage=true is
	// not understood by azblob; spell out Azurite's endpoint and key.
	ConnectionString string
	// ServiceURL is the blob endpoint, e.g. https://<account>.blob.core.windows.net/.
	ServiceURL string
	// Credential authenticates requests to ServiceURL, for example an
	// azidentity.ManagedIdentityCredential.
	Credential azcore.TokenCredential
	// ClientOptions tunes retries, transport and logging; nil for defaults.
	ClientOptions *azblob.ClientOptions
}

// Azure is a Store on Azure Blob Storage.
//
// A blob held by a Lock refuses Put and Delete without the lease, so while a
// name is locked, Put and Delete on it fail with ErrLocked, for the holder
// too. Keep lock blobs apart from the blobs they guard.
type Azure struct {
	svc *azblob.Client
}

var _ Store = (*Azure)(nil)

// NewAzure checks cfg and builds the client. It does no network I/O.
func NewAzure(cfg AzureConfig) (*Azure, error) {
	switch {
	case cfg.ConnectionString != "" && (cfg.ServiceURL != "" || cfg.Credential != nil):
		return nil, errors.New("configuring azure blob store: set AzureConfig.ConnectionString or AzureConfig.ServiceURL with AzureConfig.Credential, not both")
	case cfg.ConnectionString != "":
		c, err := azblob.NewClientFromConnectionString(cfg.ConnectionString, cfg.ClientOptions)
		if err != nil {
			// The parser's message never echoes the key.
			return nil, fmt.Errorf("configuring azure blob store: parsing AzureConfig.ConnectionString: %w", err)
		}
		return &Azure{svc: c}, nil
	case cfg.ServiceURL == "":
		return nil, errors.New("configuring azure blob store: AzureConfig.ConnectionString or AzureConfig.ServiceURL is required")
	case cfg.Credential == nil:
		return nil, errors.New("configuring azure blob store: AzureConfig.Credential is required with AzureConfig.ServiceURL")
	}
	u, err := url.Parse(cfg.ServiceURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("configuring azure blob store: AzureConfig.ServiceURL %q is not an http(s) URL", cfg.ServiceURL)
	}
	c, err := azblob.NewClient(cfg.ServiceURL, cfg.Credential, cfg.ClientOptions)
	if err != nil {
		return nil, fmt.Errorf("configuring azure blob store: %w", err)
	}
	return &Azure{svc: c}, nil
}

func (a *Azure) container(c string) *container.Client {
	return a.svc.ServiceClient().NewContainerClient(c)
}

// Put uploads data in one request. IfNotExists sends If-None-Match: *.
func (a *Azure) Put(ctx context.Context, c, name string, data []byte, opts *PutOptions) (Info, error) {
	if err := validateBlob(c, name); err != nil {
		return Info{}, fmt.Errorf("uploading %s/%s: %w", c, name, err)
	}
	s, err := normalizePut(opts)
	if err != nil {
		return Info{}, fmt.Errorf("uploading %s/%s: %w", c, name, err)
	}
	info, err := a.upload(ctx, c, name, data, s)
	if err != nil {
		return Info{}, fmt.Errorf("uploading %s/%s: %w", c, name, err)
	}
	return info, nil
}

func (a *Azure) upload(ctx context.Context, c, name string, data []byte, s putSettings) (Info, error) {
	bb := a.container(c).NewBlockBlobClient(name)
	o := &blockblob.UploadOptions{
		HTTPHeaders: &blob.HTTPHeaders{BlobContentType: to.Ptr(s.contentType)},
		Metadata:    toPtrMap(s.metadata),
	}
	if s.ifNotExists {
		o.AccessConditions = &blob.AccessConditions{
			ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)},
		}
	}
	resp, err := bb.Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), o)
	if bloberror.HasCode(err, bloberror.ContainerNotFound) {
		if err := a.createContainer(ctx, c); err != nil {
			return Info{}, err
		}
		resp, err = bb.Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), o)
	}
	switch {
	case err == nil:
	case s.ifNotExists && bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet,
		bloberror.LeaseIDMissing, bloberror.LeaseIDMismatchWithBlobOperation):
		// A leased blob exists too; "exists" is the answer that matters.
		return Info{}, ErrExists
	case bloberror.HasCode(err, bloberror.LeaseIDMissing, bloberror.LeaseIDMismatchWithBlobOperation):
		return Info{}, ErrLocked
	default:
		return Info{}, err
	}
	return Info{
		Container:    c,
		Name:         name,
		Size:         int64(len(data)),
		ETag:         etagString(resp.ETag),
		ContentType:  s.contentType,
		Metadata:     cloneMetadata(s.metadata),
		LastModified: deref(resp.LastModified),
	}, nil
}

func (a *Azure) createContainer(ctx context.Context, c string) error {
	_, err := a.container(c).Create(ctx, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return fmt.Errorf("creating container %s: %w", c, err)
	}
	return nil
}

// Get downloads the blob and its properties.
func (a *Azure) Get(ctx context.Context, c, name string) ([]byte, Info, error) {
	if err := validateBlob(c, name); err != nil {
		return nil, Info{}, fmt.Errorf("downloading %s/%s: %w", c, name, err)
	}
	resp, err := a.container(c).NewBlobClient(name).DownloadStream(ctx, nil)
	if err != nil {
		if isNotFound(err) {
			err = ErrNotFound
		}
		return nil, Info{}, fmt.Errorf("downloading %s/%s: %w", c, name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, Info{}, fmt.Errorf("downloading %s/%s: reading body: %w", c, name, err)
	}
	return data, Info{
		Container:    c,
		Name:         name,
		Size:         int64(len(data)),
		ETag:         etagString(resp.ETag),
		ContentType:  deref(resp.ContentType),
		Metadata:     lowerKeys(resp.Metadata, deref[string]),
		LastModified: deref(resp.LastModified),
	}, nil
}

// List pages through the container's flat listing. It asks for no
// metadata, and clears ContentType, to give what the filesystem store gives.
func (a *Azure) List(ctx context.Context, c, prefix string) ([]Info, error) {
	if err := validateContainer(c); err != nil {
		return nil, fmt.Errorf("listing %s/%s: %w", c, prefix, err)
	}
	var o container.ListBlobsFlatOptions
	if prefix != "" {
		o.Prefix = to.Ptr(prefix)
	}
	pager := a.container(c).NewListBlobsFlatPager(&o)
	var out []Info
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if bloberror.HasCode(err, bloberror.ContainerNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s/%s: %w", c, prefix, err)
		}
		if page.Segment == nil {
			continue
		}
		for _, it := range page.Segment.BlobItems {
			if it == nil || it.Name == nil {
				continue
			}
			info := Info{Container: c, Name: *it.Name}
			if p := it.Properties; p != nil {
				info.Size = deref(p.ContentLength)
				info.ETag = etagString(p.ETag)
				info.LastModified = deref(p.LastModified)
			}
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes the blob.
func (a *Azure) Delete(ctx context.Context, c, name string) error {
	if err := validateBlob(c, name); err != nil {
		return fmt.Errorf("deleting %s/%s: %w", c, name, err)
	}
	_, err := a.container(c).NewBlobClient(name).Delete(ctx, nil)
	switch {
	case err == nil, isNotFound(err):
		return nil
	case bloberror.HasCode(err, bloberror.LeaseIDMissing, bloberror.LeaseIDMismatchWithBlobOperation):
		return fmt.Errorf("deleting %s/%s: %w", c, name, ErrLocked)
	default:
		return fmt.Errorf("deleting %s/%s: %w", c, name, err)
	}
}

// Lock creates the zero-byte lock blob when missing and acquires a lease of
// ttl seconds on it with a fresh lease id.
func (a *Azure) Lock(ctx context.Context, c, name string, ttl time.Duration) (Lock, error) {
	if err := validateBlob(c, name); err != nil {
		return nil, fmt.Errorf("locking %s/%s: %w", c, name, err)
	}
	ttl, err := normalizeTTL(ttl)
	if err != nil {
		return nil, fmt.Errorf("locking %s/%s: %w", c, name, err)
	}
	_, err = a.upload(ctx, c, name, nil, putSettings{contentType: DefaultContentType, ifNotExists: true})
	if err != nil && !errors.Is(err, ErrExists) {
		return nil, fmt.Errorf("locking %s/%s: creating lock blob: %w", c, name, err)
	}
	lc, err := lease.NewBlobClient(a.container(c).NewBlockBlobClient(name), nil)
	if err != nil {
		return nil, fmt.Errorf("locking %s/%s: %w", c, name, err)
	}
	if _, err := lc.AcquireLease(ctx, int32(ttl/time.Second), nil); err != nil {
		if bloberror.HasCode(err, bloberror.LeaseAlreadyPresent, bloberror.LeaseIsBreakingAndCannotBeAcquired) {
			err = ErrLocked
		}
		return nil, fmt.Errorf("locking %s/%s: %w", c, name, err)
	}
	return &azureLock{lc: lc, container: c, name: name}, nil
}

type azureLock struct {
	lc              *lease.BlobClient
	container, name string

	mu       sync.Mutex
	released bool
}

func (l *azureLock) Renew(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return fmt.Errorf("renewing lock %s/%s: %w", l.container, l.name, ErrLockLost)
	}
	_, err := l.lc.RenewLease(ctx, nil)
	if err == nil {
		return nil
	}
	if isNotFound(err) || bloberror.HasCode(err, bloberror.LeaseIDMismatchWithLeaseOperation,
		bloberror.LeaseNotPresentWithLeaseOperation, bloberror.LeaseIsBrokenAndCannotBeRenewed, bloberror.LeaseLost) {
		err = ErrLockLost
	}
	return fmt.Errorf("renewing lock %s/%s: %w", l.container, l.name, err)
}

func (l *azureLock) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}
	_, err := l.lc.ReleaseLease(ctx, nil)
	if err != nil && !isNotFound(err) && !bloberror.HasCode(err,
		bloberror.LeaseIDMismatchWithLeaseOperation, bloberror.LeaseNotPresentWithLeaseOperation) {
		return fmt.Errorf("releasing lock %s/%s: %w", l.container, l.name, err)
	}
	l.released = true
	return nil
}

func isNotFound(err error) bool {
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		return true
	}
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == 404 && re.ErrorCode == ""
}

// etagString drops the quotes that headers carry and listings do not, so
// that an ETag from Put, Get and List compares equal.
func etagString(e *azcore.ETag) string {
	if e == nil {
		return ""
	}
	return strings.Trim(string(*e), `"`)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func toPtrMap(m map[string]string) map[string]*string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = to.Ptr(v)
	}
	return out
}
