package x12compare

// tmcRecorded holds tmc/x12's throughput in MB/s (10^6 bytes a second) on
// the inputs Generate makes at compareSize, measured side by side with this
// module's BenchmarkCompare in one go test -bench run; README.md gives the
// date, the commit of tmc/x12, the machine and how it was measured. Keys
// are "<set>/decode" (x12.Decode) and "<set>/validate" (x12.Decode, then
// Document.Validate).
var tmcRecorded = map[string]float64{
	"856/decode":   0,
	"856/validate": 0,
	"850/decode":   0,
	"850/validate": 0,
}
