package x12cli

import (
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
  json FILE          the parsed structure and problems as JSON
  help               this text

FILE may be - for standard input.
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
		return runOne(rest, stdin, stdout, stderr, "json", writeJSON)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stderr, usage)
		return exitUsage
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
	for _, name := range fs.Args() {
		data, err := readInput(name, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			code = exitUsage
			continue
		}
		rep := x12.Validate(x12.ParseBytes(data))
		for _, e := range rep.All() {
			fmt.Fprintf(stdout, "%s: %s: %s\n", name, e.Place(), e.Text())
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
	data, err := readInput(name, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitUsage
	}
	rep := x12.Validate(x12.ParseBytes(data))
	opts := x12.AckOptions{Numbers: &x12.Sequence{Start: *start}, Time: now, TA1: true}
	if *newline {
		opts.Suffix = "\n"
	}
	var out bytes.Buffer
	sent, err := x12.BuildAcks(ctx, &out, rep, opts)
	if _, werr := stdout.Write(out.Bytes()); werr != nil {
		fmt.Fprintf(stderr, "edi ack: writing output: %v\n", werr)
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
	Sets   []setJSON     `json:"sets"`
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

func writeJSON(w io.Writer, file string, doc *x12.Document, rep *x12.Report) error {
	out := fileJSON{File: file, Size: doc.Size, Valid: rep.Valid(), Stray: doc.Stray, Problems: rep.All()}
	if out.Problems == nil {
		out.Problems = []*x12.Error{}
	}
	for i, ix := range doc.Interchanges {
		ir := rep.Interchanges[i]
		ij := interchangeJSON{InterchangeReport: ir, ISA: ix.ISA, TA1: ix.TA1, IEA: ix.IEA, Stray: ix.Stray, Groups: []groupJSON{}, Errors: ir.Errors}
		for j, g := range ix.Groups {
			gr := g
			gj := groupJSON{GroupReport: ir.Groups[j], GS: gr.GS, GE: gr.GE, Stray: gr.Stray, Sets: []setJSON{}, Errors: ir.Groups[j].Errors}
			for k, t := range g.Sets {
				sj := setJSON{SetReport: ir.Groups[j].Sets[k], Segments: t.Segments(), Errors: ir.Groups[j].Sets[k].Errors}
				if typed, err := x12.Typed(t); err == nil {
					sj.Document = typed
				} else if !errors.Is(err, x12.ErrNoTypedForm) {
					sj.ReadError = err.Error()
				}
				gj.Sets = append(gj.Sets, sj)
			}
			ij.Groups = append(ij.Groups, gj)
		}
		out.Interchanges = append(out.Interchanges, ij)
	}
	if out.Interchanges == nil {
		out.Interchanges = []interchangeJSON{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
