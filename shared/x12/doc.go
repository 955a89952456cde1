// Package x12 reads, validates, acknowledges and writes ANSI X12 004010
// EDI for the retail B2B channel: 850 purchase orders, 940 warehouse
// shipping orders, 945 warehouse shipping advices, 856 ship notices and 997
// functional acknowledgments. It depends only on the standard library.
//
// What it guarantees:
//
//   - Delimiters are never assumed. Each ISA supplies its own (element
//     separator at byte index 3, component separator ISA16, segment
//     terminator after it, repetition separator ISA11 only when ISA12 >=
//     00402 and the byte is not alphanumeric), so interchanges with
//     different delimiters can share a file.
//   - Reading never drops a readable segment and never panics. CR/LF after
//     terminators, a newline as the terminator, a UTF-8 BOM, indentation,
//     blank lines, a space before the terminator, a missing final
//     terminator, TA1 segments, "ISA" inside data and a trimmed
//     (non-canonical) ISA are tolerated; bytes that cannot be read are
//     skipped up to the next ISA and reported. Segments outside their
//     envelope are kept and reported.
//   - Every problem is an *Error with a stable Code, a stable Message per
//     code, and its place: byte offset, segment ordinal and ID, position in
//     the transaction set, loop, element and component.
//   - Reader streams with a fixed buffer and no allocation per segment;
//     segments are views valid until the next call (Segment.Clone keeps
//     one). ParseBytes builds an interchange/group/set tree whose segments
//     alias the input. Validator.ValidateReader validates a stream without
//     building the tree, ValidateOutline also keeps the envelopes, and
//     EachSet hands over one transaction set at a time; their memory
//     depends on the envelopes and the problems, not on the input's size.
//     Streaming and tree validation report the same problems.
//   - Input with no segment at all is an error (CodeEmpty): there is no
//     interchange to accept.
//   - Layouts are data (SetSpec tables of segments, loops, elements, code
//     lists and Rules); a new transaction set is a new table. The 856
//     hierarchy (HL01 increasing, HL02 naming an earlier HL, levels allowed
//     by the BSN05 structure, PRF in every order, LIN and SN1 in every item),
//     CTT counts and SSCC-18 check digits are table rules.
//   - BuildAcks writes one 997 per received functional group with AK3/AK4
//     for every error, AK5 per set and the AK9 A/E/P/R roll-up; a 997 is
//     never acknowledged. ReadFunctionalAck and Reconcile report what a
//     partner's 997 did to the sets we sent.
//   - Envelope.Encode counts SE01, GE01 and IEA01 and takes control numbers
//     from a caller-supplied ControlNumbers; nothing is written unless the
//     whole interchange was built. Document.WriteTo reproduces canonical
//     input byte for byte.
//   - Quantities and money are Decimal (exact text), never float64.
package x12
