package product

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/popsockets/integration/shared/arena"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
)

// ItemReader is what the item lookup asks of Arena.
type ItemReader interface {
	FindItems(ctx context.Context, number string) ([]arena.Item, error)
	Item(ctx context.Context, guid string) (arena.Item, json.RawMessage, error)
	BOM(ctx context.Context, guid string) ([]arena.BOMLine, json.RawMessage, error)
}

var _ ItemReader = (*arena.Client)(nil)

// Lookup is the arena-item function: GET /api/arena/item?item_number=708470,
// the item lookup other teams call (cm-int-service-exp's /arena/item).
type Lookup struct {
	Arena ItemReader
}

// LookupAnswer is the 200 answer: the item as Arena has it (its effective
// revision, every additional attribute) and its BOM lines (A: the shape
// cm-product-sys assembled, "item plus BOM").
type LookupAnswer struct {
	Item json.RawMessage `json:"item"`
	BOM  json.RawMessage `json:"bom"`
}

// NotFound is the 404 answer.
type NotFound struct {
	Error      string `json:"error"`
	ItemNumber string `json:"item_number"`
}

func (l *Lookup) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	number := r.URL.Query().Get("item_number")
	if err := azfunc.CheckField("item_number", number, maxID, true); err != nil {
		azfunc.Fail(w, r, fault.Malformed(err))
		return
	}
	azfunc.SetCorrelationID(ctx, number)
	items, err := l.Arena.FindItems(ctx, number)
	if err != nil {
		azfunc.Fail(w, r, err)
		return
	}
	if len(items) == 0 {
		azfunc.Note(ctx, "event", "arena item not found")
		azfunc.WriteJSON(w, http.StatusNotFound, NotFound{Error: "Arena has no item with this number", ItemNumber: number})
		return
	}
	_, raw, err := l.Arena.Item(ctx, items[0].GUID)
	if err != nil {
		azfunc.Fail(w, r, err)
		return
	}
	_, bom, err := l.Arena.BOM(ctx, items[0].GUID)
	if err != nil {
		azfunc.Fail(w, r, err)
		return
	}
	var list arena.WireList[json.RawMessage]
	if err := json.Unmarshal(bom, &list); err != nil {
		azfunc.Fail(w, r, fault.Transient(err, 0))
		return
	}
	if list.Results == nil {
		list.Results = []json.RawMessage{}
	}
	lines, _ := json.Marshal(list.Results)
	azfunc.Note(ctx, "event", "arena item looked up", "bom_lines", len(list.Results), "matches", len(items))
	azfunc.WriteJSON(w, http.StatusOK, LookupAnswer{Item: raw, BOM: lines})
}
