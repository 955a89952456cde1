// Package pack writes the Function App's deployment package: one zip with
// host.json and the handler binary at its root and one folder per function
// holding that function's function.json, which is the layout the Functions
// host reads. Nothing else goes in: not local.settings*.json, not sources,
// not other files lying in a function's folder.
//
// The zip is reproducible (sorted entries, fixed timestamps), the handler
// keeps its execute bit in the entries' Unix attributes, and Write refuses a
// handler that is not a static linux/amd64 executable or a host.json that
// starts another executable.
package pack
