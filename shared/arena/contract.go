package arena

// CONTRACT. Arena's REST API is public (ptc-arena/arena-restapi-doc; facts
// in ../reference/partners.md section 4). This file holds the paths,
// headers and shapes this package uses, and the few things it assumes (A),
// in one place; the client and the fake (arenatest) both read it.

import (
	"encoding/json"
	"net/url"
	"strings"
)

// Headers.
const (
	// HeaderSession carries the session token (not arenaSessionId).
	HeaderSession = "arena_session_id"
	// HeaderRemaining is how many requests the workspace has left today.
	HeaderRemaining = "X-Arena-Requests-Remaining"
	// HeaderReset is when the count resets (A: an HTTP date or RFC 3339;
	// both are read).
	HeaderReset = "X-Arena-Next-Request-Limit-Reset"
)

// Paths, relative to ARENA_BASE_URL (https://api.arenasolutions.com/v1).
// The {x} patterns are the ones net/http's ServeMux reads.
const (
	PathLogin      = "/login"
	PathItems      = "/items"
	PathItem       = "/items/{guid}"
	PathItemBOM    = "/items/{guid}/bom"
	PathEvents     = "/outboundintegrations/{integration}/events"
	PathEvent      = "/outboundintegrations/{integration}/events/{event}"
	PathEventItems = "/outboundintegrations/{integration}/events/{event}/items"
)

// ItemPath is PathItem for one GUID, escaped; the other builders follow it.
func ItemPath(guid string) string    { return "/items/" + url.PathEscape(guid) }
func itemBOMPath(guid string) string { return ItemPath(guid) + "/bom" }
func eventsPath(integration string) string {
	return "/outboundintegrations/" + url.PathEscape(integration) + "/events"
}
func eventPath(integration, event string) string {
	return eventsPath(integration) + "/" + url.PathEscape(event)
}

// Query parameters.
const (
	ParamOffset          = "offset"
	ParamLimit           = "limit"
	ParamNumber          = "number"
	ParamEffectiveFrom   = "effectiveDateTimeFrom"
	ParamResponseView    = "responseview"
	ParamIncludeEmpty    = "includeEmptyAdditionalAttributes"
	ParamItemsReconciled = "itemsReconciled"
	ParamReconciled      = "reconciled"
	ResponseViewFull     = "full"
)

// MaxPageLimit is the most results one page of a list holds.
const MaxPageLimit = 400

// Revision statuses (Item.Status).
const (
	RevisionStatusWorking    = 0
	RevisionStatusEffective  = 1
	RevisionStatusSuperseded = 2
)

// ErrorCodeBadCredentials is the code of a refused login (HTTP 400).
const ErrorCodeBadCredentials = 4001

// EscapeNumber escapes an item number for a search: Arena needs % as %25
// and + as %2b, and treats a trailing * as a prefix match, which an exact
// lookup must not do.
func EscapeNumber(n string) string { return strings.TrimRight(n, "*") }

// WireLogin is the body of POST PathLogin.
type WireLogin struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	WorkspaceID int64  `json:"workspaceId,omitempty"`
}

// WireLoginAnswer is its answer.
type WireLoginAnswer struct {
	SessionID             string `json:"arena_session_id"`
	WorkspaceID           int64  `json:"workspaceId"`
	WorkspaceName         string `json:"workspaceName"`
	WorkspaceRequestLimit int    `json:"workspaceRequestLimit"`
}

// WireList is every list answer: {count, results[]}.
type WireList[T any] struct {
	Count   int `json:"count"`
	Results []T `json:"results"`
}

// WireError is every error answer.
type WireError struct {
	Status int `json:"status"`
	Errors []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// WireReconcile is the body of PUT PathEvent.
type WireReconcile struct {
	ItemsReconciled bool `json:"itemsReconciled"`
}

// Ref is a reference to another object (category, lifecycle phase).
type Ref struct {
	GUID string `json:"guid"`
	Name string `json:"name"`
}

// Attribute is one custom (additional) attribute. Value is a number, a
// string, a date string or a list, as Arena sends it.
type Attribute struct {
	GUID      string          `json:"guid"`
	APIName   string          `json:"apiName"`
	Name      string          `json:"name"`
	FieldType string          `json:"fieldType"`
	Value     json.RawMessage `json:"value"`
}

// Item is GET PathItem's answer (an item at one revision).
type Item struct {
	GUID                 string      `json:"guid"`
	Number               string      `json:"number"`
	Name                 string      `json:"name"`
	Description          string      `json:"description"`
	RevisionNumber       string      `json:"revisionNumber"`
	Status               int         `json:"status"`
	EffectiveDateTime    string      `json:"effectiveDateTime"`
	SupersededDateTime   string      `json:"supersededDateTime"`
	Category             Ref         `json:"category"`
	LifecyclePhase       Ref         `json:"lifecyclePhase"`
	UOM                  string      `json:"uom"`
	AssemblyType         string      `json:"assemblyType"`
	AdditionalAttributes []Attribute `json:"additionalAttributes"`
}

// ItemRef is an item as a BOM line or an event names it.
type ItemRef struct {
	GUID           string `json:"guid"`
	Number         string `json:"number"`
	Name           string `json:"name"`
	RevisionNumber string `json:"revisionNumber"`
	RevisionStatus string `json:"revisionStatus,omitempty"`
}

// BOMLine is one line of GET PathItemBOM.
type BOMLine struct {
	GUID       string      `json:"guid"`
	LineNumber int         `json:"lineNumber"`
	Quantity   json.Number `json:"quantity"`
	RefDes     string      `json:"refDes"`
	Notes      string      `json:"notes"`
	Item       ItemRef     `json:"item"`
}

// Event is one outbound-integration event (GET PathEvents).
type Event struct {
	GUID             string `json:"guid"`
	EventType        string `json:"eventType"`
	Status           string `json:"status"`
	CreationDateTime string `json:"creationDateTime"`
	ItemsReconciled  bool   `json:"itemsReconciled"`
	Change           *struct {
		GUID              string `json:"guid"`
		Number            string `json:"number"`
		EffectiveDateTime string `json:"effectiveDateTime"`
	} `json:"change,omitempty"`
}

// EventItem is one item of an event (GET PathEventItems): the revision
// the event made effective, and the one it superseded.
type EventItem struct {
	GUID       string   `json:"guid"`
	Reconciled bool     `json:"reconciled"`
	Effective  *ItemRef `json:"effectiveItemRevision,omitempty"`
	Superseded *ItemRef `json:"supersededItemRevision,omitempty"`
}
