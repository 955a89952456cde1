package rsx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Error is one problem in an RSX file.
type Error struct {
	// Path is the element path, with 1-based indexes where an element
	// repeats: Orders/Order[1]/LineItem[2]/OrderLine/OrderQty.
	Path string `json:"path"`
	// Line is the input line of the element (or of the syntax error).
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("%s (line %d): %s", e.Path, e.Line, e.Message)
}

// Errors is a list of problems; it is an error itself.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, 0, len(es))
	for _, e := range es {
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "; ")
}

// Limits on what Parse reads.
const (
	MaxSize  = 64 << 20
	maxDepth = 64
)

// node is one element, by local name.
type node struct {
	name string
	text string
	line int
	path string
	kids []*node
}

// IsXML reports whether data looks like XML (after a byte order mark and
// white space, a '<'), as opposed to X12 (which starts with ISA).
func IsXML(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '<'
}

// parseTree reads the document into nodes.
func parseTree(data []byte) (*node, error) {
	if len(data) > MaxSize {
		return nil, &Error{Line: 1, Message: fmt.Sprintf("file is %d bytes, over the %d-byte limit", len(data), MaxSize)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "us-ascii", "ascii":
			return in, nil
		}
		return nil, fmt.Errorf("encoding %q is not supported (RSX is UTF-8)", charset)
	}
	var root *node
	var stack []*node
	var text []*strings.Builder
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &Error{Path: pathOf(stack), Line: se.Line, Message: "malformed XML: " + se.Msg}
			}
			return nil, &Error{Path: pathOf(stack), Line: line, Message: "malformed XML: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, &Error{Path: pathOf(stack), Line: line, Message: fmt.Sprintf("elements nested deeper than %d", maxDepth)}
			}
			if root != nil && len(stack) == 0 {
				return nil, &Error{Line: line, Message: "more than one root element"}
			}
			n := &node{name: t.Name.Local, line: line}
			if len(stack) == 0 {
				root = n
				n.path = n.name
			} else {
				parent := stack[len(stack)-1]
				same := 0
				for _, k := range parent.kids {
					if k.name == n.name {
						same++
					}
				}
				n.path = parent.path + "/" + n.name
				if same > 0 || repeating[n.name] {
					n.path += "[" + strconv.Itoa(same+1) + "]"
				}
				parent.kids = append(parent.kids, n)
			}
			stack = append(stack, n)
			text = append(text, &strings.Builder{})
		case xml.CharData:
			if len(stack) > 0 {
				text[len(text)-1].Write(t)
			}
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.text = strings.TrimSpace(text[len(text)-1].String())
			stack, text = stack[:len(stack)-1], text[:len(text)-1]
		}
	}
	if root == nil {
		return nil, &Error{Line: 1, Message: "no root element: the file is empty or not XML"}
	}
	if len(stack) > 0 {
		return nil, &Error{Path: pathOf(stack), Line: stack[len(stack)-1].line, Message: "truncated: the element is never closed"}
	}
	return root, nil
}

// repeating names elements that get an index even when alone, so the
// path of the first one is the same whether or not others follow.
var repeating = map[string]bool{
	"Order": true, "PurchaseOrder": true, "LineItem": true, "Shipment": true, "OrderLevel": true, "PackLevel": true, "ItemLevel": true,
	"Dates": true, "Date": true, "Address": true, "References": true, "Reference": true, "Miscellaneous": true,
}

func pathOf(stack []*node) string {
	if len(stack) == 0 {
		return ""
	}
	return stack[len(stack)-1].path
}

func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

func (n *node) all(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// get returns the text of the first child named one of names.
func (n *node) get(names ...string) string {
	for _, name := range names {
		if c := n.child(name); c != nil {
			return c.text
		}
	}
	return ""
}

// at returns the first child named one of names (for error places).
func (n *node) at(names ...string) *node {
	for _, name := range names {
		if c := n.child(name); c != nil {
			return c
		}
	}
	return nil
}
