// Package sealing declares the OMS AES-256-GCM key settings once, for every
// flow that seals customer data (the EDI flow's 940 ship-to) or opens it
// (fulfilment's warehouse steps). Flows declare the same four settings with
// the same words, so the kit accepts them from both and one Key Vault secret
// serves both.
package sealing

import (
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/oms"
)

// Settings are the key settings, read by the named functions.
func Settings(functions ...string) []kit.Setting {
	return []kit.Setting{
		{Name: "OMS_AES_KEY_ID", Description: "id of the AES-256-GCM key OMS seals customer data with", Functions: functions},
		{Name: "OMS_AES_KEY", Description: "that key, base64 of 32 bytes", Secret: true, Functions: functions},
		{Name: "OMS_AES_PREVIOUS_KEY_ID", Description: "id of the key being retired during a rotation (or empty)", Optional: true, Functions: functions},
		{Name: "OMS_AES_PREVIOUS_KEY", Description: "the key being retired (or empty)", Secret: true, Optional: true, Functions: functions},
	}
}

// Keyring is the keyring those settings describe; a malformed key stops the
// function being built.
func Keyring(p *kit.Parts) *oms.Keyring {
	k, err := oms.NewKeyring(p.Setting("OMS_AES_KEY_ID"), p.Setting("OMS_AES_KEY"),
		p.Setting("OMS_AES_PREVIOUS_KEY_ID"), p.Setting("OMS_AES_PREVIOUS_KEY"))
	p.Fail(err)
	return k
}
