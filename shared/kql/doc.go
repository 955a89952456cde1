// Package kql evaluates the small part of the Kusto Query Language that the
// operators' queries (README.md) and the alert rules (infra/queries) use,
// over tables held in memory. The local host records its telemetry in the
// shape Application Insights gives it, so tests can run the shipped queries
// over it and see what an operator or an alert would see in Azure.
//
// It supports tabular pipes that start with a table name and go through
// where, extend, project, summarize ... by, order by / sort by, take /
// limit and join (kind inner, leftouter, or the default innerunique) on
// one or more keys; scalar expressions with and, or, ==, !=, <, <=, >, >=,
// in, !in, has, contains, startswith, +, -, *, /, member access and
// indexing of dynamic values; the functions ago, now, not, parse_json,
// tostring, toint, tolong, todouble, toreal, tobool, iff, iif, isempty,
// isnotempty, isnull, isnotnull, strcat, round; and the aggregations
// count, countif, sum, sumif, dcount, min and max.
//
// What it guarantees: a query it accepts means what it means in Kusto for
// the rows it is given (long division truncates, order by defaults to
// descending, comparisons with null are false, the default join keeps one
// left row per key). A query outside the subset is an error, never a
// silent approximation, and so is comparing a string column with a number,
// which Kusto refuses too: `resultCode >= 500` fails here as it fails in
// Log Analytics, while `toint(resultCode) >= 500` works in both.
package kql
