package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/staging"
)

// DefaultPartBytes bounds one staged part (its NDJSON, before
// compression) when EXPORT_PART_MB is not set.
const DefaultPartBytes = 16 << 20

// Parts writes one export run as gzip NDJSON parts to Blob staging:
// part n of the run is staging.PartName(dataset, day, run, n). A part is
// cut when its NDJSON (before compression) reaches MaxBytes, so memory
// holds one compressed part at most. Writing the same run again writes the
// same names.
type Parts struct {
	Blobs    blob.Store
	Dataset  staging.Dataset
	Day      time.Time
	Run      string
	MaxBytes int

	buf   bytes.Buffer
	gz    *gzip.Writer
	raw   countingWriter
	enc   *json.Encoder
	inCur int
	n     int
	rows  int64
	names []string
}

// Add appends one row.
func (p *Parts) Add(ctx context.Context, row any) error {
	if p.gz == nil {
		if p.MaxBytes <= 0 {
			p.MaxBytes = DefaultPartBytes
		}
		p.gz, _ = gzip.NewWriterLevel(&p.buf, gzip.DefaultCompression)
		p.raw.w = p.gz
		p.enc = json.NewEncoder(&p.raw)
	}
	if err := p.enc.Encode(row); err != nil {
		return fmt.Errorf("encoding a %s row: %w", p.Dataset.Name, err)
	}
	p.inCur++
	p.rows++
	if p.raw.n >= int64(p.MaxBytes) {
		return p.cut(ctx)
	}
	return nil
}

// cut commits the current part to Blob storage.
func (p *Parts) cut(ctx context.Context) error {
	if p.inCur == 0 {
		return nil
	}
	if err := p.gz.Close(); err != nil {
		return fmt.Errorf("compressing a %s part: %w", p.Dataset.Name, err)
	}
	p.n++
	name, err := staging.PartName(p.Dataset, p.Day, p.Run, p.n)
	if err != nil {
		return err
	}
	if _, err := p.Blobs.Put(ctx, staging.Container, name, p.buf.Bytes(), &blob.PutOptions{
		ContentType: "application/x-ndjson",
		Metadata:    map[string]string{"dataset": p.Dataset.Name, "run": p.Run, "rows": fmt.Sprint(p.inCur)},
	}); err != nil {
		return fmt.Errorf("writing %s/%s: %w", staging.Container, name, err)
	}
	p.names = append(p.names, name)
	p.buf.Reset()
	p.gz.Reset(&p.buf)
	p.raw.n = 0
	p.inCur = 0
	return nil
}

// Close commits the last part and returns every part's name. A run
// without rows writes nothing.
func (p *Parts) Close(ctx context.Context) ([]string, error) {
	if p.gz != nil {
		if err := p.cut(ctx); err != nil {
			return nil, err
		}
	}
	return p.names, nil
}

// countingWriter counts what goes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// Rows is how many rows were added.
func (p *Parts) Rows() int64 { return p.rows }
