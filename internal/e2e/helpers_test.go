package e2e

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/smithy-go"
)

// flow is one end-to-end scenario; every flow runs on every backend.
type flow struct {
	name string
	opts []Option
	run  func(t *testing.T, h *Harness)
}

// flows is filled by the *_test.go files' init functions.
var flows []flow

func register(name string, run func(t *testing.T, h *Harness), opts ...Option) {
	flows = append(flows, flow{name: name, opts: opts, run: run})
}

func TestSQLite(t *testing.T)   { runFlows(t, SQLite) }
func TestPostgres(t *testing.T) { runFlows(t, Postgres) }

func runFlows(t *testing.T, b Backend) {
	if len(flows) == 0 {
		t.Fatal("no flows registered")
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			h := Start(t, b, f.opts...)
			f.run(t, h)
		})
	}
}

var (
	phoneIDRE = regexp.MustCompile(`^phone-[0-9a-f]{32}$`)
	poolIDRE  = regexp.MustCompile(`^pool-[0-9a-f]{32}$`)
)

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func apiCode(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error, got success")
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("expected an API error, got %T: %v", err, err)
	}
	return ae.ErrorCode()
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := apiCode(t, err); got != code {
		t.Fatalf("error code = %s, want %s (%v)", got, code, err)
	}
}

// wantValidation checks a ValidationException's Reason and, when fields
// are given, that each names a member in Fields.
func wantValidation(t testing.TB, err error, reason types.ValidationExceptionReason, fields ...string) *types.ValidationException {
	t.Helper()
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("want ValidationException %s, got %v", reason, err)
	}
	if ve.Reason != reason {
		t.Fatalf("ValidationException reason = %q, want %q (%s)", ve.Reason, reason, aws.ToString(ve.Message))
	}
	if aws.ToString(ve.Message) == "" {
		t.Errorf("ValidationException without message")
	}
	for _, f := range fields {
		if !slices.ContainsFunc(ve.Fields, func(x types.ValidationExceptionField) bool { return aws.ToString(x.Name) == f }) {
			t.Errorf("ValidationException fields %s do not name %s", fieldNames(ve.Fields), f)
		}
	}
	return ve
}

func fieldNames(fs []types.ValidationExceptionField) string {
	var n []string
	for _, f := range fs {
		n = append(n, aws.ToString(f.Name))
	}
	return "[" + strings.Join(n, " ") + "]"
}

func wantConflict(t testing.TB, err error, reason types.ConflictExceptionReason, rtype types.ResourceType, rid string) {
	t.Helper()
	var ce *types.ConflictException
	if !errors.As(err, &ce) {
		t.Fatalf("want ConflictException %s, got %v", reason, err)
	}
	if ce.Reason != reason {
		t.Fatalf("ConflictException reason = %q, want %q (%s)", ce.Reason, reason, aws.ToString(ce.Message))
	}
	if rtype != "" && (ce.ResourceType != rtype || aws.ToString(ce.ResourceId) != rid) {
		t.Fatalf("ConflictException resource = %s %q, want %s %q", ce.ResourceType, aws.ToString(ce.ResourceId), rtype, rid)
	}
}

func wantNotFound(t testing.TB, err error, rtype types.ResourceType, rid string) {
	t.Helper()
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("want ResourceNotFoundException %s %s, got %v", rtype, rid, err)
	}
	if nf.ResourceType != rtype || aws.ToString(nf.ResourceId) != rid {
		t.Fatalf("ResourceNotFoundException resource = %s %q, want %s %q", nf.ResourceType, aws.ToString(nf.ResourceId), rtype, rid)
	}
}

func wantQuota(t testing.TB, err error, reason types.ServiceQuotaExceededExceptionReason) {
	t.Helper()
	var qe *types.ServiceQuotaExceededException
	if !errors.As(err, &qe) {
		t.Fatalf("want ServiceQuotaExceededException %s, got %v", reason, err)
	}
	if qe.Reason != reason {
		t.Fatalf("ServiceQuotaExceededException reason = %q, want %q", qe.Reason, reason)
	}
}

// numberSpec is what newNumber requests.
type numberSpec struct {
	country, typ string
	mt           types.MessageType
	caps         []types.NumberCapability
	list         string
	protect      bool
	tags         []types.Tag
}

func newNumber(t testing.TB, c *sms.Client, s numberSpec) *sms.RequestPhoneNumberOutput {
	t.Helper()
	if s.country == "" {
		s.country = "US"
	}
	if s.typ == "" {
		s.typ = "SIMULATOR"
	}
	if s.mt == "" {
		s.mt = types.MessageTypeTransactional
	}
	if s.caps == nil {
		s.caps = []types.NumberCapability{types.NumberCapabilitySms}
	}
	in := &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String(s.country), MessageType: s.mt,
		NumberCapabilities: s.caps, NumberType: types.RequestableNumberType(s.typ), Tags: s.tags}
	if s.list != "" {
		in.OptOutListName = aws.String(s.list)
	}
	if s.protect {
		in.DeletionProtectionEnabled = aws.Bool(true)
	}
	out, err := c.RequestPhoneNumber(context.Background(), in)
	if err != nil {
		t.Fatalf("RequestPhoneNumber %+v: %v", s, err)
	}
	return out
}

func sim(t testing.TB, c *sms.Client) *sms.RequestPhoneNumberOutput {
	t.Helper()
	return newNumber(t, c, numberSpec{})
}

// allNumbers pages through DescribePhoneNumbers and fails on a duplicate.
func allNumbers(t testing.TB, c *sms.Client, filters []types.PhoneNumberFilter, page int32) []types.PhoneNumberInformation {
	t.Helper()
	var out []types.PhoneNumberInformation
	seen := map[string]bool{}
	var token *string
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("DescribePhoneNumbers never ends")
		}
		in := &sms.DescribePhoneNumbersInput{Filters: filters, NextToken: token}
		if page > 0 {
			in.MaxResults = aws.Int32(page)
		}
		res, err := c.DescribePhoneNumbers(context.Background(), in)
		noErr(t, err)
		if page > 0 && len(res.PhoneNumbers) > int(page) {
			t.Fatalf("page of %d numbers with MaxResults %d", len(res.PhoneNumbers), page)
		}
		if res.NextToken != nil && len(res.PhoneNumbers) == 0 {
			t.Fatal("empty page with a NextToken")
		}
		for _, n := range res.PhoneNumbers {
			id := aws.ToString(n.PhoneNumberId)
			if seen[id] {
				t.Fatalf("number %s listed twice", id)
			}
			seen[id] = true
			out = append(out, n)
		}
		if res.NextToken == nil {
			return out
		}
		token = res.NextToken
	}
}

func numberIDs(ns []types.PhoneNumberInformation) []string {
	var ids []string
	for _, n := range ns {
		ids = append(ids, aws.ToString(n.PhoneNumberId))
	}
	sort.Strings(ids)
	return ids
}

func sorted(ids ...string) []string {
	s := slices.Clone(ids)
	sort.Strings(s)
	if s == nil {
		s = []string{}
	}
	return s
}

func sameIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	g, w := sorted(got...), sorted(want...)
	if !slices.Equal(g, w) {
		t.Errorf("%s: got %v, want %v", what, g, w)
	}
}

func describeNumber(t testing.TB, c *sms.Client, id string) types.PhoneNumberInformation {
	t.Helper()
	res, err := c.DescribePhoneNumbers(context.Background(), &sms.DescribePhoneNumbersInput{PhoneNumberIds: []string{id}})
	noErr(t, err)
	if len(res.PhoneNumbers) != 1 {
		t.Fatalf("DescribePhoneNumbers %s: %d numbers", id, len(res.PhoneNumbers))
	}
	return res.PhoneNumbers[0]
}

func describePool(t testing.TB, c *sms.Client, id string) types.PoolInformation {
	t.Helper()
	res, err := c.DescribePools(context.Background(), &sms.DescribePoolsInput{PoolIds: []string{id}})
	noErr(t, err)
	if len(res.Pools) != 1 {
		t.Fatalf("DescribePools %s: %d pools", id, len(res.Pools))
	}
	return res.Pools[0]
}

func countNumbers(t testing.TB, c *sms.Client) int {
	t.Helper()
	return len(allNumbers(t, c, nil, 100))
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, tg := range tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func tags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func eq[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func arnOf(account, resource string) string {
	return fmt.Sprintf("arn:aws:sms-voice:%s:%s:%s", Region, account, resource)
}

var bg = context.Background()

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }
