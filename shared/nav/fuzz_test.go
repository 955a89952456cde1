package nav

import "testing"

// FuzzDecode feeds NAV's answers (outside input) to the envelope reader:
// it never panics, and a fault or a decoded body is all it can return.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>a:X</faultcode><faultstring>no</faultstring></s:Fault></s:Body></s:Envelope>`))
	f.Add([]byte(`<Soap:Envelope xmlns:Soap="http://schemas.xmlsoap.org/soap/envelope/"><Soap:Body><Create_Result xmlns="urn:microsoft-dynamics-schemas/page/salesorder"><SalesOrder><No>SO1</No></SalesOrder></Create_Result></Soap:Body></Soap:Envelope>`))
	f.Add([]byte(`not xml`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var res createResult
		fault, err := decode(data, &res)
		if fault != nil && err != nil {
			t.Fatal("both a fault and an error")
		}
		if fault != nil {
			_ = fault.Error()
			_ = fault.Permanent()
		}
	})
}
