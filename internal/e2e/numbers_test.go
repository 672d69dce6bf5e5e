package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/duplexsms/duplex/internal/config"
)

func init() {
	register("RequestPhoneNumber", testRequestPhoneNumber)
	register("Inventory", testInventory, WithInventory(
		config.InventoryNumber{Number: "+15550001001", Country: "US", Type: "LONG_CODE", Capabilities: []string{"SMS"}, Carrier: "smsc1"},
		config.InventoryNumber{Number: "+15550001002", Country: "US", Type: "LONG_CODE", Capabilities: []string{"SMS", "VOICE"}, Carrier: "smsc1"},
		config.InventoryNumber{Number: "+15550001003", Country: "US", Type: "LONG_CODE", Capabilities: []string{"SMS"}},
	))
	register("DescribePhoneNumbers", testDescribePhoneNumbers)
	register("UpdatePhoneNumber", testUpdatePhoneNumber)
	register("UpdatePhoneNumberTwoWay", testUpdatePhoneNumberTwoWay)
	register("ReleasePhoneNumber", testReleasePhoneNumber)
}

func testRequestPhoneNumber(t *testing.T, h *Harness) {
	c := h.A()
	before := time.Now().Add(-time.Minute)
	cases := []struct {
		typ    string
		number *regexp.Regexp
		price  string
	}{
		{"SIMULATOR", regexp.MustCompile(`^\+1206556\d{4}$`), "0.00"},
		{"LONG_CODE", regexp.MustCompile(`^\+1206555\d{4}$`), "1.00"},
		{"TOLL_FREE", regexp.MustCompile(`^\+1833555\d{4}$`), "2.00"},
	}
	seen := map[string]bool{}
	var ids []string
	for _, tc := range cases {
		n := newNumber(t, c, numberSpec{typ: tc.typ, tags: tags("team", "growth")})
		id := aws.ToString(n.PhoneNumberId)
		ids = append(ids, id)
		if !phoneIDRE.MatchString(id) {
			t.Errorf("%s: PhoneNumberId %q", tc.typ, id)
		}
		eq(t, tc.typ+" ARN", aws.ToString(n.PhoneNumberArn), arnOf(AccountA, "phone-number/"+id))
		if !tc.number.MatchString(aws.ToString(n.PhoneNumber)) {
			t.Errorf("%s: PhoneNumber %q does not match %s", tc.typ, aws.ToString(n.PhoneNumber), tc.number)
		}
		if seen[aws.ToString(n.PhoneNumber)] {
			t.Errorf("%s: number %s handed out twice", tc.typ, aws.ToString(n.PhoneNumber))
		}
		seen[aws.ToString(n.PhoneNumber)] = true
		eq(t, tc.typ+" Status", n.Status, types.NumberStatusActive)
		eq(t, tc.typ+" NumberType", string(n.NumberType), tc.typ)
		eq(t, tc.typ+" IsoCountryCode", aws.ToString(n.IsoCountryCode), "US")
		eq(t, tc.typ+" MessageType", n.MessageType, types.MessageTypeTransactional)
		eq(t, tc.typ+" OptOutListName", aws.ToString(n.OptOutListName), "Default")
		eq(t, tc.typ+" MonthlyLeasingPrice", aws.ToString(n.MonthlyLeasingPrice), tc.price)
		eq(t, tc.typ+" tags", tagMap(n.Tags)["team"], "growth")
		if !slices.Equal(n.NumberCapabilities, []types.NumberCapability{types.NumberCapabilitySms}) {
			t.Errorf("%s: capabilities %v", tc.typ, n.NumberCapabilities)
		}
		if n.CreatedTimestamp == nil || n.CreatedTimestamp.Before(before) {
			t.Errorf("%s: CreatedTimestamp %v", tc.typ, n.CreatedTimestamp)
		}
		if n.TwoWayEnabled || n.DeletionProtectionEnabled || n.SelfManagedOptOutsEnabled {
			t.Errorf("%s: unexpected flags %+v", tc.typ, n)
		}
		// What Describe returns is what Request returned.
		d := describeNumber(t, c, id)
		eq(t, tc.typ+" described number", aws.ToString(d.PhoneNumber), aws.ToString(n.PhoneNumber))
		eq(t, tc.typ+" described created", d.CreatedTimestamp.Equal(*n.CreatedTimestamp), true)
	}

	// Deletion protection and international sending are taken from the request.
	p, err := c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypePromotional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms, types.NumberCapabilityVoice}, NumberType: types.RequestableNumberTypeLongCode,
		DeletionProtectionEnabled: aws.Bool(true), InternationalSendingEnabled: aws.Bool(true)})
	noErr(t, err)
	ids = append(ids, aws.ToString(p.PhoneNumberId))
	eq(t, "DeletionProtectionEnabled", p.DeletionProtectionEnabled, true)
	eq(t, "InternationalSendingEnabled", p.InternationalSendingEnabled, true)
	eq(t, "MessageType", p.MessageType, types.MessageTypePromotional)
	eq(t, "capabilities", len(p.NumberCapabilities), 2)

	// Idempotency on ClientToken: same token, same number; another token, another number.
	req := func(token string) *sms.RequestPhoneNumberOutput {
		t.Helper()
		out, err := c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
			NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator, ClientToken: aws.String(token)})
		noErr(t, err)
		return out
	}
	first, again, other := req("token-1"), req("token-1"), req("token-2")
	eq(t, "same token: same id", aws.ToString(again.PhoneNumberId), aws.ToString(first.PhoneNumberId))
	eq(t, "same token: same number", aws.ToString(again.PhoneNumber), aws.ToString(first.PhoneNumber))
	if aws.ToString(other.PhoneNumberId) == aws.ToString(first.PhoneNumberId) || aws.ToString(other.PhoneNumber) == aws.ToString(first.PhoneNumber) {
		t.Errorf("another token returned the same number %s", aws.ToString(other.PhoneNumber))
	}
	ids = append(ids, aws.ToString(first.PhoneNumberId), aws.ToString(other.PhoneNumberId))
	sameIDs(t, "numbers after requests", numberIDs(allNumbers(t, c, nil, 0)), ids)

	// Errors change nothing.
	bad := func(country, typ string, caps ...types.NumberCapability) error {
		if caps == nil {
			caps = []types.NumberCapability{types.NumberCapabilitySms}
		}
		_, err := c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String(country), MessageType: types.MessageTypeTransactional,
			NumberCapabilities: caps, NumberType: types.RequestableNumberType(typ)})
		return err
	}
	wantValidation(t, bad("ZZ", "LONG_CODE"), types.ValidationExceptionReasonCountryNotEnabled, "IsoCountryCode")
	wantValidation(t, bad("us", "LONG_CODE"), types.ValidationExceptionReasonFieldValidationFailed, "IsoCountryCode")
	wantValidation(t, bad("DE", "SIMULATOR"), types.ValidationExceptionReasonInvalidParameter, "IsoCountryCode")
	wantValidation(t, bad("DE", "TOLL_FREE"), types.ValidationExceptionReasonInvalidParameter, "NumberType")
	wantValidation(t, bad("DE", "LONG_CODE", types.NumberCapabilityMms), types.ValidationExceptionReasonInvalidParameter, "NumberCapabilities")
	wantValidation(t, bad("US", "SHORT_CODE"), types.ValidationExceptionReasonFieldValidationFailed, "NumberType")
	_, err = c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator,
		OptOutListName: aws.String("no-such-list")})
	wantNotFound(t, err, types.ResourceTypeOptOutList, "no-such-list")
	_, err = c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator,
		Tags: tags("aws:reserved", "x")})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidParameter, "Tags")
	_, err = c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator,
		PoolId: aws.String("pool-00000000000000000000000000000000")})
	wantNotFound(t, err, types.ResourceTypePool, "pool-00000000000000000000000000000000")
	sameIDs(t, "numbers after refused requests", numberIDs(allNumbers(t, c, nil, 0)), ids)

	// A number in another country, from its built-in range.
	de := newNumber(t, c, numberSpec{country: "DE", typ: "LONG_CODE"})
	if !regexp.MustCompile(`^\+4915555\d{6}$`).MatchString(aws.ToString(de.PhoneNumber)) {
		t.Errorf("DE number %s", aws.ToString(de.PhoneNumber))
	}

	// A named opt-out list, by name and by ARN.
	_, err = c.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("marketing")})
	noErr(t, err)
	byName := newNumber(t, c, numberSpec{list: "marketing"})
	eq(t, "OptOutListName by name", aws.ToString(byName.OptOutListName), "marketing")
	byARN := newNumber(t, c, numberSpec{list: arnOf(AccountA, "opt-out-list/marketing")})
	eq(t, "OptOutListName by ARN", aws.ToString(byARN.OptOutListName), "marketing")
}

func testInventory(t *testing.T, h *Harness) {
	a, b := h.A(), h.B()
	req := func(c *sms.Client, caps ...types.NumberCapability) (*sms.RequestPhoneNumberOutput, error) {
		return c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
			NumberCapabilities: caps, NumberType: types.RequestableNumberTypeLongCode})
	}
	// The configured inventory comes first, across accounts; a number with
	// VOICE is found past one without it.
	n2, err := req(b, types.NumberCapabilityVoice)
	noErr(t, err)
	eq(t, "inventory number with VOICE", aws.ToString(n2.PhoneNumber), "+15550001002")
	if !slices.Equal(n2.NumberCapabilities, []types.NumberCapability{types.NumberCapabilitySms, types.NumberCapabilityVoice}) {
		t.Errorf("capabilities of the inventory number: %v", n2.NumberCapabilities)
	}
	n1, err := req(a, types.NumberCapabilitySms)
	noErr(t, err)
	eq(t, "first inventory number", aws.ToString(n1.PhoneNumber), "+15550001001")
	eq(t, "capabilities from inventory", len(n1.NumberCapabilities), 1)
	// None left with VOICE, but one with SMS.
	_, err = req(a, types.NumberCapabilityVoice)
	wantConflict(t, err, types.ConflictExceptionReasonNumberCapabilitiesMismatch, "", "")
	n3, err := req(a, types.NumberCapabilitySms)
	noErr(t, err)
	eq(t, "third inventory number", aws.ToString(n3.PhoneNumber), "+15550001003")
	// Exhausted: the built-in range is not used for this country and type.
	_, err = req(a, types.NumberCapabilitySms)
	wantQuota(t, err, types.ServiceQuotaExceededExceptionReasonPhoneNumbersPerAccount)
	_, err = req(b, types.NumberCapabilitySms)
	wantQuota(t, err, types.ServiceQuotaExceededExceptionReasonPhoneNumbersPerAccount)
	// Other types still come from the built-in ranges.
	tf := newNumber(t, a, numberSpec{typ: "TOLL_FREE"})
	if !regexp.MustCompile(`^\+1833555\d{4}$`).MatchString(aws.ToString(tf.PhoneNumber)) {
		t.Errorf("toll-free number %s", aws.ToString(tf.PhoneNumber))
	}
	// A released inventory number can be requested again.
	_, err = a.ReleasePhoneNumber(bg, &sms.ReleasePhoneNumberInput{PhoneNumberId: n1.PhoneNumberId})
	noErr(t, err)
	again, err := req(b, types.NumberCapabilitySms)
	noErr(t, err)
	eq(t, "released inventory number handed out again", aws.ToString(again.PhoneNumber), "+15550001001")
	sameIDs(t, "account A numbers", numberIDs(allNumbers(t, a, nil, 0)), []string{aws.ToString(n3.PhoneNumberId), aws.ToString(tf.PhoneNumberId)})
	sameIDs(t, "account B numbers", numberIDs(allNumbers(t, b, nil, 0)), []string{aws.ToString(n2.PhoneNumberId), aws.ToString(again.PhoneNumberId)})
}

func testDescribePhoneNumbers(t *testing.T, h *Harness) {
	c := h.A()
	_, err := c.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("mylist")})
	noErr(t, err)
	topic := h.Topic(t, KeyA, "inbound")
	n1 := newNumber(t, c, numberSpec{})
	n2 := newNumber(t, c, numberSpec{typ: "LONG_CODE", mt: types.MessageTypePromotional,
		caps: []types.NumberCapability{types.NumberCapabilitySms, types.NumberCapabilityVoice}, protect: true})
	n3 := newNumber(t, c, numberSpec{typ: "TOLL_FREE", list: "mylist"})
	n4 := newNumber(t, c, numberSpec{country: "DE", typ: "LONG_CODE"})
	n5 := newNumber(t, c, numberSpec{typ: "LONG_CODE"})
	_, err = c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: n5.PhoneNumberId, TwoWayEnabled: aws.Bool(true),
		TwoWayChannelArn: aws.String(topic), SelfManagedOptOutsEnabled: aws.Bool(true)})
	noErr(t, err)
	id := func(n *sms.RequestPhoneNumberOutput) string { return aws.ToString(n.PhoneNumberId) }
	all := []string{id(n1), id(n2), id(n3), id(n4), id(n5)}

	// By ID, by ARN, both, in the order asked.
	res, err := c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{PhoneNumberIds: []string{id(n3), aws.ToString(n1.PhoneNumberArn)}})
	noErr(t, err)
	if len(res.PhoneNumbers) != 2 || aws.ToString(res.PhoneNumbers[0].PhoneNumberId) != id(n3) || aws.ToString(res.PhoneNumbers[1].PhoneNumberId) != id(n1) {
		t.Errorf("by ID and ARN: %v", numberIDs(res.PhoneNumbers))
	}
	eq(t, "described OptOutListName", aws.ToString(res.PhoneNumbers[0].OptOutListName), "mylist")
	unknown := "phone-0123456789abcdef0123456789abcdef"
	_, err = c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{PhoneNumberIds: []string{id(n1), unknown}})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, unknown)
	_, err = c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{PhoneNumberIds: []string{arnOf(AccountA, "phone-number/"+unknown)}})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, arnOf(AccountA, "phone-number/"+unknown))

	// Each filter, matching and not matching.
	f := func(name types.PhoneNumberFilterName, values ...string) []types.PhoneNumberFilter {
		return []types.PhoneNumberFilter{{Name: name, Values: values}}
	}
	for _, tc := range []struct {
		filters []types.PhoneNumberFilter
		want    []string
	}{
		{f(types.PhoneNumberFilterNameStatus, "ACTIVE"), all},
		{f(types.PhoneNumberFilterNameStatus, "PENDING"), nil},
		{f(types.PhoneNumberFilterNameIsoCountryCode, "DE"), []string{id(n4)}},
		{f(types.PhoneNumberFilterNameIsoCountryCode, "US", "DE"), all},
		{f(types.PhoneNumberFilterNameMessageType, "PROMOTIONAL"), []string{id(n2)}},
		{f(types.PhoneNumberFilterNameNumberCapability, "VOICE"), []string{id(n2)}},
		{f(types.PhoneNumberFilterNameNumberCapability, "MMS"), nil},
		{f(types.PhoneNumberFilterNameNumberType, "TOLL_FREE"), []string{id(n3)}},
		{f(types.PhoneNumberFilterNameNumberType, "LONG_CODE"), []string{id(n2), id(n4), id(n5)}},
		{f(types.PhoneNumberFilterNameTwoWayEnabled, "true"), []string{id(n5)}},
		{f(types.PhoneNumberFilterNameTwoWayEnabled, "false"), []string{id(n1), id(n2), id(n3), id(n4)}},
		{f(types.PhoneNumberFilterNameSelfManagedOptOutsEnabled, "true"), []string{id(n5)}},
		{f(types.PhoneNumberFilterNameOptOutListName, "mylist"), []string{id(n3)}},
		{f(types.PhoneNumberFilterNameOptOutListName, "Default"), []string{id(n1), id(n2), id(n4), id(n5)}},
		{f(types.PhoneNumberFilterNameDeletionProtectionEnabled, "true"), []string{id(n2)}},
		{f(types.PhoneNumberFilterNameTwoWayChannelArn, topic), []string{id(n5)}},
		{f(types.PhoneNumberFilterNameTwoWayChannelArn, topic+"-other"), nil},
		{append(f(types.PhoneNumberFilterNameNumberType, "LONG_CODE"), f(types.PhoneNumberFilterNameIsoCountryCode, "US")...), []string{id(n2), id(n5)}},
	} {
		for _, page := range []int32{0, 1} {
			sameIDs(t, fmt.Sprintf("filter %v page %d", tc.filters, page), numberIDs(allNumbers(t, c, tc.filters, page)), tc.want)
		}
	}
	_, err = c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{Filters: f(types.PhoneNumberFilterNameTwoWayEnabled, "yes")})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidFilterValues)
	_, err = c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{Filters: f("colour", "blue")})
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed)

	// Paging over 30 numbers: every number exactly once, whatever the page size.
	for len(all) < 30 {
		all = append(all, id(sim(t, c)))
	}
	for _, page := range []int32{0, 1, 7, 10, 29, 30, 100} {
		sameIDs(t, fmt.Sprintf("paging by %d", page), numberIDs(allNumbers(t, c, nil, page)), all)
	}
	first, err := c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{})
	noErr(t, err)
	if len(first.PhoneNumbers) != 25 || first.NextToken == nil {
		t.Errorf("default page: %d numbers, NextToken %v", len(first.PhoneNumbers), first.NextToken)
	}
	// The SDK's paginator agrees.
	var paged []string
	pg := sms.NewDescribePhoneNumbersPaginator(c, &sms.DescribePhoneNumbersInput{MaxResults: aws.Int32(8)})
	for pg.HasMorePages() {
		p, err := pg.NextPage(bg)
		noErr(t, err)
		paged = append(paged, numberIDs(p.PhoneNumbers)...)
	}
	sameIDs(t, "SDK paginator", paged, all)

	for _, tok := range []string{"not-a-token", "%%%", "AAAA"} {
		_, err = c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{NextToken: aws.String(tok)})
		wantValidation(t, err, types.ValidationExceptionReasonInvalidNextToken)
	}
	_, err = c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{MaxResults: aws.Int32(101)})
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "MaxResults")
	shared, err := c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{Owner: types.OwnerShared})
	noErr(t, err)
	eq(t, "shared numbers", len(shared.PhoneNumbers), 0)
}

func testUpdatePhoneNumber(t *testing.T, h *Harness) {
	c := h.A()
	n := newNumber(t, c, numberSpec{typ: "LONG_CODE"})
	id := aws.ToString(n.PhoneNumberId)
	_, err := c.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("other")})
	noErr(t, err)

	up, err := c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(id),
		SelfManagedOptOutsEnabled: aws.Bool(true), InternationalSendingEnabled: aws.Bool(true),
		DeletionProtectionEnabled: aws.Bool(true), OptOutListName: aws.String("other")})
	noErr(t, err)
	for what, got := range map[string]bool{"SelfManagedOptOutsEnabled": up.SelfManagedOptOutsEnabled,
		"InternationalSendingEnabled": up.InternationalSendingEnabled, "DeletionProtectionEnabled": up.DeletionProtectionEnabled} {
		eq(t, "updated "+what, got, true)
	}
	eq(t, "updated OptOutListName", aws.ToString(up.OptOutListName), "other")
	eq(t, "updated PhoneNumber unchanged", aws.ToString(up.PhoneNumber), aws.ToString(n.PhoneNumber))
	d := describeNumber(t, c, id)
	if !d.SelfManagedOptOutsEnabled || !d.InternationalSendingEnabled || !d.DeletionProtectionEnabled || aws.ToString(d.OptOutListName) != "other" {
		t.Errorf("described after update: %+v", d)
	}
	// By ARN; an absent member leaves its value alone; false turns a flag off.
	up, err = c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: n.PhoneNumberArn,
		SelfManagedOptOutsEnabled: aws.Bool(false), OptOutListName: aws.String(arnOf(AccountA, "opt-out-list/Default"))})
	noErr(t, err)
	if up.SelfManagedOptOutsEnabled || !up.InternationalSendingEnabled || !up.DeletionProtectionEnabled || aws.ToString(up.OptOutListName) != "Default" {
		t.Errorf("after update by ARN: %+v", up)
	}
	_, err = c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(id), OptOutListName: aws.String("missing")})
	wantNotFound(t, err, types.ResourceTypeOptOutList, "missing")
	unknown := "phone-ffffffffffffffffffffffffffffffff"
	_, err = c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(unknown), DeletionProtectionEnabled: aws.Bool(false)})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, unknown)
	d2 := describeNumber(t, c, id)
	eq(t, "refused updates change nothing", aws.ToString(d2.OptOutListName), "Default")
	eq(t, "refused updates keep protection", d2.DeletionProtectionEnabled, true)
}

func testUpdatePhoneNumberTwoWay(t *testing.T, h *Harness) {
	c := h.A()
	us := newNumber(t, c, numberSpec{typ: "LONG_CODE"})
	de := newNumber(t, c, numberSpec{country: "DE", typ: "LONG_CODE"})
	topic := h.Topic(t, KeyA, "two-way")
	role := "arn:aws:iam::" + AccountA + ":role/ConnectAccess"
	upd := func(n *sms.RequestPhoneNumberOutput, enabled *bool, channel, role *string) (*sms.UpdatePhoneNumberOutput, error) {
		return c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: n.PhoneNumberId, TwoWayEnabled: enabled,
			TwoWayChannelArn: channel, TwoWayChannelRole: role})
	}
	_, err := upd(us, aws.Bool(true), nil, nil)
	wantValidation(t, err, types.ValidationExceptionReasonTwoWayChannelNotPresent, "TwoWayChannelArn")
	_, err = upd(us, aws.Bool(true), aws.String("arn:aws:sns:us-east-1:not-an-account"), nil)
	wantValidation(t, err, types.ValidationExceptionReasonInvalidArn, "TwoWayChannelArn")
	_, err = upd(us, aws.Bool(true), aws.String("https://example.com/hook"), nil)
	wantValidation(t, err, types.ValidationExceptionReasonInvalidArn, "TwoWayChannelArn")
	_, err = upd(de, aws.Bool(true), aws.String(topic), nil)
	wantValidation(t, err, types.ValidationExceptionReasonTwoWayNotSupportedInCountry)
	_, err = upd(us, aws.Bool(true), aws.String("connect.eu-north-1.amazonaws.com"), aws.String(role))
	wantValidation(t, err, types.ValidationExceptionReasonTwoWayNotSupportedInRegion, "TwoWayChannelArn")
	_, err = upd(us, aws.Bool(true), aws.String("connect.us-east-1.amazonaws.com"), aws.String("arn:aws:iam::12345:role/short-account"))
	wantValidation(t, err, types.ValidationExceptionReasonInvalidArn, "TwoWayChannelRole")
	_, err = upd(us, aws.Bool(true), aws.String("connect.us-east-1.amazonaws.com"), nil)
	wantValidation(t, err, types.ValidationExceptionReasonMissingParameter, "TwoWayChannelRole")
	d := describeNumber(t, c, aws.ToString(us.PhoneNumberId))
	if d.TwoWayEnabled || d.TwoWayChannelArn != nil || d.TwoWayChannelRole != nil {
		t.Fatalf("refused two-way updates changed the number: %+v", d)
	}

	// An SNS topic is accepted and stored.
	out, err := upd(us, aws.Bool(true), aws.String(topic), nil)
	noErr(t, err)
	eq(t, "TwoWayEnabled", out.TwoWayEnabled, true)
	eq(t, "TwoWayChannelArn", aws.ToString(out.TwoWayChannelArn), topic)
	d = describeNumber(t, c, aws.ToString(us.PhoneNumberId))
	eq(t, "described TwoWayEnabled", d.TwoWayEnabled, true)
	eq(t, "described TwoWayChannelArn", aws.ToString(d.TwoWayChannelArn), topic)
	// Two-way stays on when only another member changes.
	_, err = c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: us.PhoneNumberId, SelfManagedOptOutsEnabled: aws.Bool(true)})
	noErr(t, err)
	eq(t, "two-way kept", describeNumber(t, c, aws.ToString(us.PhoneNumberId)).TwoWayEnabled, true)

	// Amazon Connect in a region that has it, with a role.
	out, err = upd(us, nil, aws.String("connect.us-east-1.amazonaws.com"), aws.String(role))
	noErr(t, err)
	eq(t, "Connect channel", aws.ToString(out.TwoWayChannelArn), "connect.us-east-1.amazonaws.com")
	eq(t, "Connect role", aws.ToString(out.TwoWayChannelRole), role)
	d = describeNumber(t, c, aws.ToString(us.PhoneNumberId))
	eq(t, "described Connect role", aws.ToString(d.TwoWayChannelRole), role)
	eq(t, "described Connect channel", aws.ToString(d.TwoWayChannelArn), "connect.us-east-1.amazonaws.com")

	// Turning two-way off keeps the channel; a DE number may store a channel with two-way off.
	out, err = upd(us, aws.Bool(false), nil, nil)
	noErr(t, err)
	eq(t, "two-way off", out.TwoWayEnabled, false)
	_, err = upd(de, aws.Bool(false), aws.String(topic), nil)
	noErr(t, err)
	eq(t, "DE stays one-way", describeNumber(t, c, aws.ToString(de.PhoneNumberId)).TwoWayEnabled, false)
}

func testReleasePhoneNumber(t *testing.T, h *Harness) {
	c := h.A()
	n := newNumber(t, c, numberSpec{protect: true})
	other := sim(t, c)
	id := aws.ToString(n.PhoneNumberId)
	_, err := c.ReleasePhoneNumber(bg, &sms.ReleasePhoneNumberInput{PhoneNumberId: aws.String(id)})
	wantConflict(t, err, types.ConflictExceptionReasonDeletionProtectionEnabled, types.ResourceTypePhoneNumber, id)
	_, err = c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(id), DeletionProtectionEnabled: aws.Bool(false)})
	noErr(t, err)

	pool, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: aws.String(id), MessageType: types.MessageTypeTransactional})
	noErr(t, err)
	_, err = c.ReleasePhoneNumber(bg, &sms.ReleasePhoneNumberInput{PhoneNumberId: n.PhoneNumberArn})
	wantConflict(t, err, types.ConflictExceptionReasonPhoneNumberAssociatedToPool, types.ResourceTypePhoneNumber, id)
	eq(t, "refused release keeps the number", countNumbers(t, c), 2)
	_, err = c.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: pool.PoolId, OriginationIdentity: other.PhoneNumberId})
	noErr(t, err)
	_, err = c.DisassociateOriginationIdentity(bg, &sms.DisassociateOriginationIdentityInput{PoolId: pool.PoolId, OriginationIdentity: aws.String(id)})
	noErr(t, err)

	rel, err := c.ReleasePhoneNumber(bg, &sms.ReleasePhoneNumberInput{PhoneNumberId: n.PhoneNumberArn})
	noErr(t, err)
	eq(t, "released id", aws.ToString(rel.PhoneNumberId), id)
	eq(t, "released number", aws.ToString(rel.PhoneNumber), aws.ToString(n.PhoneNumber))
	eq(t, "released status", rel.Status, types.NumberStatusDeleted)

	_, err = c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{PhoneNumberIds: []string{id}})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, id)
	sameIDs(t, "numbers after release", numberIDs(allNumbers(t, c, nil, 0)), []string{aws.ToString(other.PhoneNumberId)})
	_, err = c.ReleasePhoneNumber(bg, &sms.ReleasePhoneNumberInput{PhoneNumberId: aws.String(id)})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, id)
	_, err = c.DescribeKeywords(bg, &sms.DescribeKeywordsInput{OriginationIdentity: aws.String(id)})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, id)
	_, err = c.ListTagsForResource(bg, &sms.ListTagsForResourceInput{ResourceArn: n.PhoneNumberArn})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, aws.ToString(n.PhoneNumberArn))
	_, err = c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(id), DeletionProtectionEnabled: aws.Bool(true)})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, id)
}
