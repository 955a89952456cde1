package azfunc

import (
	"fmt"
	"net/url"
	"strings"
)

// Blob is a blobTrigger's blob.
type Blob struct {
	// Data is the blob's content.
	Data []byte
	// Container and Name locate the blob (Name may contain '/').
	Container string
	Name      string
	// URI is the blob's URL as the host reports it.
	URI string
	// ETag (without its quotes), Length and ContentType come from the blob's
	// properties, when sent.
	ETag        string
	Length      int64
	ContentType string
	// Metadata is the blob's user metadata.
	Metadata map[string]string
}

// Path is "container/name", the blob's address in messages and logs.
func (b *Blob) Path() string { return b.Container + "/" + b.Name }

// DecodeBlob reads the blob of binding from inv. binary must match the
// binding's "dataType": "binary" (the host then sends base64).
//
// The host drops the BlobTrigger key (every key ending in "Trigger" is
// removed), so the path is rebuilt from Uri, or from the {name} token.
func DecodeBlob(inv *Invocation, binding string, binary bool) (*Blob, error) {
	raw, ok := inv.Data[binding]
	if !ok {
		return nil, fmt.Errorf("invocation has no data for binding %q", binding)
	}
	data, err := decodeBody(raw, binary)
	if err != nil {
		return nil, fmt.Errorf("blob content: %w", err)
	}
	b := &Blob{Data: data}
	if b.URI, err = inv.MetaString("Uri"); err != nil {
		return nil, err
	}
	if b.URI != "" {
		if b.Container, b.Name, err = splitBlobURI(b.URI); err != nil {
			return nil, err
		}
	}
	if b.Name == "" {
		if b.Name, err = inv.MetaString("name"); err != nil {
			return nil, err
		}
	}
	if b.Name == "" {
		return nil, fmt.Errorf("blob invocation carries neither Uri nor a {name} token")
	}
	props, err := decodeObject(inv.Metadata["Properties"])
	if err != nil {
		return nil, fmt.Errorf("metadata Properties: %w", err)
	}
	if props != nil {
		b.ETag, _ = decodeString(props["ETag"])
		b.ETag = strings.Trim(b.ETag, `"`)
		b.ContentType, _ = decodeString(props["ContentType"])
		b.Length, _ = decodeInt(props["Length"])
		if b.Length == 0 {
			b.Length, _ = decodeInt(props["ContentLength"])
		}
	}
	meta, err := decodeObject(inv.Metadata["Metadata"])
	if err != nil {
		return nil, fmt.Errorf("metadata Metadata: %w", err)
	}
	b.Metadata = make(map[string]string, len(meta))
	for k, v := range meta {
		b.Metadata[k], _ = decodeString(v)
	}
	return b, nil
}

// splitBlobURI turns https://acct.blob.core.windows.net/container/a/b.txt,
// or an emulator URL with the account in the path, into container and name.
func splitBlobURI(raw string) (container, name string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("parsing blob Uri: %w", err)
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	// Emulators (Azurite, the devhost) put the account first: /devstoreaccount1/container/name.
	if len(parts) > 2 && !strings.Contains(u.Host, ".blob.") {
		parts = parts[1:]
	}
	if len(parts) < 2 || parts[0] == "" {
		return "", "", fmt.Errorf("blob Uri %q has no container and name", raw)
	}
	return parts[0], strings.Join(parts[1:], "/"), nil
}
