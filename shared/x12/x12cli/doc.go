// Package x12cli is the "edi" command line over package x12: validate,
// acknowledge, show and dump X12 files, and validate, show and dump SPS
// RSX XML files (detected from the content: XML starts with '<'; problems
// name the element path and line).
//
// Run never exits the process and never reads the environment; it returns
// the exit code: 0 when every file is valid (or the command succeeded, or
// help was asked for), 1 when a file has problems (validate, json) or
// nothing could be acknowledged (ack), 2 on usage or I/O errors. An empty
// file is invalid: it holds no interchange.
//
// validate, ack and json stream their input: memory depends on the
// envelopes and on the problems found, not on the size of the file. json
// reads its input twice (standard input is spooled to a temporary file);
// show reads the whole file.
//
// Control numbers for "ack" come from an in-memory sequence (see -start),
// so the command is for inspection and tests; production acknowledgments
// take their numbers from a persistent x12.ControlNumbers.
package x12cli
