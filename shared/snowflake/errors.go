package snowflake

import (
	"errors"
	"fmt"

	"github.com/popsockets/integration/shared/fault"
	"github.com/snowflakedb/gosnowflake"
)

// CopyError is a staged file Snowflake refused to load because of what is
// in it. It is permanent: loading the same file again fails the same way.
type CopyError struct {
	// File is the staged file's name inside the staging container.
	File string
	// Rows are the rows Snowflake rejected, as far as validation found them
	// (at most maxRejected).
	Rows []Rejected
	// Err is the COPY failure as the driver returned it.
	Err error
}

// Rejected is one row Snowflake could not load.
type Rejected struct {
	Line    int64  // line in the file, from 1; 0 if unknown
	Column  string // the column, as Snowflake names it; "" if not one column
	Message string
}

func (e *CopyError) Error() string {
	msg := fmt.Sprintf("loading staged file %s: %d rows rejected", e.File, len(e.Rows))
	if len(e.Rows) > 0 && (e.Err == nil || e.Rows[0].Message != e.Err.Error()) {
		r := e.Rows[0]
		msg += fmt.Sprintf(", first at line %d", r.Line)
		if r.Column != "" {
			msg += " column " + r.Column
		}
		msg += ": " + r.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap puts fault.ErrPermanent in the chain, so fault.ClassOf gives
// Permanent, and keeps the driver's error for errors.As.
func (e *CopyError) Unwrap() []error { return []error{fault.ErrPermanent, e.Err} }

// isDataError reports whether err is Snowflake refusing the data: a
// SQL-state class 22 "data exception" with one of Snowflake's 100xxx
// execution error numbers (a value not recognized as its type, JSON that
// does not parse, NULL in a NOT NULL column, a string too long). Anything
// else, including every driver-side error (26xxxx, no SQL state), a
// compilation or permission error, and a cancelled context, is not.
func isDataError(err error) bool {
	var se *gosnowflake.SnowflakeError
	if !errors.As(err, &se) {
		return false
	}
	return len(se.SQLState) == 5 && se.SQLState[:2] == "22" && se.Number >= 100000 && se.Number < 101000
}
