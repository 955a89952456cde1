package kql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

func call(e *callExpr, r Row, f *frame, env Env) (any, error) {
	if aggregators[e.fn] {
		return nil, fmt.Errorf("%s() is an aggregation; use it in summarize", e.fn)
	}
	// iff evaluates only the branch it takes.
	if e.fn == "iff" || e.fn == "iif" {
		if len(e.args) != 3 {
			return nil, fmt.Errorf("%s takes 3 arguments", e.fn)
		}
		c, err := eval(e.args[0], r, f, env)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return eval(e.args[1], r, f, env)
		}
		return eval(e.args[2], r, f, env)
	}
	args := make([]any, len(e.args))
	for i, a := range e.args {
		v, err := eval(a, r, f, env)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	n := func(want int) error {
		if len(args) != want {
			return fmt.Errorf("%s takes %d argument(s)", e.fn, want)
		}
		return nil
	}
	switch e.fn {
	case "now":
		return env.Now, n(0)
	case "ago":
		if err := n(1); err != nil {
			return nil, err
		}
		d, ok := args[0].(time.Duration)
		if !ok {
			return nil, fmt.Errorf("ago takes a timespan")
		}
		return env.Now.Add(-d), nil
	case "not":
		if err := n(1); err != nil {
			return nil, err
		}
		if undyn(args[0]) == nil {
			return nil, nil
		}
		return !truthy(args[0]), nil
	case "parse_json", "todynamic":
		if err := n(1); err != nil {
			return nil, err
		}
		if d, ok := args[0].(dyn); ok {
			if s, ok := d.v.(string); ok {
				return parseJSON(s), nil
			}
			return d, nil
		}
		if s, ok := args[0].(string); ok {
			return parseJSON(s), nil
		}
		return dyn{args[0]}, nil
	case "tostring":
		if err := n(1); err != nil {
			return nil, err
		}
		return toString(args[0]), nil
	case "toint", "tolong":
		if err := n(1); err != nil {
			return nil, err
		}
		return toLong(args[0]), nil
	case "todouble", "toreal":
		if err := n(1); err != nil {
			return nil, err
		}
		return toReal(args[0]), nil
	case "tobool", "toboolean":
		if err := n(1); err != nil {
			return nil, err
		}
		switch v := undyn(args[0]).(type) {
		case bool:
			return v, nil
		case string:
			if b, err := strconv.ParseBool(strings.ToLower(v)); err == nil {
				return b, nil
			}
		case int64:
			return v != 0, nil
		}
		return nil, nil
	case "isempty", "isnotempty":
		if err := n(1); err != nil {
			return nil, err
		}
		v := undyn(args[0])
		empty := v == nil || v == ""
		return empty == (e.fn == "isempty"), nil
	case "isnull", "isnotnull":
		if err := n(1); err != nil {
			return nil, err
		}
		return (undyn(args[0]) == nil) == (e.fn == "isnull"), nil
	case "strcat":
		var b strings.Builder
		for _, a := range args {
			b.WriteString(toString(a))
		}
		return b.String(), nil
	case "round":
		if len(args) != 1 && len(args) != 2 {
			return nil, fmt.Errorf("round takes 1 or 2 arguments")
		}
		x := undyn(args[0])
		if x == nil {
			return nil, nil
		}
		if !isNumber(x) {
			return nil, fmt.Errorf("round of a %s", typeName(x))
		}
		digits := int64(0)
		if len(args) == 2 {
			d, ok := undyn(args[1]).(int64)
			if !ok {
				return nil, fmt.Errorf("round's precision must be a long")
			}
			digits = d
		}
		if i, ok := x.(int64); ok && digits >= 0 {
			return i, nil
		}
		p := math.Pow(10, float64(digits))
		return math.Round(toFloat(x)*p) / p, nil
	case "bin":
		if err := n(2); err != nil {
			return nil, err
		}
		switch v := undyn(args[0]).(type) {
		case time.Time:
			d, ok := args[1].(time.Duration)
			if !ok || d <= 0 {
				return nil, fmt.Errorf("bin of a datetime takes a positive timespan")
			}
			return v.Truncate(d), nil
		case int64:
			s, ok := args[1].(int64)
			if !ok || s <= 0 {
				return nil, fmt.Errorf("bin of a long takes a positive long")
			}
			return v - v%s, nil
		}
		return nil, fmt.Errorf("bin of a %s", typeName(args[0]))
	}
	return nil, fmt.Errorf("function %s() is not supported here", e.fn)
}

// parseJSON is parse_json: JSON text to a dynamic value; text that is not
// JSON stays a dynamic string.
func parseJSON(s string) dyn {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return dyn{s}
	}
	return dyn{normalizeJSON(v)}
}

// normalizeJSON turns json.Number into int64 or float64, deeply.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case float32:
		return float64(x)
	case int:
		return int64(x)
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJSON(e)
		}
		return x
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e)
		}
		return x
	}
	return v
}

// toString is tostring: "" for null, the text of a string, JSON for
// dynamic objects and arrays.
func toString(v any) string {
	switch x := undyn(v).(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.0000000Z")
	case time.Duration:
		return formatSpan(x)
	case map[string]any, []any:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(x)
		return strings.TrimSpace(b.String())
	}
	return fmt.Sprint(v)
}

func formatSpan(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	s := fmt.Sprintf("%02d:%02d:%02d", d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second)
	if frac := d % time.Second; frac != 0 {
		s += fmt.Sprintf(".%07d", frac/100)
	}
	if days > 0 {
		s = fmt.Sprintf("%d.%s", days, s)
	}
	return sign + s
}

func toLong(v any) any {
	switch x := undyn(v).(type) {
	case int64:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return int64(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case string:
		if i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return i
		}
	}
	return nil
}

func toReal(v any) any {
	switch x := undyn(v).(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f
		}
	}
	return nil
}
