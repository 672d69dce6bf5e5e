package smpp_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/smpp/smsc"
	"github.com/duplexsms/duplex/internal/smsvoice"
)

// Inventory numbers name their carrier; each message leaves through its
// origination number's link, and MOs from either SMSC arrive.
func TestRouting(t *testing.T) {
	simA, addrA := startSim(t, smsc.Config{})
	simB, addrB := startSim(t, smsc.Config{})
	urlA := fmt.Sprintf("smpp://duplex:secret@%s?%s", addrA, fastLink)
	urlB := fmt.Sprintf("smpp://duplex:secret@%s?%s", addrB, fastLink)
	e := attach(t, nil, "", "", func(c *config.Config) {
		c.Carriers = []config.Carrier{{Name: "alpha", URL: urlA}, {Name: "beta", URL: urlB}}
		c.SMPP = []string{urlA, urlB}
		c.Inventory = []config.InventoryNumber{
			{Number: "+12065550170", Country: "US", Type: "LONG_CODE", Capabilities: []string{"SMS"}, Carrier: "alpha"},
			{Number: "+12065550171", Country: "US", Type: "LONG_CODE", Capabilities: []string{"SMS"}, Carrier: "beta"},
		}
	})
	byNumber := map[string]*smsc.Server{"+12065550170": simA, "+12065550171": simB}
	for range 2 {
		out, err := e.sms.RequestPhoneNumber(context.Background(), &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"),
			MessageType: types.MessageTypeTransactional, NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms},
			NumberType: types.RequestableNumberTypeLongCode})
		if err != nil {
			t.Fatal(err)
		}
		num := aws.ToString(out.PhoneNumber)
		sim := byNumber[num]
		if sim == nil {
			t.Fatalf("got number %s, not from the inventory", num)
		}
		e.number = num
		e.sim = sim
		body := "routed via " + num
		id := e.send("+14255550100", body)
		m := e.mt(body)
		if m.From != num {
			t.Errorf("from %s", m.From)
		}
		e.waitStatus(id, smsvoice.StatusDelivered)
		e.mo(smsc.MO{From: "+14255550100", Body: "reply to " + num})
		e.waitInbound("reply to " + num)
	}
	for num, sim := range byNumber {
		for _, m := range sim.Received("") {
			if m.From != num {
				t.Errorf("SMSC of %s got a message from %s", num, m.From)
			}
		}
	}
	// The simulator numbers (no carrier) stay on the built-in simulator.
	e.number = e.requestNumber()
	id := e.send("+14255550100", "simulated")
	e.waitStatus(id, smsvoice.StatusDelivered)
	for _, sim := range byNumber {
		for _, m := range sim.Received("") {
			if m.Body == "simulated" {
				t.Error("a simulator number's message went to an SMSC")
			}
		}
	}
}
