// Package x12cli is the "edi" command line over package x12: validate,
// acknowledge, show and dump X12 files.
//
// Run never exits the process and never reads the environment; it returns
// the exit code: 0 when every file is valid (or the command succeeded), 1
// when a file has problems, 2 on usage or I/O errors. Control numbers for
// "ack" come from an in-memory sequence (see -start), so the command is
// for inspection and tests; production acknowledgments take their numbers
// from a persistent x12.ControlNumbers.
package x12cli
