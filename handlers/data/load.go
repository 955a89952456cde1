package data

import (
	"context"
	"errors"
	"fmt"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/staging"
)

// StagedFile is one staged file to load.
type StagedFile struct {
	// Name is the blob's name inside the staging container.
	Name string
	Part staging.Part
	// Data is the file's content (gzip NDJSON); Snowflake reads the file
	// from its stage instead.
	Data []byte
}

// Loaded is what a load did.
type Loaded struct {
	// Rows is how many rows were merged.
	Rows int64
	// Skipped is true when the load log already had the file.
	Skipped bool
}

// Warehouse loads staged files: Snowflake in Azure, PostgreSQL locally.
// Load must be idempotent on the file name, and return an error of class
// permanent when the file's rows cannot be loaded (with the rows it
// rejected in the message).
type Warehouse interface {
	Load(ctx context.Context, f StagedFile) (Loaded, error)
}

// Load is the snowflake-load function.
type Load struct {
	Warehouse Warehouse
}

// Handle loads one staged blob. A blob that is not a staged file, or that
// the warehouse refuses, is parked (and alerted) with the reason; the host
// retries anything else.
func (l *Load) Handle(ctx context.Context, b *azfunc.Blob) error {
	if b.Container != staging.Container {
		return fault.Permanentf("blob %s is not in the %s container", b.Path(), staging.Container)
	}
	part, err := staging.ParseName(b.Name)
	if err != nil {
		return fault.Malformed(err)
	}
	azfunc.SetCorrelationID(ctx, part.Run)
	res, err := l.Warehouse.Load(ctx, StagedFile{Name: b.Name, Part: part, Data: b.Data})
	if err != nil {
		var rej *RejectedFile
		if errors.As(err, &rej) {
			azfunc.Note(ctx, "rejected_rows", len(rej.Rows))
		}
		return fmt.Errorf("loading %s: %w", b.Path(), err)
	}
	if res.Skipped {
		azfunc.Note(ctx, "event", "already loaded", "file", b.Name)
		return nil
	}
	azfunc.Note(ctx, "event", "loaded", "file", b.Name, "dataset", part.Dataset.Name, "rows", res.Rows)
	return nil
}

// Rejected is one row a warehouse refused.
type Rejected struct {
	Line    int64
	Column  string
	Message string
}

// RejectedFile is a staged file the warehouse refused; it is permanent.
type RejectedFile struct {
	File string
	Rows []Rejected
}

func (e *RejectedFile) Error() string {
	s := fmt.Sprintf("the warehouse refused %s: %d rejected row(s)", e.File, len(e.Rows))
	for i, r := range e.Rows {
		if i == 10 {
			s += fmt.Sprintf("; and %d more", len(e.Rows)-10)
			break
		}
		s += fmt.Sprintf("; line %d", r.Line)
		if r.Column != "" {
			s += " column " + r.Column
		}
		s += ": " + r.Message
	}
	return s
}

// Unwrap marks the refusal permanent.
func (e *RejectedFile) Unwrap() error { return fault.ErrPermanent }
