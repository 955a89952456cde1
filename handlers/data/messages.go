package data

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/fault"
)

// TopicInventoryHistory carries export requests to inventory-export.
const TopicInventoryHistory = "inventory-history"

// EventInventoryExport is the envelope's event_type.
const EventInventoryExport = "inventory.history.export.request"

// ObjectExport is the envelope's object_type.
const ObjectExport = "EXPORT"

// ExportRequest is the payload of an inventory-history message.
type ExportRequest struct {
	RequestID string `json:"request_id"`
	Warehouse string `json:"warehouse,omitempty"`
	From      string `json:"from"` // YYYY-MM-DD
	To        string `json:"to"`
	// Attempt is 1, and grows each time the request is queued again after it failed.
	Attempt int `json:"attempt"`
}

// ExportMessage is the message queuing r.
func ExportMessage(r ExportRequest, now time.Time) (bus.Message, error) {
	env, err := bus.Request("", EventInventoryExport, ObjectExport, r.RequestID, r, now)
	if err != nil {
		return bus.Message{}, err
	}
	return bus.Message{Topic: TopicInventoryHistory, Key: fmt.Sprintf("%s/export/%d", r.RequestID, r.Attempt), Envelope: env}, nil
}

// decodeExport reads an inventory-history message; what cannot be read is malformed.
func decodeExport(body []byte) (ExportRequest, error) {
	env, err := bus.DecodeEnvelope(body)
	if err != nil {
		return ExportRequest{}, fault.Malformed(err)
	}
	if env.EventType != EventInventoryExport {
		return ExportRequest{}, fault.Permanentf("message is a %q, not a %s", env.EventType, EventInventoryExport)
	}
	var r ExportRequest
	if err := json.Unmarshal(env.RequestedPayload, &r); err != nil {
		return ExportRequest{}, fault.Malformedf("export request payload: %v", err)
	}
	if r.RequestID == "" || r.RequestID != env.RefeID {
		return ExportRequest{}, fault.Malformedf("export request %q does not match the envelope's %q", r.RequestID, env.RefeID)
	}
	for _, d := range []string{r.From, r.To} {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return ExportRequest{}, fault.Malformedf("export request %s: %q is not YYYY-MM-DD", r.RequestID, d)
		}
	}
	return r, nil
}
