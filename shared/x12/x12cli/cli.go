package x12cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/rsx"
	"github.com/popsockets/integration/shared/x12"
)

// Exit codes.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

const usage = `usage: edi <command> [flags] FILE...

commands:
  validate FILE...   print one line per problem; exit 0 if every file is valid,
                     1 if any is not, 2 on usage or I/O error
  ack [flags] FILE   write the 997 (and TA1 if requested) for each functional group
      -now TIME      timestamp for the acknowledgments (RFC 3339; default: now)
      -start N       first control number for each sequence (default 1)
      -newline       put each segment on its own line
  show FILE          readable view: envelopes, then each set one segment per line
  json FILE          the parsed structure and problems as JSON; exit 1 if invalid
  help               this text (exit 0)

FILE may be - for standard input. X12 and SPS RSX XML are both accepted, the
format detected from the content; RSX problems name the element path and line.
`

// Run executes the edi command line. It never calls os.Exit; the return
// value is the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "validate":
		return runValidate(rest, stdin, stdout, stderr)
	case "ack":
		return runAck(ctx, rest, stdin, stdout, stderr)
	case "show":
		return runOne(rest, stdin, stdout, stderr, "show", show)
	case "json":
		return runJSON(rest, stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "edi: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// openInput opens a file to stream, or standard input for "-".
func openInput(name string, stdin io.Reader) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(stdin), nil
	}
	return os.Open(name)
}

// validateInput streams one input through the validator.
func validateInput(name string, stdin io.Reader) (*x12.Report, error) {
	in, err := openInput(name, stdin)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	return x12.Validator{}.ValidateReader(in)
}

// errWriter remembers the first write error, so that output failures can
// be told apart from failures to build what is written.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	return fs
}

func runValidate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("validate", stderr)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	code := exitOK
	out := &errWriter{w: stdout}
	bw := bufio.NewWriterSize(out, 64<<10)
	for _, name := range fs.Args() {
		if data, ok, err := sniffRSX(name, &stdin); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			code = exitUsage
			continue
		} else if ok {
			_, perr := rsx.Parse(data)
			for _, e := range rsxErrors(perr) {
				fmt.Fprintf(bw, "%s: %s\n", name, e.Error())
			}
			if err := bw.Flush(); err != nil {
				fmt.Fprintf(stderr, "edi validate: writing output: %v\n", err)
				return exitUsage
			}
			if perr != nil && code == exitOK {
				code = exitInvalid
			}
			continue
		}
		rep, err := validateInput(name, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			code = exitUsage
			continue
		}
		for _, e := range rep.All() {
			fmt.Fprintf(bw, "%s: %s: %s\n", name, e.Place(), e.Text())
		}
		if err := bw.Flush(); err != nil {
			fmt.Fprintf(stderr, "edi validate: writing output: %v\n", err)
			return exitUsage
		}
		if !rep.Valid() && code == exitOK {
			code = exitInvalid
		}
	}
	return code
}

func runAck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("ack", stderr)
	nowFlag := fs.String("now", "", "timestamp (RFC 3339)")
	start := fs.Int64("start", 1, "first control number")
	newline := fs.Bool("newline", false, "one segment per line")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			fmt.Fprintf(stderr, "edi ack: -now: %v\n", err)
			return exitUsage
		}
		now = t
	}
	name := fs.Arg(0)
	rep, err := validateInput(name, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitUsage
	}
	opts := x12.AckOptions{Numbers: &x12.Sequence{Start: *start}, Time: now, TA1: true}
	if *newline {
		opts.Suffix = "\n"
	}
	out := &errWriter{w: stdout}
	bw := bufio.NewWriterSize(out, 64<<10)
	sent, err := x12.BuildAcks(ctx, bw, rep, opts)
	if ferr := bw.Flush(); ferr != nil {
		fmt.Fprintf(stderr, "edi ack: writing output: %v\n", ferr)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: building acknowledgments: %v\n", name, err)
		return exitInvalid
	}
	if len(sent) == 0 {
		fmt.Fprintf(stderr, "%s: nothing to acknowledge\n", name)
		return exitInvalid
	}
	return exitOK
}

func runOne(args []string, stdin io.Reader, stdout, stderr io.Writer, name string,
	fn func(w io.Writer, file string, doc *x12.Document, rep *x12.Report) error) int {
	fs := newFlags(name, stderr)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	file := fs.Arg(0)
	data, err := readInput(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", file, err)
		return exitUsage
	}
	if rsx.IsXML(data) {
		doc, perr := rsx.Parse(data)
		if err := showRSX(stdout, file, len(data), doc, perr); err != nil {
			fmt.Fprintf(stderr, "edi %s: %v\n", name, err)
			return exitUsage
		}
		return exitOK
	}
	doc := x12.ParseBytes(data)
	if err := fn(stdout, file, doc, x12.Validate(doc)); err != nil {
		fmt.Fprintf(stderr, "edi %s: %v\n", name, err)
		return exitUsage
	}
	return exitOK
}

func show(w io.Writer, file string, doc *x12.Document, rep *x12.Report) error {
	schema := x12.DefaultSchema()
	b := &strings.Builder{}
	fmt.Fprintf(b, "%s: %d bytes, %d interchange(s)\n", file, doc.Size, len(doc.Interchanges))
	for i, ix := range doc.Interchanges {
		ir := rep.Interchanges[i]
		if ix.ISA.IsZero() {
			b.WriteString("interchange (no ISA)\n")
		} else {
			d := ix.Delimiters()
			fmt.Fprintf(b, "interchange %s from %s/%s to %s/%s date %s time %s version %s usage %s delimiters %s\n",
				ir.Control, ir.SenderQualifier, ir.SenderID, ir.ReceiverQualifier, ir.ReceiverID,
				ir.Date, ir.Time, ir.Version, ir.Usage, delimText(d))
		}
		for _, t := range ix.TA1 {
			fmt.Fprintf(b, "  %s\n", labelled(schema, t))
		}
		for j, g := range ix.Groups {
			gr := ir.Groups[j]
			if g.GS.IsZero() {
				b.WriteString("  group (no GS)\n")
			} else {
				fmt.Fprintf(b, "  group %s %s from %s to %s date %s time %s version %s: %d set(s), %s\n",
					gr.FunctionalID, gr.Control, gr.Sender, gr.Receiver, gr.Date, gr.Time, gr.Version, len(g.Sets), statusText(gr.Status))
			}
			for k, t := range g.Sets {
				sr := gr.Sets[k]
				name := ""
				if spec, ok := schema.Set(t.ID()); ok {
					name = " " + spec.Name
				}
				fmt.Fprintf(b, "    set %s %s%s: %d segments, %s\n", sr.ID, sr.Control, name, t.Len(), statusText(sr.Status))
				for pos, s := range t.Segments() {
					fmt.Fprintf(b, "      %4d  %s\n", pos+1, labelled(schema, s))
				}
			}
			for _, s := range g.Stray {
				fmt.Fprintf(b, "    stray %s\n", s.Text())
			}
			if g.GE.IsZero() {
				b.WriteString("  end of group (no GE)\n")
			} else {
				fmt.Fprintf(b, "  end of group: %s\n", labelled(schema, g.GE))
			}
		}
		for _, s := range ix.Stray {
			fmt.Fprintf(b, "  stray %s\n", s.Text())
		}
		if ix.IEA.IsZero() {
			b.WriteString("end of interchange (no IEA)\n")
		} else {
			fmt.Fprintf(b, "end of interchange: %s\n", labelled(schema, ix.IEA))
		}
	}
	for _, s := range doc.Stray {
		fmt.Fprintf(b, "stray %s\n", s.Text())
	}
	errs, warns, notices := rep.Count()
	fmt.Fprintf(b, "problems: %d error(s), %d warning(s), %d notice(s)\n", errs, warns, notices)
	_, err := io.WriteString(w, b.String())
	return err
}

func statusText(s string) string {
	switch s {
	case "A":
		return "accepted"
	case "E":
		return "accepted with errors"
	case "P":
		return "partially accepted"
	case "R":
		return "rejected"
	}
	return "status " + s
}

func delimText(d x12.Delimiters) string {
	q := func(c byte) string {
		switch c {
		case '\n':
			return `\n`
		case '\r':
			return `\r`
		}
		return string(c)
	}
	s := fmt.Sprintf("element %s component %s segment %s", q(d.Element), q(d.Component), q(d.Segment))
	if d.Repetition != 0 {
		s += " repetition " + q(d.Repetition)
	}
	return s
}

// labelled renders "BEG  BEG01 Transaction Set Purpose Code=00 | ...".
func labelled(schema *x12.Schema, s x12.Segment) string {
	id := s.IDString()
	var b strings.Builder
	fmt.Fprintf(&b, "%-3s", id)
	sep := "  "
	for i := 1; i <= s.Len(); i++ {
		v := s.String(i)
		if strings.TrimSpace(v) == "" {
			continue
		}
		b.WriteString(sep)
		sep = " | "
		fmt.Fprintf(&b, "%s%02d", id, i)
		if name := schema.ElementName(id, i); name != "" {
			b.WriteString(" ")
			b.WriteString(name)
		}
		b.WriteString("=")
		b.WriteString(v)
	}
	return b.String()
}

type fileJSON struct {
	File         string            `json:"file"`
	Size         int64             `json:"size"`
	Valid        bool              `json:"valid"`
	Interchanges []interchangeJSON `json:"interchanges"`
	Stray        []x12.Segment     `json:"stray,omitempty"`
	Problems     []*x12.Error      `json:"problems"`
}

type interchangeJSON struct {
	*x12.InterchangeReport
	ISA    x12.Segment   `json:"isa"`
	TA1    []x12.Segment `json:"ta1,omitempty"`
	IEA    x12.Segment   `json:"iea"`
	Groups []groupJSON   `json:"groups"`
	Stray  []x12.Segment `json:"stray,omitempty"`
	Errors []*x12.Error  `json:"errors,omitempty"`
}

type groupJSON struct {
	*x12.GroupReport
	GS     x12.Segment   `json:"gs"`
	GE     x12.Segment   `json:"ge"`
	Sets   []setSlot     `json:"sets"`
	Stray  []x12.Segment `json:"stray,omitempty"`
	Errors []*x12.Error  `json:"errors,omitempty"`
}

type setJSON struct {
	*x12.SetReport
	Segments  []x12.Segment `json:"segments"`
	Document  any           `json:"document,omitempty"`
	ReadError string        `json:"read_error,omitempty"`
	Errors    []*x12.Error  `json:"errors,omitempty"`
}

// setSlot stands in the outline for a transaction set, which is written
// in its place during the second pass. It renders as setMark, a number no
// field of the output can hold, alone on its line.
type setSlot struct{}

const setMark = "1e999"

func (setSlot) MarshalJSON() ([]byte, error) { return []byte(setMark), nil }

// runJSON writes the parsed structure and problems as JSON in two passes
// over the input, so that memory depends on the envelopes and the report,
// not on the size of the input: the first validates and keeps the outline,
// the second reads the sets one at a time and writes each in its place.
// Standard input is spooled to a temporary file to be read twice. It exits
// 1 when the output says the file is invalid, as validate does.
func runJSON(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("json", stderr)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	file := fs.Arg(0)
	if data, ok, err := sniffRSX(file, &stdin); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", file, err)
		return exitUsage
	} else if ok {
		return jsonRSX(stdout, stderr, file, data)
	}
	in, done, err := rewindable(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", file, err)
		return exitUsage
	}
	defer done()
	doc, rep, err := x12.Validator{}.ValidateOutline(in.reader())
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", file, err)
		return exitUsage
	}
	if err := in.rewind(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", file, err)
		return exitUsage
	}
	out := &errWriter{w: stdout}
	bw := bufio.NewWriterSize(out, 64<<10)
	if err := writeJSON(bw, file, doc, rep, in.reader()); err != nil {
		if out.err != nil {
			err = fmt.Errorf("writing output: %w", out.err)
		}
		fmt.Fprintf(stderr, "edi json: %v\n", err)
		return exitUsage
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintf(stderr, "edi json: writing output: %v\n", err)
		return exitUsage
	}
	if !rep.Valid() {
		return exitInvalid
	}
	return exitOK
}

// writeJSON renders the outline with a slot for every set, then streams
// the sets from sets into their slots.
func writeJSON(w io.Writer, file string, doc *x12.Document, rep *x12.Report, sets io.Reader) error {
	out := fileJSON{File: file, Size: doc.Size, Valid: rep.Valid(), Stray: doc.Stray, Problems: rep.All()}
	if out.Problems == nil {
		out.Problems = []*x12.Error{}
	}
	var reports []*x12.SetReport
	for i, ix := range doc.Interchanges {
		ir := rep.Interchanges[i]
		ij := interchangeJSON{InterchangeReport: ir, ISA: ix.ISA, TA1: ix.TA1, IEA: ix.IEA, Stray: ix.Stray, Groups: []groupJSON{}, Errors: ir.Errors}
		for j, g := range ix.Groups {
			gr := ir.Groups[j]
			gj := groupJSON{GroupReport: gr, GS: g.GS, GE: g.GE, Stray: g.Stray, Sets: make([]setSlot, len(gr.Sets)), Errors: gr.Errors}
			reports = append(reports, gr.Sets...)
			ij.Groups = append(ij.Groups, gj)
		}
		out.Interchanges = append(out.Interchanges, ij)
	}
	if out.Interchanges == nil {
		out.Interchanges = []interchangeJSON{}
	}
	outline, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	outline = append(outline, '\n')
	n := 0
	err = x12.EachSet(sets, func(t *x12.Transaction) error {
		if n == len(reports) {
			return errors.New("the input changed while it was read: more transaction sets")
		}
		at, indent, ok := nextSlot(outline)
		if !ok {
			return errors.New("internal error: no slot for a transaction set")
		}
		if _, err := w.Write(outline[:at]); err != nil {
			return err
		}
		outline = outline[at+len(setMark):]
		sr := reports[n]
		n++
		sj := setJSON{SetReport: sr, Segments: t.Segments(), Errors: sr.Errors}
		if typed, err := x12.Typed(t); err == nil {
			sj.Document = typed
		} else if !errors.Is(err, x12.ErrNoTypedForm) {
			sj.ReadError = err.Error()
		}
		b, err := json.MarshalIndent(sj, indent, "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if n != len(reports) {
		return errors.New("the input changed while it was read: fewer transaction sets")
	}
	_, err = w.Write(outline)
	return err
}

// nextSlot finds the first set slot in the rendered outline: setMark alone
// on its line but for indentation and a comma. A string holding the same
// characters cannot match, since a string value starts with a quote.
func nextSlot(outline []byte) (at int, indent string, ok bool) {
	for from := 0; ; {
		i := bytes.Index(outline[from:], []byte(setMark))
		if i < 0 {
			return 0, "", false
		}
		i += from
		from = i + len(setMark)
		line := bytes.LastIndexByte(outline[:i], '\n') + 1
		if strings.Trim(string(outline[line:i]), " ") != "" {
			continue
		}
		if rest := outline[from:]; len(rest) > 0 && rest[0] != ',' && rest[0] != '\n' {
			continue
		}
		return i, string(outline[line:i]), true
	}
}

// input is something the json command reads twice.
type input struct {
	r     io.ReadSeeker
	start int64
}

func (in *input) reader() io.Reader { return in.r }

func (in *input) rewind() error {
	_, err := in.r.Seek(in.start, io.SeekStart)
	return err
}

// rewindable opens a file, or standard input for "-", so that it can be
// read twice; what cannot seek is first copied to a temporary file. done
// closes and removes what was opened.
func rewindable(name string, stdin io.Reader) (in *input, done func(), err error) {
	src := stdin
	done = func() {}
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, err
		}
		src, done = f, func() { f.Close() }
	}
	if rs, ok := src.(io.ReadSeeker); ok {
		if pos, err := rs.Seek(0, io.SeekCurrent); err == nil {
			return &input{r: rs, start: pos}, done, nil
		}
	}
	tmp, err := os.CreateTemp("", "edi-json-*.x12")
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("spooling the input: %w", err)
	}
	closeSrc := done
	done = func() {
		closeSrc()
		tmp.Close()
		os.Remove(tmp.Name())
	}
	if _, err := io.Copy(tmp, src); err != nil {
		done()
		return nil, nil, fmt.Errorf("spooling the input: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		done()
		return nil, nil, fmt.Errorf("spooling the input: %w", err)
	}
	return &input{r: tmp}, done, nil
}
