package product

import "time"

// TopicProducts carries one message per Arena item revision.
const TopicProducts = "products"

// EventItemRevision is an item revision read from Arena (the envelope's
// event_type and the message Subject).
const EventItemRevision = "arena.item.revision"

// Systems products are pushed to (journey and product_pushes).
const (
	SystemOMS          = "oms"
	SystemPrintStation = "printstation"
	SystemJackyun      = "jackyun"
)

// Revision is the payload of a products message: an item at one revision,
// with its attributes and BOM, as Arena has it.
type Revision struct {
	ItemNumber     string      `json:"item_number"`
	Revision       string      `json:"revision"`
	ItemGUID       string      `json:"item_guid"`
	RevisionGUID   string      `json:"revision_guid"`
	Name           string      `json:"name"`
	Description    string      `json:"description,omitempty"`
	Category       string      `json:"category,omitempty"`
	LifecyclePhase string      `json:"lifecycle_phase,omitempty"`
	UOM            string      `json:"uom,omitempty"`
	EffectiveAt    time.Time   `json:"effective_at"`
	Attributes     []Attribute `json:"attributes"`
	BOM            []BOMLine   `json:"bom"`
}

// Attribute is one additional attribute, its value as text.
type Attribute struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	FieldType string `json:"field_type,omitempty"`
}

// BOMLine is one line of the item's bill of materials.
type BOMLine struct {
	LineNumber int    `json:"line_number"`
	ItemNumber string `json:"item_number"`
	Revision   string `json:"revision,omitempty"`
	Quantity   string `json:"quantity"`
	RefDes     string `json:"ref_des,omitempty"`
}

// Attr returns the value of the attribute called name (case-insensitive), or "".
func (r Revision) Attr(name string) string {
	for _, a := range r.Attributes {
		if equalFold(a.Name, name) {
			return a.Value
		}
	}
	return ""
}
