package kql

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Row is one row: column name to value. Values are nil, bool, int64 (or
// int), float64, string, time.Time, time.Duration, or dynamic values:
// map[string]any, map[string]string and []any (as JSON decodes them).
type Row map[string]any

// Table is a table a query reads, or a query's result.
type Table struct {
	Columns []string
	Rows    []Row
}

// Env is what a query runs against.
type Env struct {
	// Tables by name (requests, traces, ...).
	Tables map[string]*Table
	// Now is the clock of ago() and now().
	Now time.Time
}

// Run parses and evaluates src.
func Run(src string, env Env) (*Table, error) {
	q, err := Parse(src)
	if err != nil {
		return nil, err
	}
	return q.Eval(env)
}

// dyn marks a value as Kusto's dynamic type: member access, parse_json
// and dynamic columns produce it, and it compares loosely.
type dyn struct{ v any }

type frame struct {
	cols []string
	rows []Row
}

func (f *frame) has(name string) bool {
	for _, c := range f.cols {
		if c == name {
			return true
		}
	}
	return false
}

// Eval runs the query against env.
func (q *Query) Eval(env Env) (*Table, error) {
	src, ok := env.Tables[q.Table]
	if !ok {
		return nil, fmt.Errorf("kql: no table %q", q.Table)
	}
	f := &frame{cols: append([]string(nil), src.Columns...)}
	for _, r := range src.Rows {
		row := make(Row, len(r))
		for k, v := range r {
			row[k] = normalize(v)
		}
		f.rows = append(f.rows, row)
	}
	for _, op := range q.ops {
		var err error
		if f, err = apply(op, f, env); err != nil {
			return nil, fmt.Errorf("kql: %s: %w", op.opName(), err)
		}
	}
	out := &Table{Columns: f.cols}
	for _, r := range f.rows {
		row := make(Row, len(f.cols))
		for _, c := range f.cols {
			row[c] = plain(r[c])
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// normalize turns Go values into the evaluator's: ints to int64, maps and
// slices to dynamic values.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return dyn{m}
	case map[string]any, []any:
		return dyn{x}
	case json.RawMessage:
		return parseJSON(string(x))
	}
	return v
}

// plain unwraps dynamic values in results.
func plain(v any) any {
	if d, ok := v.(dyn); ok {
		return d.v
	}
	return v
}

func apply(op operator, f *frame, env Env) (*frame, error) {
	switch o := op.(type) {
	case *whereOp:
		out := &frame{cols: f.cols}
		for _, r := range f.rows {
			v, err := eval(o.pred, r, f, env)
			if err != nil {
				return nil, err
			}
			if b, ok := v.(bool); ok && b {
				out.rows = append(out.rows, r)
			} else if d, ok := v.(dyn); ok && d.v == true {
				out.rows = append(out.rows, r)
			} else if v != nil && !isBool(v) {
				return nil, fmt.Errorf("the predicate is not a boolean")
			}
		}
		return out, nil
	case *extendOp:
		cols := append([]string(nil), f.cols...)
		for _, c := range o.cols {
			if !contains(cols, c.name) {
				cols = append(cols, c.name)
			}
		}
		out := &frame{cols: cols}
		for _, r := range f.rows {
			nr := make(Row, len(r)+len(o.cols))
			for k, v := range r {
				nr[k] = v
			}
			for _, c := range o.cols {
				v, err := eval(c.x, nr, &frame{cols: cols}, env)
				if err != nil {
					return nil, err
				}
				nr[c.name] = v
			}
			out.rows = append(out.rows, nr)
		}
		return out, nil
	case *projectOp:
		out := &frame{}
		for _, c := range o.cols {
			if contains(out.cols, c.name) {
				return nil, fmt.Errorf("column %s is projected twice", c.name)
			}
			out.cols = append(out.cols, c.name)
		}
		for _, r := range f.rows {
			nr := make(Row, len(o.cols))
			for _, c := range o.cols {
				v, err := eval(c.x, r, f, env)
				if err != nil {
					return nil, err
				}
				nr[c.name] = v
			}
			out.rows = append(out.rows, nr)
		}
		return out, nil
	case *projectAwayOp:
		out := &frame{rows: f.rows}
		for _, c := range f.cols {
			if !contains(o.names, c) {
				out.cols = append(out.cols, c)
			}
		}
		return out, nil
	case *summarizeOp:
		return summarize(o, f, env)
	case *orderOp:
		return order(o, f, env)
	case *takeOp:
		out := &frame{cols: f.cols, rows: f.rows}
		if int64(len(out.rows)) > o.n {
			out.rows = out.rows[:o.n]
		}
		return out, nil
	case *joinOp:
		return join(o, f, env)
	}
	return nil, fmt.Errorf("unsupported operator")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isBool(v any) bool { _, ok := v.(bool); return ok }

func summarize(o *summarizeOp, f *frame, env Env) (*frame, error) {
	type group struct {
		keys []any
		rows []Row
	}
	var order []string
	groups := map[string]*group{}
	for _, r := range f.rows {
		keys := make([]any, len(o.by))
		for i, b := range o.by {
			v, err := eval(b.x, r, f, env)
			if err != nil {
				return nil, err
			}
			keys[i] = v
		}
		id := keyString(keys)
		g, ok := groups[id]
		if !ok {
			g = &group{keys: keys}
			groups[id] = g
			order = append(order, id)
		}
		g.rows = append(g.rows, r)
	}
	out := &frame{}
	for _, b := range o.by {
		out.cols = append(out.cols, b.name)
	}
	for _, a := range o.aggs {
		out.cols = append(out.cols, a.name)
	}
	// Without by, summarize yields one row even over no rows.
	if len(o.by) == 0 && len(order) == 0 {
		order = append(order, "")
		groups[""] = &group{}
	}
	for _, id := range order {
		g := groups[id]
		row := Row{}
		for i, b := range o.by {
			row[b.name] = g.keys[i]
		}
		for _, a := range o.aggs {
			v, err := aggregateRows(a, g.rows, f, env)
			if err != nil {
				return nil, err
			}
			row[a.name] = v
		}
		out.rows = append(out.rows, row)
	}
	return out, nil
}

func keyString(keys []any) string {
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%T:%v\x00", plain(k), plain(k))
	}
	return b.String()
}

func aggregateRows(a aggregate, rows []Row, f *frame, env Env) (any, error) {
	want := map[string]int{"count": 0, "countif": 1, "sum": 1, "sumif": 2, "dcount": 1, "max": 1, "min": 1}[a.fn]
	if len(a.args) != want {
		return nil, fmt.Errorf("%s takes %d argument(s)", a.fn, want)
	}
	arg := func(r Row, i int) (any, error) { return eval(a.args[i], r, f, env) }
	switch a.fn {
	case "count":
		return int64(len(rows)), nil
	case "countif":
		var n int64
		for _, r := range rows {
			v, err := arg(r, 0)
			if err != nil {
				return nil, err
			}
			if truthy(v) {
				n++
			}
		}
		return n, nil
	case "sum", "sumif":
		var si int64
		var sf float64
		isFloat := false
		for _, r := range rows {
			if a.fn == "sumif" {
				c, err := arg(r, 1)
				if err != nil {
					return nil, err
				}
				if !truthy(c) {
					continue
				}
			}
			v, err := arg(r, 0)
			if err != nil {
				return nil, err
			}
			switch n := undyn(v).(type) {
			case nil:
			case int64:
				si += n
			case float64:
				sf += n
				isFloat = true
			default:
				return nil, fmt.Errorf("%s of a %s", a.fn, typeName(v))
			}
		}
		if isFloat {
			return sf + float64(si), nil
		}
		return si, nil
	case "dcount":
		seen := map[string]bool{}
		for _, r := range rows {
			v, err := arg(r, 0)
			if err != nil {
				return nil, err
			}
			if v != nil {
				seen[keyString([]any{v})] = true
			}
		}
		return int64(len(seen)), nil
	case "max", "min":
		var best any
		for _, r := range rows {
			v, err := arg(r, 0)
			if err != nil {
				return nil, err
			}
			if undyn(v) == nil {
				continue
			}
			if best == nil {
				best = v
				continue
			}
			c, err := compare(v, best)
			if err != nil {
				return nil, err
			}
			if a.fn == "max" && c > 0 || a.fn == "min" && c < 0 {
				best = v
			}
		}
		return best, nil
	}
	return nil, fmt.Errorf("unknown aggregation %s", a.fn)
}

func truthy(v any) bool {
	switch b := undyn(v).(type) {
	case bool:
		return b
	}
	return false
}

func order(o *orderOp, f *frame, env Env) (*frame, error) {
	type keyed struct {
		row  Row
		keys []any
	}
	ks := make([]keyed, len(f.rows))
	for i, r := range f.rows {
		ks[i].row = r
		for _, k := range o.keys {
			v, err := eval(k.x, r, f, env)
			if err != nil {
				return nil, err
			}
			ks[i].keys = append(ks[i].keys, v)
		}
	}
	var sortErr error
	sort.SliceStable(ks, func(a, b int) bool {
		for i, k := range o.keys {
			va, vb := undyn(ks[a].keys[i]), undyn(ks[b].keys[i])
			// Nulls come first ascending and last descending.
			if va == nil || vb == nil {
				if va == nil && vb == nil {
					continue
				}
				return (va == nil) != k.desc
			}
			c, err := compare(va, vb)
			if err != nil {
				sortErr = err
				return false
			}
			if c != 0 {
				return c < 0 != k.desc
			}
		}
		return false
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := &frame{cols: f.cols}
	for _, k := range ks {
		out.rows = append(out.rows, k.row)
	}
	return out, nil
}

func join(o *joinOp, left *frame, env Env) (*frame, error) {
	rt, err := o.right.Eval(env)
	if err != nil {
		return nil, err
	}
	right := &frame{cols: rt.Columns}
	for _, r := range rt.Rows {
		nr := Row{}
		for k, v := range r {
			nr[k] = normalize(v)
		}
		right.rows = append(right.rows, nr)
	}
	for _, k := range o.keys {
		if !left.has(k.left) {
			return nil, fmt.Errorf("the left side has no column %s", k.left)
		}
		if !right.has(k.right) {
			return nil, fmt.Errorf("the right side has no column %s", k.right)
		}
	}
	key := func(r Row, left bool) (string, bool) {
		vals := make([]any, len(o.keys))
		for i, k := range o.keys {
			c := k.right
			if left {
				c = k.left
			}
			if undyn(r[c]) == nil {
				return "", false
			}
			vals[i] = undyn(r[c])
		}
		return keyString(vals), true
	}
	// Right columns that clash with left ones get a numeric suffix, as in Kusto.
	rename := map[string]string{}
	cols := append([]string(nil), left.cols...)
	for _, c := range right.cols {
		name := c
		for n := 1; contains(cols, name); n++ {
			name = fmt.Sprintf("%s%d", c, n)
		}
		rename[c] = name
		cols = append(cols, name)
	}
	index := map[string][]Row{}
	for _, r := range right.rows {
		if k, ok := key(r, false); ok {
			index[k] = append(index[k], r)
		}
	}
	out := &frame{cols: cols}
	seenLeft := map[string]bool{}
	for _, l := range left.rows {
		k, ok := key(l, true)
		if o.kind == "innerunique" {
			if !ok || seenLeft[k] {
				continue
			}
			seenLeft[k] = true
		}
		matches := index[k]
		if !ok {
			matches = nil
		}
		if len(matches) == 0 && o.kind == "leftouter" {
			nr := Row{}
			for c, v := range l {
				nr[c] = v
			}
			out.rows = append(out.rows, nr)
			continue
		}
		for _, r := range matches {
			nr := Row{}
			for c, v := range l {
				nr[c] = v
			}
			for c, v := range r {
				nr[rename[c]] = v
			}
			out.rows = append(out.rows, nr)
		}
	}
	return out, nil
}

func eval(x expr, r Row, f *frame, env Env) (any, error) {
	switch e := x.(type) {
	case *litExpr:
		return e.v, nil
	case *colExpr:
		if !f.has(e.name) {
			return nil, fmt.Errorf("unknown column %s", e.name)
		}
		return r[e.name], nil
	case *memberExpr:
		v, err := eval(e.x, r, f, env)
		if err != nil {
			return nil, err
		}
		return member(v, e.name)
	case *indexExpr:
		v, err := eval(e.x, r, f, env)
		if err != nil {
			return nil, err
		}
		i, err := eval(e.i, r, f, env)
		if err != nil {
			return nil, err
		}
		switch k := undyn(i).(type) {
		case string:
			return member(v, k)
		case int64:
			d, ok := v.(dyn)
			if !ok {
				return nil, fmt.Errorf("indexing a %s", typeName(v))
			}
			if a, ok := d.v.([]any); ok && k >= 0 && k < int64(len(a)) {
				return dyn{normalizeJSON(a[k])}, nil
			}
			return dyn{nil}, nil
		}
		return nil, fmt.Errorf("an index must be a string or a long")
	case *unaryExpr:
		v, err := eval(e.x, r, f, env)
		if err != nil {
			return nil, err
		}
		return arith("-", int64(0), v)
	case *inExpr:
		v, err := eval(e.x, r, f, env)
		if err != nil {
			return nil, err
		}
		found := false
		for _, item := range e.list {
			iv, err := eval(item, r, f, env)
			if err != nil {
				return nil, err
			}
			eq, err := equal(v, iv)
			if err != nil {
				return nil, err
			}
			found = found || eq
		}
		if undyn(v) == nil {
			return false, nil
		}
		return found != e.negate, nil
	case *binaryExpr:
		return binary(e, r, f, env)
	case *callExpr:
		return call(e, r, f, env)
	}
	return nil, fmt.Errorf("unsupported expression")
}

func member(v any, name string) (any, error) {
	d, ok := v.(dyn)
	if !ok {
		if v == nil {
			return dyn{nil}, nil
		}
		return nil, fmt.Errorf("member access .%s on a %s", name, typeName(v))
	}
	if m, ok := d.v.(map[string]any); ok {
		return dyn{normalizeJSON(m[name])}, nil
	}
	return dyn{nil}, nil
}

func binary(e *binaryExpr, r Row, f *frame, env Env) (any, error) {
	l, err := eval(e.l, r, f, env)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "and":
		if !truthy(l) {
			return false, nil
		}
		rv, err := eval(e.r, r, f, env)
		return truthy(rv), err
	case "or":
		if truthy(l) {
			return true, nil
		}
		rv, err := eval(e.r, r, f, env)
		return truthy(rv), err
	}
	rv, err := eval(e.r, r, f, env)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "==", "!=":
		if undyn(l) == nil || undyn(rv) == nil {
			return false, nil
		}
		eq, err := equal(l, rv)
		return eq == (e.op == "=="), err
	case "=~", "!~":
		ls, lok := undyn(l).(string)
		rs, rok := undyn(rv).(string)
		if !lok || !rok {
			return false, nil
		}
		return strings.EqualFold(ls, rs) == (e.op == "=~"), nil
	case "<", "<=", ">", ">=":
		if undyn(l) == nil || undyn(rv) == nil {
			return false, nil
		}
		c, err := compare(l, rv)
		if err != nil {
			return nil, err
		}
		switch e.op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "has", "!has", "contains", "!contains", "startswith", "endswith":
		hay, needle := strings.ToLower(toString(l)), strings.ToLower(toString(rv))
		var ok bool
		switch strings.TrimPrefix(e.op, "!") {
		case "has":
			ok = hasTerm(hay, needle)
		case "contains":
			ok = strings.Contains(hay, needle)
		case "startswith":
			ok = strings.HasPrefix(hay, needle)
		case "endswith":
			ok = strings.HasSuffix(hay, needle)
		}
		return ok != strings.HasPrefix(e.op, "!"), nil
	}
	return arith(e.op, l, rv)
}

// hasTerm is Kusto's has: needle occurs with no letter or digit right
// before or after it.
func hasTerm(hay, needle string) bool {
	if needle == "" {
		return true
	}
	for i := 0; ; {
		j := strings.Index(hay[i:], needle)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(needle)
		if (start == 0 || !isAlnum(hay[start-1])) && (end == len(hay) || !isAlnum(hay[end])) {
			return true
		}
		i = start + 1
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func undyn(v any) any {
	if d, ok := v.(dyn); ok {
		return d.v
	}
	return v
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case int64:
		return "long"
	case float64:
		return "real"
	case string:
		return "string"
	case time.Time:
		return "datetime"
	case time.Duration:
		return "timespan"
	case dyn:
		return "dynamic"
	}
	return fmt.Sprintf("%T", v)
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return math.NaN()
}

// equal compares two values. Dynamic values compare loosely (a dynamic
// string equals the same string, a dynamic number the same number); other
// values of different types are an error, as in Kusto.
func equal(a, b any) (bool, error) {
	_, da := a.(dyn)
	_, db := b.(dyn)
	x, y := undyn(a), undyn(b)
	if x == nil || y == nil {
		return false, nil
	}
	if isNumber(x) && isNumber(y) {
		return toFloat(x) == toFloat(y), nil
	}
	switch xv := x.(type) {
	case string:
		if yv, ok := y.(string); ok {
			return xv == yv, nil
		}
	case bool:
		if yv, ok := y.(bool); ok {
			return xv == yv, nil
		}
	case time.Time:
		if yv, ok := y.(time.Time); ok {
			return xv.Equal(yv), nil
		}
	case time.Duration:
		if yv, ok := y.(time.Duration); ok {
			return xv == yv, nil
		}
	}
	if da || db {
		return false, nil
	}
	return false, fmt.Errorf("cannot compare a %s with a %s", typeName(x), typeName(y))
}

// compare orders two values of comparable types.
func compare(a, b any) (int, error) {
	_, da := a.(dyn)
	_, db := b.(dyn)
	x, y := undyn(a), undyn(b)
	if isNumber(x) && isNumber(y) {
		fx, fy := toFloat(x), toFloat(y)
		switch {
		case fx < fy:
			return -1, nil
		case fx > fy:
			return 1, nil
		}
		return 0, nil
	}
	switch xv := x.(type) {
	case string:
		if yv, ok := y.(string); ok {
			return strings.Compare(xv, yv), nil
		}
	case time.Time:
		if yv, ok := y.(time.Time); ok {
			return xv.Compare(yv), nil
		}
	case time.Duration:
		if yv, ok := y.(time.Duration); ok {
			switch {
			case xv < yv:
				return -1, nil
			case xv > yv:
				return 1, nil
			}
			return 0, nil
		}
	case bool:
		if yv, ok := y.(bool); ok {
			switch {
			case xv == yv:
				return 0, nil
			case !xv:
				return -1, nil
			}
			return 1, nil
		}
	}
	if da || db {
		return 0, fmt.Errorf("cannot order a dynamic %s against a %s; convert it first", typeName(x), typeName(y))
	}
	return 0, fmt.Errorf("cannot compare a %s with a %s", typeName(x), typeName(y))
}

func arith(op string, a, b any) (any, error) {
	x, y := undyn(a), undyn(b)
	if x == nil || y == nil {
		return nil, nil
	}
	switch xv := x.(type) {
	case int64:
		if yv, ok := y.(int64); ok {
			switch op {
			case "+":
				return xv + yv, nil
			case "-":
				return xv - yv, nil
			case "*":
				return xv * yv, nil
			case "/":
				if yv == 0 {
					return nil, nil
				}
				return xv / yv, nil
			case "%":
				if yv == 0 {
					return nil, nil
				}
				return xv % yv, nil
			}
		}
	case time.Time:
		switch yv := y.(type) {
		case time.Duration:
			switch op {
			case "+":
				return xv.Add(yv), nil
			case "-":
				return xv.Add(-yv), nil
			}
		case time.Time:
			if op == "-" {
				return xv.Sub(yv), nil
			}
		}
	case time.Duration:
		switch yv := y.(type) {
		case time.Duration:
			switch op {
			case "+":
				return xv + yv, nil
			case "-":
				return xv - yv, nil
			case "/":
				if yv == 0 {
					return nil, nil
				}
				return float64(xv) / float64(yv), nil
			}
		case int64:
			switch op {
			case "*":
				return xv * time.Duration(yv), nil
			case "/":
				if yv == 0 {
					return nil, nil
				}
				return xv / time.Duration(yv), nil
			}
		}
	}
	if isNumber(x) && isNumber(y) {
		fx, fy := toFloat(x), toFloat(y)
		switch op {
		case "+":
			return fx + fy, nil
		case "-":
			return fx - fy, nil
		case "*":
			return fx * fy, nil
		case "/":
			if fy == 0 {
				return nil, nil
			}
			return fx / fy, nil
		case "%":
			return math.Mod(fx, fy), nil
		}
	}
	return nil, fmt.Errorf("cannot apply %s to a %s and a %s", op, typeName(x), typeName(y))
}
