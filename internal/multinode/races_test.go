package multinode

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/e2e"
)

// Races on one resource from two nodes: each answer is the one a client
// gets when the calls come one after the other (an AWS-shaped error or the
// same result), the state stays consistent, and no node answers 5xx (the
// harness fails the test when one does).

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "non-API error: " + err.Error()
	}
	return ""
}

// both runs f on both nodes at once, k times each, and returns the errors
// by node.
func both(hs []*e2e.Harness, k int, f func(node, i int, h *e2e.Harness) error) [][]error {
	errs := make([][]error, len(hs))
	var wg sync.WaitGroup
	for n, h := range hs {
		errs[n] = make([]error, k)
		for i := 0; i < k; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); errs[n][i] = f(n, i, h) }()
		}
	}
	wg.Wait()
	return errs
}

func TestRacesAcrossNodes(t *testing.T) {
	var inventory []config.InventoryNumber
	for i := 1; i <= 5; i++ {
		inventory = append(inventory, config.InventoryNumber{Number: fmt.Sprintf("+1555000300%d", i), Country: "CA", Type: "LONG_CODE"})
	}
	hs := startCluster(t, 2, e2e.WithInventory(inventory...))

	t.Run("UpdatePhoneNumber", func(t *testing.T) {
		// Node 0 only ever changes deletion protection, node 1 only
		// self-managed opt-outs; both end by setting theirs. A lost update
		// (one node's write based on a read from before the other's)
		// would leave one of them false.
		n, err := hs[0].A().RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"),
			MessageType: types.MessageTypeTransactional, NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms},
			NumberType: types.RequestableNumberTypeSimulator})
		if err != nil {
			t.Fatal(err)
		}
		const rounds = 15
		var wg sync.WaitGroup
		errs := make(chan error, 2*rounds)
		for node, h := range hs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					on := aws.Bool(i%2 == 0) // the last round (14) sets true
					in := &sms.UpdatePhoneNumberInput{PhoneNumberId: n.PhoneNumberId}
					if node == 0 {
						in.DeletionProtectionEnabled = on
					} else {
						in.SelfManagedOptOutsEnabled = on
					}
					if _, err := h.A().UpdatePhoneNumber(bg, in); err != nil {
						errs <- fmt.Errorf("node %d: %w", node, err)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for node, h := range hs {
			d, err := h.A().DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{PhoneNumberIds: []string{aws.ToString(n.PhoneNumberId)}})
			if err != nil {
				t.Fatal(err)
			}
			p := d.PhoneNumbers[0]
			if !p.DeletionProtectionEnabled || !p.SelfManagedOptOutsEnabled || aws.ToString(p.PhoneNumber) != aws.ToString(n.PhoneNumber) {
				t.Errorf("node %d: after both nodes' last updates: deletion protection %v, self-managed opt-outs %v, number %s (a lost update)",
					node, p.DeletionProtectionEnabled, p.SelfManagedOptOutsEnabled, aws.ToString(p.PhoneNumber))
			}
		}
	})

	t.Run("RequestPhoneNumberInventory", func(t *testing.T) {
		// Twelve requests (both accounts, both nodes) for a five-number
		// inventory: five numbers handed out, once each.
		var mu sync.Mutex
		got := map[string]string{}
		errs := both(hs, 6, func(node, i int, h *e2e.Harness) error {
			c := h.A()
			if i%2 == 1 {
				c = h.B()
			}
			out, err := c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("CA"),
				MessageType: types.MessageTypeTransactional, NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms},
				NumberType: types.RequestableNumberTypeLongCode})
			if err == nil {
				mu.Lock()
				defer mu.Unlock()
				if prev, dup := got[aws.ToString(out.PhoneNumber)]; dup {
					return fmt.Errorf("%s handed out twice (%s and %s)", aws.ToString(out.PhoneNumber), prev, aws.ToString(out.PhoneNumberId))
				}
				got[aws.ToString(out.PhoneNumber)] = aws.ToString(out.PhoneNumberId)
			}
			return err
		})
		ok, quota := 0, 0
		for node := range errs {
			for _, err := range errs[node] {
				var qe *types.ServiceQuotaExceededException
				switch {
				case err == nil:
					ok++
				case errors.As(err, &qe):
					quota++
				default:
					t.Errorf("node %d: %v", node, err)
				}
			}
		}
		if ok != 5 || quota != 7 || len(got) != 5 {
			t.Errorf("%d succeeded (%d distinct numbers), %d ServiceQuotaExceededException; want 5, 5, 7", ok, len(got), quota)
		}
	})

	t.Run("CreateOptOutListSameName", func(t *testing.T) {
		for k := 0; k < 5; k++ {
			name := fmt.Sprintf("race-%d", k)
			errs := both(hs, 1, func(node, i int, h *e2e.Harness) error {
				_, err := h.A().CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String(name)})
				return err
			})
			var codes []string
			created := 0
			for node := range errs {
				var ce *types.ConflictException
				switch err := errs[node][0]; {
				case err == nil:
					created++
				case errors.As(err, &ce) && ce.Reason == types.ConflictExceptionReasonResourceAlreadyExists:
					codes = append(codes, "Conflict")
				default:
					t.Errorf("node %d: %v", node, err)
				}
			}
			if created != 1 || len(codes) != 1 {
				t.Errorf("%s: %d created, conflicts %v; want one of each", name, created, codes)
			}
		}
	})

	t.Run("ClientTokenOnBothNodes", func(t *testing.T) {
		// The same token at once on both nodes: one number, which both
		// answers name.
		for k := 0; k < 5; k++ {
			token := fmt.Sprintf("token-%d", k)
			ids := make([]string, 2)
			errs := both(hs, 1, func(node, i int, h *e2e.Harness) error {
				out, err := h.A().RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"),
					MessageType: types.MessageTypeTransactional, NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms},
					NumberType: types.RequestableNumberTypeSimulator, ClientToken: aws.String(token)})
				if err == nil {
					ids[node] = aws.ToString(out.PhoneNumberId)
				}
				return err
			})
			for node := range errs {
				if errs[node][0] != nil {
					t.Errorf("%s on node %d: %v", token, node, errs[node][0])
				}
			}
			if ids[0] == "" || ids[0] != ids[1] {
				t.Errorf("%s: node 0 answered %q, node 1 %q; want the same number", token, ids[0], ids[1])
			}
			// And later, on either node, the same again.
			out, err := hs[1-k%2].A().RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"),
				MessageType: types.MessageTypeTransactional, NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms},
				NumberType: types.RequestableNumberTypeSimulator, ClientToken: aws.String(token)})
			if err != nil || aws.ToString(out.PhoneNumberId) != ids[0] {
				t.Errorf("%s again: %v, %v; want %s", token, aws.ToString(out.PhoneNumberId), err, ids[0])
			}
		}
	})

	t.Run("CreateTopicSameName", func(t *testing.T) {
		// CreateTopic is idempotent: both nodes answer with the one topic.
		for k := 0; k < 5; k++ {
			name := fmt.Sprintf("race-%d", k)
			arns := make([]string, 2)
			errs := both(hs, 1, func(node, i int, h *e2e.Harness) error {
				out, err := h.SNS(e2e.KeyA).CreateTopic(bg, &sns.CreateTopicInput{Name: aws.String(name)})
				if err == nil {
					arns[node] = aws.ToString(out.TopicArn)
				}
				return err
			})
			for node := range errs {
				if errs[node][0] != nil {
					t.Errorf("%s on node %d: %v", name, node, errs[node][0])
				}
			}
			if arns[0] == "" || arns[0] != arns[1] {
				t.Errorf("%s: ARNs %q", name, arns)
			}
		}
	})

	t.Run("CreateRoleSameName", func(t *testing.T) {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		for k := 0; k < 5; k++ {
			name := fmt.Sprintf("Race%d", k)
			errs := both(hs, 1, func(node, i int, h *e2e.Harness) error {
				_, err := iamClient(h).CreateRole(bg, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
				return err
			})
			created, exists := 0, 0
			for node := range errs {
				switch c := code(errs[node][0]); c {
				case "":
					created++
				case "EntityAlreadyExists":
					exists++
				default:
					t.Errorf("%s on node %d: %s", name, node, c)
				}
			}
			if created != 1 || exists != 1 {
				t.Errorf("%s: %d created, %d EntityAlreadyExists", name, created, exists)
			}
		}
	})
}

func iamClient(h *e2e.Harness) *iam.Client {
	return iam.New(iam.Options{Region: e2e.Region, BaseEndpoint: aws.String(h.URL), HTTPClient: h.HTTP, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(e2e.KeyA, e2e.SecretA, "")})
}
