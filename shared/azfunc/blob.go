package azfunc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
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
	// properties, when sent. The Functions host sends the v12 SDK's
	// BlobProperties, whose ETag it cannot serialise (it arrives as {}), so
	// ETag is empty from a real host; Length and ContentType are there.
	ETag        string
	Length      int64
	ContentType string
	// Metadata is the blob's user metadata.
	Metadata map[string]string
}

// Path is "container/name", the blob's address in messages and logs.
func (b *Blob) Path() string { return b.Container + "/" + b.Name }

// DecodeBlob reads the blob of binding from inv. binary must match the
// binding's "dataType": "binary".
//
// The host sends the content as a byte[], base64-encoded, both with
// "dataType": "binary" and without dataType (the blob extension's first
// default type is byte[]); only "dataType": "string" sends text, quoted
// twice. So with binary false a single-quoted string is taken as base64
// when it decodes as base64, and as text otherwise; a double-quoted string
// is text. A text blob without dataType therefore needs no flag: it
// arrives in base64 and decodes to its bytes.
//
// The host drops the BlobTrigger key (every key ending in "Trigger" is
// removed), so the path is rebuilt from Uri, or from the {name} token.
func DecodeBlob(inv *Invocation, binding string, binary bool) (*Blob, error) {
	raw, ok := inv.Data[binding]
	if !ok {
		return nil, fmt.Errorf("invocation has no data for binding %q", binding)
	}
	data, err := decodeBlobContent(raw, binary)
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
		// v12 sends ETag as {} (no usable value); older hosts a quoted string.
		if etag, err := decodeString(props["ETag"]); err == nil {
			b.ETag = strings.Trim(etag, `"`)
		}
		b.ContentType, _ = decodeString(props["ContentType"])
		b.Length, _ = decodeInt(props["ContentLength"])
		if b.Length == 0 {
			b.Length, _ = decodeInt(props["Length"])
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

// decodeBlobContent turns a blob trigger's Data value into the blob's bytes.
func decodeBlobContent(raw json.RawMessage, binary bool) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return decodeBody(raw, binary)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("want a string: %w", err)
	}
	if binary {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("decoding base64 content: %w", err)
		}
		return b, nil
	}
	// Quoted twice: text ("dataType": "string", or an emulator).
	if t := strings.TrimSpace(s); len(t) >= 2 && t[0] == '"' {
		var inner string
		if json.Unmarshal([]byte(t), &inner) == nil {
			return []byte(inner), nil
		}
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return []byte(s), nil
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
