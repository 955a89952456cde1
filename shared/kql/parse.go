package kql

import (
	"fmt"
	"strings"
)

// Query is a parsed tabular query.
type Query struct {
	Table string
	ops   []operator
}

// Tables lists the tables the query reads, its own and its joins', in order.
func (q *Query) Tables() []string {
	out := []string{q.Table}
	for _, op := range q.ops {
		if j, ok := op.(*joinOp); ok {
			out = append(out, j.right.Tables()...)
		}
	}
	return out
}

// Aggregations lists the aggregation functions the query's summarize
// operators use, its joins' included ("count", "sum", ...).
func (q *Query) Aggregations() []string {
	var out []string
	for _, op := range q.ops {
		switch o := op.(type) {
		case *summarizeOp:
			for _, a := range o.aggs {
				out = append(out, a.fn)
			}
		case *joinOp:
			out = append(out, o.right.Aggregations()...)
		}
	}
	return out
}

type operator interface{ opName() string }

type whereOp struct{ pred expr }

type column struct {
	name string
	x    expr
}

type extendOp struct{ cols []column }
type projectOp struct{ cols []column }
type projectAwayOp struct{ names []string }

type aggregate struct {
	name string
	fn   string
	args []expr
}

type summarizeOp struct {
	aggs []aggregate
	by   []column
}

type sortKey struct {
	x    expr
	desc bool
}

type orderOp struct{ keys []sortKey }
type takeOp struct{ n int64 }
type joinKey struct{ left, right string }
type joinOp struct {
	kind  string
	right *Query
	keys  []joinKey
}

func (*whereOp) opName() string       { return "where" }
func (*extendOp) opName() string      { return "extend" }
func (*projectOp) opName() string     { return "project" }
func (*projectAwayOp) opName() string { return "project-away" }
func (*summarizeOp) opName() string   { return "summarize" }
func (*orderOp) opName() string       { return "order by" }
func (*takeOp) opName() string        { return "take" }
func (*joinOp) opName() string        { return "join" }

type expr interface{}

type litExpr struct{ v any }
type colExpr struct{ name string }
type memberExpr struct {
	x    expr
	name string
}
type indexExpr struct{ x, i expr }
type callExpr struct {
	fn   string
	args []expr
}
type unaryExpr struct {
	op string
	x  expr
}
type binaryExpr struct {
	op   string
	l, r expr
}
type inExpr struct {
	x      expr
	list   []expr
	negate bool
}

type parser struct {
	toks []token
	p    int
}

// Parse reads a query without running it.
func Parse(src string) (*Query, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	ps := &parser{toks: toks}
	q, err := ps.query()
	if err != nil {
		return nil, err
	}
	if t := ps.peek(); t.kind != tEOF {
		return nil, ps.errorf("unexpected %s after the query", t)
	}
	return q, nil
}

func (ps *parser) peek() token { return ps.toks[ps.p] }
func (ps *parser) next() token {
	t := ps.toks[ps.p]
	if t.kind != tEOF {
		ps.p++
	}
	return t
}

func (ps *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("kql: at %d: %s", ps.peek().pos, fmt.Sprintf(format, args...))
}

func (ps *parser) isOp(s string) bool {
	t := ps.peek()
	return t.kind == tOp && t.text == s
}

func (ps *parser) isWord(s string) bool {
	t := ps.peek()
	return t.kind == tIdent && t.text == s
}

func (ps *parser) expectOp(s string) error {
	if !ps.isOp(s) {
		return ps.errorf("want %q, got %s", s, ps.peek())
	}
	ps.next()
	return nil
}

func (ps *parser) expectWord(s string) error {
	if !ps.isWord(s) {
		return ps.errorf("want %q, got %s", s, ps.peek())
	}
	ps.next()
	return nil
}

func (ps *parser) ident() (string, error) {
	t := ps.peek()
	if t.kind != tIdent {
		return "", ps.errorf("want a name, got %s", t)
	}
	ps.next()
	return t.text, nil
}

func (ps *parser) query() (*Query, error) {
	table, err := ps.ident()
	if err != nil {
		return nil, err
	}
	q := &Query{Table: table}
	for ps.isOp("|") {
		ps.next()
		op, err := ps.operator()
		if err != nil {
			return nil, err
		}
		q.ops = append(q.ops, op)
	}
	return q, nil
}

func (ps *parser) operator() (operator, error) {
	name, err := ps.ident()
	if err != nil {
		return nil, err
	}
	switch name {
	case "where", "filter":
		x, err := ps.expr()
		return &whereOp{pred: x}, err
	case "extend":
		cols, err := ps.columns(false)
		return &extendOp{cols: cols}, err
	case "project":
		cols, err := ps.columns(true)
		return &projectOp{cols: cols}, err
	case "project-away":
		var names []string
		for {
			n, err := ps.ident()
			if err != nil {
				return nil, err
			}
			names = append(names, n)
			if !ps.isOp(",") {
				return &projectAwayOp{names: names}, nil
			}
			ps.next()
		}
	case "summarize":
		return ps.summarize()
	case "order", "sort":
		if err := ps.expectWord("by"); err != nil {
			return nil, err
		}
		var keys []sortKey
		for {
			x, err := ps.expr()
			if err != nil {
				return nil, err
			}
			k := sortKey{x: x, desc: true}
			if ps.isWord("asc") {
				ps.next()
				k.desc = false
			} else if ps.isWord("desc") {
				ps.next()
			}
			keys = append(keys, k)
			if !ps.isOp(",") {
				return &orderOp{keys: keys}, nil
			}
			ps.next()
		}
	case "take", "limit":
		t := ps.next()
		if t.kind != tInt {
			return nil, ps.errorf("%s wants a row count", name)
		}
		return &takeOp{n: t.i}, nil
	case "join":
		return ps.join()
	}
	return nil, fmt.Errorf("kql: operator %q is not supported here", name)
}

// columns reads `name = expr, ...`; bare expressions get Kusto's default names.
func (ps *parser) columns(project bool) ([]column, error) {
	var out []column
	for n := 1; ; n++ {
		c, err := ps.column(fmt.Sprintf("Column%d", n))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		if !ps.isOp(",") {
			return out, nil
		}
		ps.next()
	}
}

func (ps *parser) column(fallback string) (column, error) {
	if t := ps.peek(); t.kind == tIdent && ps.toks[ps.p+1].kind == tOp && ps.toks[ps.p+1].text == "=" {
		ps.next()
		ps.next()
		x, err := ps.expr()
		return column{name: t.text, x: x}, err
	}
	x, err := ps.expr()
	if err != nil {
		return column{}, err
	}
	return column{name: defaultName(x, fallback), x: x}, nil
}

// defaultName is the name Kusto gives an unnamed column: the column itself,
// a member path joined with underscores, or Column<n>.
func defaultName(x expr, fallback string) string {
	switch e := x.(type) {
	case *colExpr:
		return e.name
	case *memberExpr:
		if inner := defaultName(e.x, ""); inner != "" {
			return inner + "_" + e.name
		}
	case *callExpr:
		if e.fn == "bin" && len(e.args) > 0 {
			return defaultName(e.args[0], fallback)
		}
	}
	return fallback
}

var aggregators = map[string]bool{"count": true, "countif": true, "sum": true, "sumif": true, "dcount": true, "max": true, "min": true}

func (ps *parser) summarize() (operator, error) {
	op := &summarizeOp{}
	for !ps.isWord("by") {
		name := ""
		if t := ps.peek(); t.kind == tIdent && ps.toks[ps.p+1].kind == tOp && ps.toks[ps.p+1].text == "=" {
			name = t.text
			ps.next()
			ps.next()
		}
		x, err := ps.expr()
		if err != nil {
			return nil, err
		}
		call, ok := x.(*callExpr)
		if !ok || !aggregators[call.fn] {
			return nil, fmt.Errorf("kql: summarize wants an aggregation (count, countif, sum, sumif, dcount, min, max)")
		}
		if name == "" {
			name = call.fn + "_"
			if len(call.args) > 0 && call.fn != "countif" {
				name += defaultName(call.args[0], "")
			}
		}
		op.aggs = append(op.aggs, aggregate{name: name, fn: call.fn, args: call.args})
		if !ps.isOp(",") {
			break
		}
		ps.next()
	}
	if ps.isWord("by") {
		ps.next()
		for n := 1; ; n++ {
			c, err := ps.column(fmt.Sprintf("Column%d", n))
			if err != nil {
				return nil, err
			}
			op.by = append(op.by, c)
			if !ps.isOp(",") {
				break
			}
			ps.next()
		}
	}
	return op, nil
}

func (ps *parser) join() (operator, error) {
	op := &joinOp{kind: "innerunique"}
	if ps.isWord("kind") {
		ps.next()
		if err := ps.expectOp("="); err != nil {
			return nil, err
		}
		k, err := ps.ident()
		if err != nil {
			return nil, err
		}
		switch k {
		case "inner", "leftouter", "innerunique":
			op.kind = k
		default:
			return nil, fmt.Errorf("kql: join kind %q is not supported here", k)
		}
	}
	if err := ps.expectOp("("); err != nil {
		return nil, err
	}
	right, err := ps.query()
	if err != nil {
		return nil, err
	}
	op.right = right
	if err := ps.expectOp(")"); err != nil {
		return nil, err
	}
	if err := ps.expectWord("on"); err != nil {
		return nil, err
	}
	for {
		k, err := ps.joinKey()
		if err != nil {
			return nil, err
		}
		op.keys = append(op.keys, k)
		if !ps.isOp(",") {
			return op, nil
		}
		ps.next()
	}
}

// joinKey is `col` or `$left.a == $right.b`.
func (ps *parser) joinKey() (joinKey, error) {
	side := func() (string, string, error) {
		s, err := ps.ident()
		if err != nil {
			return "", "", err
		}
		if err := ps.expectOp("."); err != nil {
			return "", "", err
		}
		c, err := ps.ident()
		return s, c, err
	}
	if !ps.isWord("$left") && !ps.isWord("$right") {
		c, err := ps.ident()
		return joinKey{left: c, right: c}, err
	}
	s1, c1, err := side()
	if err != nil {
		return joinKey{}, err
	}
	if err := ps.expectOp("=="); err != nil {
		return joinKey{}, err
	}
	s2, c2, err := side()
	if err != nil {
		return joinKey{}, err
	}
	switch {
	case s1 == "$left" && s2 == "$right":
		return joinKey{left: c1, right: c2}, nil
	case s1 == "$right" && s2 == "$left":
		return joinKey{left: c2, right: c1}, nil
	}
	return joinKey{}, fmt.Errorf("kql: a join key compares $left with $right")
}

// Expressions, lowest precedence first.

func (ps *parser) expr() (expr, error) { return ps.or() }

func (ps *parser) or() (expr, error) {
	l, err := ps.and()
	for err == nil && ps.isWord("or") {
		ps.next()
		var r expr
		if r, err = ps.and(); err == nil {
			l = &binaryExpr{op: "or", l: l, r: r}
		}
	}
	return l, err
}

func (ps *parser) and() (expr, error) {
	l, err := ps.comparison()
	for err == nil && ps.isWord("and") {
		ps.next()
		var r expr
		if r, err = ps.comparison(); err == nil {
			l = &binaryExpr{op: "and", l: l, r: r}
		}
	}
	return l, err
}

var comparisons = map[string]bool{"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true, "=~": true, "!~": true,
	"!has": true, "!contains": true}

var wordComparisons = map[string]bool{"has": true, "contains": true, "startswith": true, "endswith": true}

func (ps *parser) comparison() (expr, error) {
	l, err := ps.additive()
	if err != nil {
		return nil, err
	}
	t := ps.peek()
	switch {
	case t.kind == tOp && (t.text == "!in") || t.kind == tIdent && t.text == "in":
		ps.next()
		if err := ps.expectOp("("); err != nil {
			return nil, err
		}
		var list []expr
		for !ps.isOp(")") {
			x, err := ps.expr()
			if err != nil {
				return nil, err
			}
			list = append(list, x)
			if !ps.isOp(",") {
				break
			}
			ps.next()
		}
		if err := ps.expectOp(")"); err != nil {
			return nil, err
		}
		return &inExpr{x: l, list: list, negate: t.text == "!in"}, nil
	case t.kind == tOp && comparisons[t.text], t.kind == tIdent && wordComparisons[t.text]:
		ps.next()
		r, err := ps.additive()
		if err != nil {
			return nil, err
		}
		return &binaryExpr{op: t.text, l: l, r: r}, nil
	}
	return l, nil
}

func (ps *parser) additive() (expr, error) {
	l, err := ps.multiplicative()
	for err == nil && (ps.isOp("+") || ps.isOp("-")) {
		op := ps.next().text
		var r expr
		if r, err = ps.multiplicative(); err == nil {
			l = &binaryExpr{op: op, l: l, r: r}
		}
	}
	return l, err
}

func (ps *parser) multiplicative() (expr, error) {
	l, err := ps.unary()
	for err == nil && (ps.isOp("*") || ps.isOp("/") || ps.isOp("%")) {
		op := ps.next().text
		var r expr
		if r, err = ps.unary(); err == nil {
			l = &binaryExpr{op: op, l: l, r: r}
		}
	}
	return l, err
}

func (ps *parser) unary() (expr, error) {
	if ps.isOp("-") {
		ps.next()
		x, err := ps.unary()
		return &unaryExpr{op: "-", x: x}, err
	}
	return ps.postfix()
}

func (ps *parser) postfix() (expr, error) {
	x, err := ps.primary()
	for err == nil {
		switch {
		case ps.isOp("."):
			ps.next()
			var name string
			if t := ps.peek(); t.kind == tString {
				ps.next()
				name = t.text
			} else if name, err = ps.ident(); err != nil {
				return nil, err
			}
			x = &memberExpr{x: x, name: name}
		case ps.isOp("["):
			ps.next()
			var i expr
			if i, err = ps.expr(); err != nil {
				return nil, err
			}
			if err = ps.expectOp("]"); err != nil {
				return nil, err
			}
			x = &indexExpr{x: x, i: i}
		default:
			return x, nil
		}
	}
	return x, err
}

func (ps *parser) primary() (expr, error) {
	start := ps.p
	t := ps.next()
	switch t.kind {
	case tString:
		return &litExpr{v: t.text}, nil
	case tInt:
		return &litExpr{v: t.i}, nil
	case tReal:
		return &litExpr{v: t.f}, nil
	case tSpan:
		return &litExpr{v: t.d}, nil
	case tOp:
		if t.text == "(" {
			x, err := ps.expr()
			if err != nil {
				return nil, err
			}
			return x, ps.expectOp(")")
		}
	case tIdent:
		switch t.text {
		case "true":
			return &litExpr{v: true}, nil
		case "false":
			return &litExpr{v: false}, nil
		case "dynamic":
			return nil, fmt.Errorf("kql: dynamic literals are not supported here")
		}
		if ps.isOp("(") {
			ps.next()
			call := &callExpr{fn: strings.ToLower(t.text)}
			for !ps.isOp(")") {
				x, err := ps.expr()
				if err != nil {
					return nil, err
				}
				call.args = append(call.args, x)
				if !ps.isOp(",") {
					break
				}
				ps.next()
			}
			return call, ps.expectOp(")")
		}
		return &colExpr{name: t.text}, nil
	}
	ps.p = start
	return nil, ps.errorf("unexpected %s", t)
}
