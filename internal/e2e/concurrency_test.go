package e2e

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/duplexsms/duplex/internal/config"
)

func init() {
	register("ConcurrentRequests", testConcurrentRequests, WithInventory(
		config.InventoryNumber{Number: "+15550002001", Country: "CA", Type: "LONG_CODE"},
		config.InventoryNumber{Number: "+15550002002", Country: "CA", Type: "LONG_CODE"},
		config.InventoryNumber{Number: "+15550002003", Country: "CA", Type: "LONG_CODE"},
	))
}

// testConcurrentRequests requests numbers from many goroutines of two
// accounts at once: every request succeeds (or, for the small inventory,
// runs out with the quota error) and no number is handed out twice.
func testConcurrentRequests(t *testing.T, h *Harness) {
	const workers, each = 16, 4
	clients := []*sms.Client{h.A(), h.B()}
	var mu sync.Mutex
	got := map[string]string{} // number → id
	var errs []error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[w%2]
			for i := 0; i < each; i++ {
				country, typ := "US", types.RequestableNumberTypeSimulator
				if i == 0 {
					country, typ = "CA", types.RequestableNumberTypeLongCode // the 3-number inventory
				}
				out, err := c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String(country), MessageType: types.MessageTypeTransactional,
					NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: typ})
				mu.Lock()
				switch {
				case err == nil:
					if prev, dup := got[aws.ToString(out.PhoneNumber)]; dup {
						errs = append(errs, fmt.Errorf("number %s handed out to %s and %s", aws.ToString(out.PhoneNumber), prev, aws.ToString(out.PhoneNumberId)))
					}
					got[aws.ToString(out.PhoneNumber)] = aws.ToString(out.PhoneNumberId)
				case country == "CA":
					var qe *types.ServiceQuotaExceededException
					if !asErr(err, &qe) {
						errs = append(errs, fmt.Errorf("CA request: %w", err))
					}
				default:
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	ca := 0
	for num := range got {
		if num[:8] == "+1555000" {
			ca++
		}
	}
	eq(t, "inventory numbers handed out", ca, 3)
	eq(t, "numbers handed out", len(got), 3+workers*(each-1))
	eq(t, "numbers listed", countNumbers(t, clients[0])+countNumbers(t, clients[1]), len(got))
}
