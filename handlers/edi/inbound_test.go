package edi

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/golden"
	"github.com/popsockets/integration/shared/sftpbox"
	"github.com/popsockets/integration/shared/sftpbox/sftptest"
	"github.com/popsockets/integration/shared/x12"
)

func TestSPSInboundPoll(t *testing.T) {
	t.Parallel()
	t.Run("RSXPurchaseOrderIsArchivedRecordedPublishedThenDeleted", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		data := testdata(t, "po-legacy-amazon.xml")
		require.NoError(t, b.sps.WriteFile("out/PO13006207965.xml", data))
		res := b.poll(b.spsPoller())
		require.Equal(t, 1, res.Taken)
		require.Empty(t, b.sps.Files("out"), "deleted once recorded")
		archived, _, err := b.blobs.Get(context.Background(), ArchiveContainer, "inbound/080/2026-12-04/"+sha(data)[:12]+"-PO13006207965.xml")
		require.NoError(t, err)
		require.Equal(t, data, archived, "raw bytes archived")
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE direction = 'in' AND sha256 = $1 AND status = 'received' AND interchange = '000040091'`, sha(data)))
		require.Len(t, b.rec.messages, 1)
		var in InboundPO
		payload(t, b.rec.messages[0], &in)
		require.Equal(t, ActionCreate, in.Action)
		require.Equal(t, "89GQASZX", in.PO.Number)
		require.Equal(t, "080", in.PO.Partner)
		require.Empty(t, b.sps.Files("in"), "no 997 for RSX: SPS's translator owns the retailer's 997")
	})
	t.Run("ANameSentAgainWithOtherBytesKeepsBothArchived", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		// Two purchase orders of one retailer, one file name, one day.
		first := testdata(t, "po-7x-walmart.xml")
		second := bytes.ReplaceAll(first, []byte("<PurchaseOrderNumber>6736452611"), []byte("<PurchaseOrderNumber>6736452612"))
		for _, data := range [][]byte{first, second} {
			require.NoError(t, b.sps.WriteFile("out/PO9.xml", data))
			res := b.poll(b.spsPoller())
			require.Equal(t, 1, res.Taken)
			require.Empty(t, b.sps.Files("out"))
		}
		for _, data := range [][]byte{first, second} {
			var path string
			require.NoError(t, b.store.Pool.QueryRow(context.Background(),
				`SELECT archive_path FROM edi_documents WHERE direction = 'in' AND sha256 = $1`, sha(data)).Scan(&path))
			container, name, _ := strings.Cut(path, "/")
			archived, _, err := b.blobs.Get(context.Background(), container, name)
			require.NoError(t, err)
			require.Equal(t, data, archived, "each file's own bytes, under %s", path)
		}
	})
	t.Run("AnArchiveThatFailsDeletesNothingAndRecordsNothing", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		data := testdata(t, "po-7x-walmart.xml")
		require.NoError(t, b.sps.WriteFile("out/PO3.xml", data))
		p := b.spsPoller()
		p.blobs = failingPut{b.blobs}
		_, err := p.run(context.Background(), "inv-test")
		require.ErrorContains(t, err, "archiving PO3.xml")
		require.Equal(t, []string{"PO3.xml"}, b.sps.Files("out"), "still on SPS's server")
		require.Zero(t, b.count(`SELECT count(*) FROM edi_documents`))
		require.Empty(t, b.rec.messages)
		res := b.poll(b.spsPoller())
		require.Equal(t, 1, res.Taken, "the next run, with the archive back, takes it")
		require.Empty(t, b.sps.Files("out"))
		require.Len(t, b.rec.messages, 1)
	})
	t.Run("AFileIsTakenOnlyWhenUnchangedAcrossTwoLooks", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		data := testdata(t, "po-7x-walmart.xml")
		require.NoError(t, b.sps.WriteFile("out/PO1.xml", data[:200]))
		b.sps.OnList(func(_ string, n int) {
			if n == 2 { // SPS still writing between the two looks
				_ = b.sps.WriteFile("out/PO1.xml", data)
			}
		})
		res := b.poll(b.spsPoller())
		require.Zero(t, res.Taken)
		require.Equal(t, []string{"PO1.xml"}, b.sps.Files("out"))
		res = b.poll(b.spsPoller())
		require.Equal(t, 1, res.Taken, "the next run finds it as it was left")
		require.Len(t, b.rec.messages, 1)
	})
	t.Run("KilledBetweenDownloadAndDeleteIsProcessedOnce", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		require.NoError(t, b.sps.WriteFile("out/PO2.xml", testdata(t, "po-7x-walmart.xml")))
		b.sps.RefuseRemove(true) // the delete never happens: as if killed right after the commit
		b.poll(b.spsPoller())
		require.Equal(t, []string{"PO2.xml"}, b.sps.Files("out"))
		b.sps.RefuseRemove(false)
		res := b.poll(b.spsPoller())
		require.Equal(t, 1, res.Duplicates)
		require.Empty(t, b.sps.Files("out"))
		require.Len(t, b.rec.messages, 1, "published once")
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_orders`))
	})
	t.Run("ADuplicatePONeverCreatesASecondOrder", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		data := testdata(t, "po-7x-walmart.xml")
		require.NoError(t, b.sps.WriteFile("out/PO3.xml", data))
		b.poll(b.spsPoller())
		again := strings.Replace(string(data), "000051234", "000051299", 1) // another file, same PO
		require.NoError(t, b.sps.WriteFile("out/PO4.xml", []byte(again)))
		b.poll(b.spsPoller())
		require.Len(t, b.rec.messages, 1)
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE reason LIKE '%already received%'`))
	})
	t.Run("CancelAndReplaceAskNAVToAct", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		data := string(testdata(t, "po-7x-walmart.xml"))
		require.NoError(t, b.sps.WriteFile("out/PO5.xml", []byte(data)))
		b.poll(b.spsPoller())
		replace := strings.Replace(strings.Replace(data, "<TsetPurposeCode>00", "<TsetPurposeCode>05", 1), "<OrderQty>48", "<OrderQty>60", 1)
		require.NoError(t, b.sps.WriteFile("out/PO6.xml", []byte(replace)))
		b.poll(b.spsPoller())
		cancel := strings.Replace(data, "<TsetPurposeCode>00", "<TsetPurposeCode>01", 1)
		require.NoError(t, b.sps.WriteFile("out/PO7.xml", []byte(cancel)))
		b.poll(b.spsPoller())
		var actions []string
		for _, m := range b.rec.messages {
			var in InboundPO
			payload(t, m, &in)
			actions = append(actions, in.Action)
		}
		require.Equal(t, []string{ActionCreate, ActionReplace, ActionCancel}, actions)
	})
	t.Run("AMalformedFileIsArchivedParkedAlertedAndOnlyThenDeleted", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		data := testdata(t, "po-7x-walmart.xml")
		require.NoError(t, b.sps.WriteFile("out/PO8.xml", data[:len(data)/2]))
		b.poll(b.spsPoller())
		b.poll(b.spsPoller())
		require.Empty(t, b.sps.Files("out"))
		require.Len(t, b.rec.parked, 1)
		require.Contains(t, b.rec.parked[0].Reason, "malformed XML")
		require.Contains(t, b.rec.parked[0].Reason, "archived at edi-archive/inbound/unknown/")
		require.Equal(t, data[:len(data)/2], b.rec.parked[0].Payload)
		require.Empty(t, b.rec.messages)
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE status = 'parked' AND archive_path <> ''`))
	})
	t.Run("X12PurchaseOrderGetsA997", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		require.NoError(t, b.sps.WriteFile("out/PO9.edi", testdata(t, "850-target.edi")))
		res := b.poll(b.spsPoller())
		require.Equal(t, 1, res.Taken)
		require.Len(t, b.rec.messages, 2, "the file holds two 850s")
		acks := b.sps.Files("in")
		require.Len(t, acks, 1)
		ack, err := b.sps.ReadFile("in/" + acks[0])
		require.NoError(t, err)
		doc := x12.ParseBytes(ack)
		fas, _, err := x12.ReadAcks(doc)
		require.NoError(t, err)
		require.Equal(t, "A", fas[0].Status)
		require.Equal(t, "101", fas[0].GroupControl)
		require.Equal(t, "TARGET", strings.TrimSpace(doc.Interchanges[0].ISA.String(8)), "addressed back to the sender")
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE doc_type = '997' AND status = 'sent'`))
	})
	t.Run("AnX12FileWithErrorsGetsA997WithDetailAndIsParked", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		bad := strings.Replace(string(testdata(t, "850-target.edi")), "PO1*2*48*EA", "PO1*2*4X8*EA", 1)
		require.NoError(t, b.sps.WriteFile("out/PO10.edi", []byte(bad)))
		b.poll(b.spsPoller())
		acks := b.sps.Files("in")
		require.Len(t, acks, 1)
		ack, _ := b.sps.ReadFile("in/" + acks[0])
		fas, _, err := x12.ReadAcks(x12.ParseBytes(ack))
		require.NoError(t, err)
		require.Equal(t, "P", fas[0].Status, "one set rejected, one accepted")
		require.NotEmpty(t, fas[0].Sets[0].Segments, "AK3 names the segment")
		require.Len(t, b.rec.messages, 1, "the good set still goes on")
		require.Len(t, b.rec.parked, 1)
	})
	t.Run("ATruncatedX12FileIsArchivedParkedAndAcknowledged", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		data := testdata(t, "850-target.edi")
		cut := data[:len(data)*2/3]
		require.NoError(t, b.sps.WriteFile("out/PO17.edi", cut))
		b.poll(b.spsPoller())
		require.Empty(t, b.sps.Files("out"))
		require.Len(t, b.rec.parked, 1)
		require.Contains(t, b.rec.parked[0].Reason, "the X12 file has errors")
		require.Equal(t, cut, b.rec.parked[0].Payload)
		acks := b.sps.Files("in")
		require.Len(t, acks, 1, "the group still gets a 997")
		ack, _ := b.sps.ReadFile("in/" + acks[0])
		fas, _, err := x12.ReadAcks(x12.ParseBytes(ack))
		require.NoError(t, err)
		require.NotEqual(t, "A", fas[0].Status)
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE direction = 'in' AND status = 'parked' AND archive_path <> ''`))
	})
	t.Run("ADuplicateInterchangeIsReported", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		data := testdata(t, "850-target.edi")
		require.NoError(t, b.sps.WriteFile("out/PO11.edi", data))
		b.poll(b.spsPoller())
		other := strings.Replace(string(data), "4500012345", "4500099999", 1) // new content, same ISA13
		require.NoError(t, b.sps.WriteFile("out/PO12.edi", []byte(other)))
		b.poll(b.spsPoller())
		require.Len(t, b.rec.parked, 1)
		require.Contains(t, b.rec.parked[0].Reason, "duplicate interchange: TARGET already sent interchange control number 000005001")
		require.Len(t, b.rec.messages, 2, "nothing from the duplicate")
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE status = 'duplicate' AND reason LIKE 'duplicate interchange%'`))
		require.Equal(t, 2, b.count(`SELECT count(*) FROM edi_documents WHERE direction = 'out' AND doc_type = '997'`),
			"the duplicate is acknowledged too: the partner may never have had the first 997")
	})
	t.Run("HostKeyMismatchIsRefusedAndAlerted", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		require.NoError(t, b.sps.WriteFile("out/PO13.xml", testdata(t, "po-7x-walmart.xml")))
		p := b.spsPoller()
		impostor, err := sftpboxWithKeyOf(b)
		require.NoError(t, err)
		p.client = impostor
		_, err = p.run(context.Background(), "inv-1")
		require.ErrorIs(t, err, sftpbox.ErrHostKeyMismatch)
		require.Len(t, b.rec.alerts, 1)
		require.Contains(t, b.rec.alerts[0].Title, "host key mismatch")
		require.Equal(t, []string{"PO13.xml"}, b.sps.Files("out"), "nothing taken")
	})
	t.Run("SFTPDownIsRetriedNextRunAndNothingIsLost", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		require.NoError(t, b.sps.WriteFile("out/PO14.xml", testdata(t, "po-7x-walmart.xml")))
		b.sps.Down(true)
		_, err := b.spsPoller().run(context.Background(), "inv-1")
		require.ErrorIs(t, err, sftpbox.ErrConnection)
		b.sps.Down(false)
		res := b.poll(b.spsPoller())
		require.Equal(t, 1, res.Taken)
	})
	t.Run("AConnectionDroppedMidDownloadLeavesTheFileForTheNextRun", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		require.NoError(t, b.sps.WriteFile("out/PO15.xml", testdata(t, "po-7x-walmart.xml")))
		b.sps.DropDownloadAfter(100)
		_, err := b.spsPoller().run(context.Background(), "inv-1")
		require.Error(t, err)
		require.Equal(t, []string{"PO15.xml"}, b.sps.Files("out"))
		require.Zero(t, b.count(`SELECT count(*) FROM edi_documents`))
		res := b.poll(b.spsPoller())
		require.Equal(t, 1, res.Taken)
	})
	t.Run("OneInstancePollsAtATime", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		ok, err := b.store.AcquireLease(context.Background(), "edi-poll-sps", "other-instance", pollLease)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, b.sps.WriteFile("out/PO16.xml", testdata(t, "po-7x-walmart.xml")))
		res := b.poll(b.spsPoller())
		require.Zero(t, res.Taken)
		require.Zero(t, b.sps.Logins())
	})
}

// sftpboxWithKeyOf pins another server's key for b's SPS address.
func sftpboxWithKeyOf(b *bench) (*sftpbox.Client, error) {
	other, err := sftptestServer()
	if err != nil {
		return nil, err
	}
	defer other.Close()
	line := strings.Replace(other.KnownHosts(), hostPort(other.Addr()), hostPort(b.sps.Addr()), 1)
	return sftpbox.New(sftpbox.Config{Addr: b.sps.Addr(), User: b.sps.User(), Password: b.sps.Password(), KnownHosts: line})
}

func TestPurchaseOrderToNAV(t *testing.T) {
	t.Parallel()
	pts, err := ParsePartners(defaultPartners)
	require.NoError(t, err)
	for _, tc := range []struct{ name, file string }{
		{"rsx-legacy-amazon", "po-legacy-amazon.xml"},
		{"rsx-7x-walmart", "po-7x-walmart.xml"},
		{"x12-850-target", "850-target.edi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ib := &inbound{partners: pts}
			var pos []PO
			data := testdata(t, tc.file)
			if strings.HasPrefix(tc.file, "850") {
				doc := x12.ParseBytes(data)
				for _, g := range doc.Interchanges[0].Groups {
					for _, s := range g.Sets {
						p, err := x12.Read850(s)
						require.NoError(t, err)
						pt, _ := pts.ByISA(doc.Interchanges[0].ISA.String(6))
						pos = append(pos, fromX12(p, pt.ID, doc.Interchanges[0].Control(), g.Control(), s.Control()))
					}
				}
				pos = pos[:1] // the second is a drop-ship order to a consumer
			} else {
				d := ib.decideRSX("f", data)
				require.Empty(t, d.park)
				orders, err := parseRSXForTest(data)
				require.NoError(t, err)
				pos = orders
			}
			pt, ok := pts.ByID(pos[0].Partner)
			require.True(t, ok)
			so, err := SalesOrder(pos[0], pt)
			require.NoError(t, err)
			golden.JSON(t, "nav-"+tc.name+".golden", struct {
				PO         PO  `json:"po"`
				SalesOrder any `json:"nav_sales_order"`
			}{pos[0], so})
		})
	}
	t.Run("AnUnmappedShipToOrItemParksTheWholePO", func(t *testing.T) {
		orders, err := parseRSXForTest(testdata(t, "po-7x-walmart.xml"))
		require.NoError(t, err)
		po := orders[0]
		po.ShipTo.LocationNumber = "9999999"
		po.Lines[1].BuyerPartNumber, po.Lines[1].UPC = "UNKNOWN", ""
		pt, _ := pts.ByID("529")
		_, err = SalesOrder(po, pt)
		require.ErrorContains(t, err, "ship-to location 9999999 (WALMART DC 3124) has no NAV Ship-to Code")
		require.ErrorContains(t, err, `line 002: no item for buyer part "UNKNOWN"`)
	})
}

// TestSPSPollAgainstOpenSSH runs the poll against a real sshd (key login,
// pinned host key): two looks, download, archive, record, delete, and the
// 997 written under a temporary name and renamed.
func TestSPSPollAgainstOpenSSH(t *testing.T) {
	t.Parallel()
	b := newBench(t)
	o := sftptest.StartOpenSSH(t, "out", "in")
	c, err := sftpbox.New(sftpbox.Config{Addr: o.Addr, User: o.User, PrivateKey: o.PrivateKey, KnownHosts: o.KnownHosts})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(o.Home, "out", "PO77.edi"), testdata(t, "850-target.edi"), 0o644))
	p := b.spsPoller()
	p.client = c
	res := b.poll(p)
	require.Equal(t, 1, res.Taken)
	left, err := os.ReadDir(filepath.Join(o.Home, "out"))
	require.NoError(t, err)
	require.Empty(t, left, "deleted after the commit")
	in, err := os.ReadDir(filepath.Join(o.Home, "in"))
	require.NoError(t, err)
	require.Len(t, in, 1)
	require.True(t, strings.HasPrefix(in[0].Name(), "FA"), "the 997, under its final name only")
	require.Len(t, b.rec.messages, 2)
}

// failingPut is a blob store whose writes fail (the archive is down).
type failingPut struct{ blob.Store }

func (failingPut) Put(context.Context, string, string, []byte, *blob.PutOptions) (blob.Info, error) {
	return blob.Info{}, errors.New("storage account unreachable")
}
