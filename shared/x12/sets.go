package x12

// Built-in 004010 layouts. Each set is a table of segments and loops in
// standard order with requirement designators and maximum uses; business
// rules are Rules. Adding a set means adding a table here (or passing one
// to NewSchema).

// unbounded marks ">1" maximum use.
const unbounded = 0

func s(id string, r Req, maxUse int) Entry { return Entry{Seg: id, Req: r, Max: maxUse} }

func loop(id string, r Req, maxUse int, entries ...Entry) Entry {
	return Entry{Loop: &LoopSpec{ID: id, Entries: entries}, Req: r, Max: maxUse}
}

func builtinSets() []*SetSpec {
	return []*SetSpec{set850(), set856(), set940(), set945(), set997()}
}

func set850() *SetSpec {
	return &SetSpec{
		ID: "850", Name: "Purchase Order", FunctionalID: "PO",
		Entries: []Entry{
			s("BEG", M, 1),
			s("CUR", O, 1),
			s("REF", O, unbounded),
			s("PER", O, 3),
			s("TAX", O, unbounded),
			s("FOB", O, unbounded),
			s("CTP", O, unbounded),
			s("PAM", O, 10),
			s("CSH", O, 5),
			s("TC2", O, unbounded),
			loop("SAC", O, 25, s("SAC", M, 1), s("CUR", O, 1)),
			s("ITD", O, unbounded),
			s("DIS", O, 20),
			s("INC", O, 1),
			s("DTM", O, 10),
			s("LDT", O, 12),
			s("LIN", O, 5),
			s("SI", O, unbounded),
			s("PID", O, 200),
			s("MEA", O, 40),
			s("PWK", O, 25),
			s("PKG", O, 200),
			s("TD1", O, 2),
			s("TD5", O, 12),
			s("TD3", O, 12),
			s("TD4", O, 5),
			s("MAN", O, 10),
			s("PCT", O, unbounded),
			s("CTB", O, 5),
			s("TXI", O, unbounded),
			loop("AMT", O, unbounded, s("AMT", M, 1), s("REF", O, 1), s("DTM", O, 1), s("PCT", O, unbounded)),
			loop("N9", O, 1000, s("N9", M, 1), s("DTM", O, 10), s("MSG", O, 1000)),
			loop("N1", O, 200, s("N1", M, 1), s("N2", O, 2), s("N3", O, 2), s("N4", O, 1), s("NX2", O, unbounded),
				s("REF", O, 12), s("PER", O, unbounded), s("SI", O, unbounded), s("FOB", O, 1), s("TD1", O, 2),
				s("TD5", O, 12), s("TD3", O, 12), s("TD4", O, 5), s("PKG", O, 200)),
			loop("LM", O, unbounded, s("LM", M, 1), s("LQ", M, unbounded)),
			loop("SPI", O, unbounded, s("SPI", M, 1), s("REF", O, 5), s("DTM", O, 5), s("MSG", O, 50)),
			loop("ADV", O, unbounded, s("ADV", M, 1), s("DTM", O, unbounded), s("MTX", O, unbounded)),
			loop("PO1", M, 100000,
				s("PO1", M, 1),
				s("LIN", O, unbounded),
				s("SI", O, unbounded),
				s("CUR", O, 1),
				s("CN1", O, unbounded),
				s("PO3", O, 25),
				loop("CTP", O, unbounded, s("CTP", M, 1), s("CUR", O, 1)),
				s("PAM", O, 10),
				s("MEA", O, 40),
				loop("PID", O, 1000, s("PID", M, 1), s("MEA", O, 10)),
				s("PWK", O, 25),
				s("PO4", O, unbounded),
				s("REF", O, unbounded),
				s("PER", O, 3),
				loop("SAC", O, 25, s("SAC", M, 1), s("CUR", O, 1)),
				s("IT8", O, 1),
				s("CSH", O, unbounded),
				s("ITD", O, 2),
				s("DIS", O, 20),
				s("INC", O, 1),
				s("TAX", O, unbounded),
				s("FOB", O, unbounded),
				s("SDQ", O, 500),
				s("IT3", O, 5),
				s("DTM", O, 10),
				s("TC2", O, unbounded),
				s("TD1", O, 1),
				s("TD5", O, 12),
				s("TD3", O, 12),
				s("TD4", O, 5),
				s("PCT", O, unbounded),
				s("MAN", O, 10),
				s("MSG", O, unbounded),
				s("SPI", O, unbounded),
				s("TXI", O, unbounded),
				s("CTB", O, unbounded),
				loop("QTY", O, unbounded, s("QTY", M, 1), s("SI", O, unbounded)),
				loop("SCH", O, 104, s("SCH", M, 1), s("TD1", O, 2), s("TD5", O, 12), s("TD3", O, 12), s("TD4", O, 5), s("REF", O, unbounded)),
				loop("LDT", O, unbounded, s("LDT", M, 1), s("QTY", O, unbounded), s("MSG", O, 1), s("REF", O, 3)),
				loop("N9", O, 1000, s("N9", M, 1), s("DTM", O, unbounded), s("MEA", O, 40), s("MSG", O, 1000)),
				loop("N1", O, 200, s("N1", M, 1), s("N2", O, 2), s("N3", O, 2), s("N4", O, 1), s("QTY", O, unbounded),
					s("NX2", O, unbounded), s("REF", O, 12), s("PER", O, 3), s("SI", O, unbounded), s("DTM", O, 1),
					s("FOB", O, 1), s("SCH", O, 200), s("TD1", O, 2), s("TD5", O, 12), s("TD3", O, 12), s("TD4", O, 5), s("PKG", O, 200)),
				loop("SLN", O, 1000, s("SLN", M, 1), s("MSG", O, 100), s("SI", O, unbounded), s("PID", O, 1000), s("PO3", O, 104),
					s("TC2", O, unbounded), s("ADV", O, 10), s("DTM", O, 10), s("CTP", O, 25), s("PAM", O, 10), s("PO4", O, 1), s("TAX", O, 3)),
				loop("AMT", O, unbounded, s("AMT", M, 1), s("REF", O, 1), s("PCT", O, unbounded)),
				loop("LM", O, unbounded, s("LM", M, 1), s("LQ", M, unbounded)),
			),
			loop("CTT", O, 1, s("CTT", M, 1), s("AMT", O, 1)),
		},
		Rules: []Rule{
			{Kind: RuleCount, Segment: "CTT", Element: 1, CountOf: "PO1"},
			{Kind: RuleHash, Segment: "CTT", Element: 2, CountOf: "PO1", SumElement: 2},
		},
	}
}

// Hierarchy structures for the 856 by BSN05: for each level, the parent
// levels it may hang under ("" is the root).
var asnStructures = map[string]map[string][]string{
	// Shipment/Order/(Tare)/Pack/Item: pick and pack.
	"0001": {"S": {""}, "O": {"S"}, "T": {"O", "S"}, "P": {"O", "T"}, "I": {"P"}},
	// Shipment/Order/Item/Pack: standard carton pack.
	"0002": {"S": {""}, "O": {"S"}, "T": {"O", "S"}, "I": {"O", "T"}, "P": {"I"}},
	// Shipment/Order/(Tare)/Item.
	"0004": {"S": {""}, "O": {"S"}, "T": {"O", "S"}, "I": {"O", "T"}},
}

func set856() *SetSpec {
	return &SetSpec{
		ID: "856", Name: "Ship Notice/Manifest", FunctionalID: "SH",
		Entries: []Entry{
			s("BSN", M, 1),
			s("DTM", O, 10),
			loop("HL", M, 200000,
				s("HL", M, 1),
				s("LIN", O, 1),
				s("SN1", O, 1),
				s("SLN", O, 1000),
				s("PRF", O, 1),
				s("PO4", O, 1),
				s("PID", O, 200),
				s("MEA", O, 40),
				s("PWK", O, 25),
				s("PKG", O, 25),
				s("TD1", O, 20),
				s("TD5", O, 12),
				s("TD3", O, 12),
				s("TD4", O, 5),
				s("TSD", O, 1),
				s("REF", O, unbounded),
				s("PER", O, 3),
				loop("LH1", O, 100, s("LH1", M, 1), s("LH2", O, 4), s("LH3", O, 12), s("LFH", O, 20), s("LEP", O, unbounded),
					s("LH4", O, 1), s("LHT", O, 3), s("LHR", O, 10), s("PER", O, 5), s("LHE", O, 1)),
				loop("CLD", O, 200, s("CLD", M, 1), s("REF", O, 200), s("DTP", O, 1)),
				s("MAN", O, unbounded),
				s("DTM", O, 10),
				s("FOB", O, 1),
				s("PAL", O, 1),
				loop("N1", O, 200, s("N1", M, 1), s("N2", O, 2), s("N3", O, 2), s("N4", O, 1), s("REF", O, 12), s("PER", O, 3), s("FOB", O, 1)),
				s("SDQ", O, 50),
				s("ETD", O, 1),
				s("CUR", O, 1),
				loop("SAC", O, unbounded, s("SAC", M, 1), s("CUR", O, 1)),
				s("GF", O, 1),
				s("YNQ", O, 10),
				loop("LM", O, 10, s("LM", M, 1), s("LQ", M, 100)),
				loop("V1", O, unbounded, s("V1", M, 1), s("R4", O, unbounded), s("DTM", O, unbounded)),
			),
			s("CTT", O, 1),
		},
		Rules: []Rule{
			{Kind: RuleCount, Segment: "CTT", Element: 1, CountOf: "HL"},
			{Kind: RuleHash, Segment: "CTT", Element: 2, CountOf: "SN1", SumElement: 2},
			{Kind: RuleHierarchy, Segment: "HL", Hierarchy: &HierarchySpec{
				StructureSegment: "BSN", StructureElement: 5,
				Structures: asnStructures,
				Requires:   map[string][]string{"O": {"PRF"}, "I": {"LIN", "SN1"}},
			}},
			{Kind: RuleCheckDigit, Segment: "MAN", QualifierElement: 1, Qualifiers: []string{"GM"}, Element: 2},
			{Kind: RuleCheckDigit, Segment: "MAN", QualifierElement: 4, Qualifiers: []string{"GM"}, Element: 5},
		},
	}
}

func set940() *SetSpec {
	return &SetSpec{
		ID: "940", Name: "Warehouse Shipping Order", FunctionalID: "OW",
		Entries: []Entry{
			s("W05", M, 1),
			loop("N1", O, 10, s("N1", M, 1), s("N2", O, 2), s("N3", O, 2), s("N4", O, 1), s("PER", O, 5)),
			s("N9", O, 10),
			s("G61", O, 3),
			s("G62", O, 10),
			s("NTE", O, unbounded),
			s("W09", O, 1),
			s("W66", O, 1),
			s("W6", O, 1),
			s("R2", O, 13),
			s("BNX", O, 1),
			loop("LM", O, 10, s("LM", M, 1), s("LQ", O, 100)),
			loop("LX", O, unbounded,
				s("LX", M, 1),
				s("MAN", O, unbounded),
				s("SDQ", O, unbounded),
				s("N1", O, 1),
				s("G62", O, 10),
				loop("W01", O, unbounded,
					s("W01", M, 1),
					s("G69", O, 5),
					s("N9", O, 200),
					s("NTE", O, unbounded),
					s("W20", O, 3),
					s("QTY", O, 10),
					s("AMT", O, 1),
					s("G62", O, 10),
					s("G66", O, 1),
					s("N1", O, 3),
					s("PER", O, 5),
					s("LH2", O, 6),
					s("LHR", O, 1),
					s("LH6", O, 5),
					loop("LM", O, 10, s("LM", M, 1), s("LQ", O, 100)),
					s("LS", O, 1),
					loop("LX", O, unbounded, s("LX", M, 1), s("N9", O, unbounded), s("G62", O, 10), s("N1", O, 1), s("SDQ", O, unbounded)),
					s("LE", O, 1),
					loop("FA1", O, unbounded, s("FA1", M, 1), s("FA2", M, unbounded)),
				),
			),
			s("W76", O, 1),
		},
	}
}

func set945() *SetSpec {
	return &SetSpec{
		ID: "945", Name: "Warehouse Shipping Advice", FunctionalID: "SW",
		Entries: []Entry{
			s("W06", M, 1),
			loop("N1", M, 10, s("N1", M, 1), s("N2", O, 1), s("N3", O, 2), s("N4", O, 1), s("PER", O, 5)),
			s("N9", O, 10),
			s("G61", O, 3),
			s("G62", O, 5),
			s("NTE", O, 20),
			s("W27", O, 1),
			s("W6", O, 1),
			s("W28", O, 1),
			s("W10", O, 10),
			s("G72", O, 5),
			loop("LM", O, 10, s("LM", M, 1), s("LQ", O, 100)),
			loop("LX", O, unbounded,
				s("LX", M, 1),
				s("MAN", O, unbounded),
				s("PAL", O, 1),
				s("N9", O, 5),
				loop("W12", O, unbounded,
					s("W12", M, 1),
					s("G69", O, 5),
					s("N9", O, 200),
					s("G62", O, 10),
					s("QTY", O, 10),
					s("MEA", O, 5),
					s("AMT", O, 1),
					s("R4", O, 5),
					s("W27", O, 1),
					s("N1", O, 5),
					s("G72", O, 5),
					loop("LM", O, 10, s("LM", M, 1), s("LQ", O, 100)),
					loop("FA1", O, unbounded, s("FA1", M, 1), s("FA2", M, unbounded)),
				),
			),
			s("W03", M, 1),
		},
	}
}

func set997() *SetSpec {
	return &SetSpec{
		ID: "997", Name: "Functional Acknowledgment", FunctionalID: "FA",
		Entries: []Entry{
			s("AK1", M, 1),
			loop("AK2", O, unbounded,
				s("AK2", M, 1),
				loop("AK3", O, unbounded, s("AK3", M, 1), s("AK4", O, 99)),
				s("AK5", M, 1),
			),
			s("AK9", M, 1),
		},
	}
}
