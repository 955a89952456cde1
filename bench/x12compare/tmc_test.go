package x12compare

// tmcRecorded holds tmc/x12's throughput in MB/s (10^6 bytes a second) on
// the inputs Generate makes at compareSize, measured side by side with the
// project's paths in one go test -bench run (medians of 5) on 2026-12-04;
// README.md gives the commit of tmc/x12, the machine and the method. Keys
// are "<set>/decode" (x12.Decode) and "<set>/validate" (x12.Decode, then
// Document.Validate).
var tmcRecorded = map[string]float64{
	"856/decode":   60.5,
	"856/validate": 62.4,
	"850/decode":   77.0,
	"850/validate": 77.3,
}
