package partnerset

import (
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/oms"
)

// Sealing declares the OMS AES-256-GCM key settings, read by the named
// functions: the EDI flow seals the 940's ship-to with them, fulfilment's
// warehouse steps open sealed customer data.
func Sealing(functions ...string) []kit.Setting {
	return []kit.Setting{
		{Name: "OMS_AES_KEY_ID", Description: "id of the AES-256-GCM key OMS seals customer data with", Functions: functions},
		{Name: "OMS_AES_KEY", Description: "that key, base64 of 32 bytes", Secret: true, Functions: functions},
		{Name: "OMS_AES_PREVIOUS_KEY_ID", Description: "id of the key being retired during a rotation (or empty)", Optional: true, Functions: functions},
		{Name: "OMS_AES_PREVIOUS_KEY", Description: "the key being retired (or empty)", Secret: true, Optional: true, Functions: functions},
	}
}

// Keyring is the keyring Sealing's settings describe; a malformed key stops
// the function being built.
func Keyring(p *kit.Parts) *oms.Keyring {
	k, err := oms.NewKeyring(p.Setting("OMS_AES_KEY_ID"), p.Setting("OMS_AES_KEY"),
		p.Setting("OMS_AES_PREVIOUS_KEY_ID"), p.Setting("OMS_AES_PREVIOUS_KEY"))
	p.Fail(err)
	return k
}
