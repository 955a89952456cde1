// Package check reads the Bicep under infra/ without the Bicep CLI: a node
// script (bicep.cjs) parses each file with tree-sitter-bicep and returns its
// syntax errors and an outline of its declarations, and Validate checks what
// the compiler would check across files: module paths and parameters, module
// output references, load*() paths, and that each .bicepparam file sets only
// parameters its template declares and every one it requires.
//
// The parser packages live in .tools/node_modules (`make tools`). When node
// or the packages are missing, NewRunner fails and says so; the checks never
// pass silently.
package check
