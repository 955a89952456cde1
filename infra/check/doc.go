// Package check reads the Bicep under infra/ without the Bicep CLI: a node
// script (bicep.cjs) parses each file with tree-sitter-bicep and returns its
// syntax errors and an outline of its declarations, and Validate checks what
// the compiler would check across files: module paths and parameters, module
// output references, load*() paths, and that each .bicepparam file sets only
// parameters its template declares and every one it requires.
//
// Two checks read no Bicep: Functions refuses function.json files that
// Flex Consumption would refuse (a blob trigger not sourced from Event
// Grid), and Queries holds the operators' KQL together: every
// infra/queries/*.kql parses, every kusto block of README.md (and of the
// flows' README parts it is given) is one of those files verbatim, and no
// query counts rows of a table that host.json lets sampling thin out.
//
// The parser packages live in .tools/node_modules (`make tools`). When node
// or the packages are missing, NewRunner fails and says so; the checks never
// pass silently.
package check
