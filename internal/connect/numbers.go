package connect

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/jobs"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// Phone number statuses (PhoneNumberWorkflowStatus).
const (
	NumberInProgress = "IN_PROGRESS"
	NumberClaimed    = "CLAIMED"
	NumberFailed     = "FAILED"
)

// smsNumberARN matches an End User Messaging SMS phone number ARN.
var smsNumberARN = regexp.MustCompile(`^arn:aws[a-z-]*:sms-voice:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):phone-number/(phone-[0-9a-f]{32})$`)

// PhoneNumberStatus is the model's PhoneNumberStatus.
type PhoneNumberStatus struct {
	Status  string `json:"Status"`
	Message string `json:"Message,omitempty"`
}

// PhoneNumber is the model's ClaimedPhoneNumberSummary (and, stored, the
// imported number itself).
type PhoneNumber struct {
	PhoneNumberId          string            `json:"PhoneNumberId"`
	PhoneNumberArn         string            `json:"PhoneNumberArn"`
	PhoneNumber            string            `json:"PhoneNumber"`
	PhoneNumberCountryCode string            `json:"PhoneNumberCountryCode"`
	PhoneNumberType        string            `json:"PhoneNumberType"`
	PhoneNumberDescription string            `json:"PhoneNumberDescription,omitempty"`
	TargetArn              string            `json:"TargetArn"`
	InstanceId             string            `json:"InstanceId"`
	Tags                   map[string]string `json:"Tags,omitempty"`
	PhoneNumberStatus      PhoneNumberStatus `json:"PhoneNumberStatus"`
	SourcePhoneNumberArn   string            `json:"SourcePhoneNumberArn"`
}

// connectNumberType is the Amazon Connect type of an End User Messaging SMS
// number type.
func connectNumberType(t string) string {
	switch t {
	case "TOLL_FREE":
		return "TOLL_FREE"
	case "SHORT_CODE":
		return "SHORT_CODE"
	}
	return "DID"
}

// ImportPhoneNumberInput is the model's ImportPhoneNumberRequest.
type ImportPhoneNumberInput struct {
	InstanceId             string
	SourcePhoneNumberArn   string
	PhoneNumberDescription *string
	Tags                   map[string]string
	ClientToken            *string
}

// ImportPhoneNumberOutput is the model's ImportPhoneNumberResponse.
type ImportPhoneNumberOutput struct {
	PhoneNumberId  string `json:"PhoneNumberId"`
	PhoneNumberArn string `json:"PhoneNumberArn"`
}

// ImportPhoneNumber imports an ACTIVE End User Messaging SMS number of the
// caller's account and this region into an instance. The number is
// IN_PROGRESS until the claim job has run, then CLAIMED.
func (s *Service) ImportPhoneNumber(ctx context.Context, in *ImportPhoneNumberInput) (*ImportPhoneNumberOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	account := c.Account
	inst, err := s.instance(ctx, s.Store, account, in.InstanceId)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:ImportPhoneNumber", inst.Arn, account); err != nil {
		return nil, err
	}
	if id, ok, err := s.idempotent(ctx, s.Store, account, "ImportPhoneNumber", in.ClientToken); err != nil {
		return nil, internal(err)
	} else if ok {
		return &ImportPhoneNumberOutput{PhoneNumberId: id, PhoneNumberArn: s.phoneNumberArn(account, id)}, nil
	}
	src, err := s.sourceNumber(ctx, account, in.SourcePhoneNumberArn)
	if err != nil {
		return nil, err
	}
	id := uuid.NewString()
	n := &PhoneNumber{PhoneNumberId: id, PhoneNumberArn: s.phoneNumberArn(account, id), PhoneNumber: src.PhoneNumber,
		PhoneNumberCountryCode: src.IsoCountryCode, PhoneNumberType: connectNumberType(src.NumberType), TargetArn: inst.Arn,
		InstanceId: inst.Id, Tags: in.Tags, PhoneNumberStatus: PhoneNumberStatus{Status: NumberInProgress,
			Message: "Importing the number into the instance."}, SourcePhoneNumberArn: src.PhoneNumberArn}
	if in.PhoneNumberDescription != nil {
		n.PhoneNumberDescription = *in.PhoneNumberDescription
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		err := tx.Insert(ctx, store.Record{Account: account, Kind: kindNumberSource, ID: src.PhoneNumberArn, Data: []byte(id)})
		if errors.Is(err, store.ErrExists) {
			prev, _ := tx.Get(ctx, account, kindNumberSource, src.PhoneNumberArn)
			return invalidParameter("%s (%s) is already imported into Amazon Connect as phone number %s; release it first to import it again.",
				src.PhoneNumberArn, src.PhoneNumber, string(prev.Data))
		}
		if err != nil {
			return err
		}
		if err := save(ctx, tx, account, kindPhoneNumber, id, n, true); err != nil {
			return err
		}
		if err := s.remember(ctx, tx, account, "ImportPhoneNumber", in.ClientToken, id); err != nil {
			return err
		}
		return tx.Enqueue(ctx, store.Job{Queue: QueueClaim, ID: account + "/" + id, Payload: []byte(account + "/" + id)})
	})
	if err != nil {
		return nil, internal(err)
	}
	if s.OnQueued != nil {
		s.OnQueued()
	}
	return &ImportPhoneNumberOutput{PhoneNumberId: id, PhoneNumberArn: n.PhoneNumberArn}, nil
}

// sourceNumber checks SourcePhoneNumberArn: an ACTIVE End User Messaging
// SMS number of the account, in this region.
func (s *Service) sourceNumber(ctx context.Context, account, arn string) (*smsvoice.PhoneNumberInfo, error) {
	m := smsNumberARN.FindStringSubmatch(arn)
	if m == nil {
		return nil, invalidParameter("SourcePhoneNumberArn %q is not an AWS End User Messaging SMS phone number ARN (arn:aws:sms-voice:REGION:ACCOUNT:phone-number/phone-…).", arn)
	}
	if m[1] != s.Region {
		return nil, invalidParameter("The phone number %s is in %s; a number can only be imported into an Amazon Connect instance of its own region (%s).", arn, m[1], s.Region)
	}
	if m[2] != account {
		return nil, invalidParameter("The phone number %s belongs to account %s; only numbers of account %s can be imported into its instances.", arn, m[2], account)
	}
	if s.SMS == nil {
		return nil, invalidParameter("AWS End User Messaging SMS is not available on this server.")
	}
	out, err := s.SMS.DescribePhoneNumbers(duplex.WithCaller(ctx, &duplex.Caller{Account: account, ARN: "arn:aws:iam::" + account + ":root"}),
		&smsvoice.DescribePhoneNumbersInput{PhoneNumberIds: []string{m[3]}})
	if e, ok := duplex.AsError(err); ok && e.Code == "ResourceNotFoundException" {
		return nil, notFound(fmt.Sprintf("The phone number %s does not exist.", arn))
	}
	if err != nil {
		return nil, internal(err)
	}
	if len(out.PhoneNumbers) == 0 {
		return nil, notFound(fmt.Sprintf("The phone number %s does not exist.", arn))
	}
	n := out.PhoneNumbers[0]
	if n.Status != "ACTIVE" {
		return nil, invalidParameter("The phone number %s is %s; only ACTIVE numbers can be imported.", arn, n.Status)
	}
	return &n, nil
}

// HandleClaim is the jobs.Runner handler of QueueClaim: it completes an
// import once the source number is confirmed (CLAIMED), or says why not
// (FAILED).
func (s *Service) HandleClaim(ctx context.Context, j store.Job) jobs.Result {
	account, id, _ := strings.Cut(string(j.Payload), "/")
	n, err := load[PhoneNumber](ctx, s.Store, account, kindPhoneNumber, id)
	if errors.Is(err, store.ErrNotFound) {
		return jobs.Result{}
	}
	if err != nil {
		return jobs.Result{RetryAt: s.Now().Add(s.retryDelay())}
	}
	if n.PhoneNumberStatus.Status != NumberInProgress {
		return jobs.Result{}
	}
	status, msg := NumberClaimed, ""
	if _, err := s.sourceNumber(ctx, account, n.SourcePhoneNumberArn); err != nil {
		if e, ok := duplex.AsError(err); ok && e.Code != "InternalServiceException" {
			status, msg = NumberFailed, e.Message
		} else {
			s.Log.Warn("connect: claiming a phone number failed; will retry", "phoneNumberId", id, "err", err)
			return jobs.Result{RetryAt: s.Now().Add(s.retryDelay())}
		}
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := load[PhoneNumber](ctx, tx, account, kindPhoneNumber, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur.PhoneNumberStatus.Status != NumberInProgress {
			return nil
		}
		if _, err := tx.Get(ctx, account, kindInstance, cur.InstanceId); errors.Is(err, store.ErrNotFound) {
			status, msg = NumberFailed, "The instance "+cur.InstanceId+" was deleted."
		}
		cur.PhoneNumberStatus = PhoneNumberStatus{Status: status, Message: msg}
		return save(ctx, tx, account, kindPhoneNumber, id, cur, false)
	})
	if err != nil {
		return jobs.Result{RetryAt: s.Now().Add(s.retryDelay())}
	}
	return jobs.Result{}
}

func (s *Service) retryDelay() time.Duration { return time.Second }

// phoneNumber loads an imported number by ID or ARN.
func (s *Service) phoneNumber(ctx context.Context, r store.Reader, account, ref string) (*PhoneNumber, error) {
	id, err := s.resolveID(account, "phone-number", ref)
	if err != nil {
		return nil, err
	}
	n, err := load[PhoneNumber](ctx, r, account, kindPhoneNumber, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Phone number " + ref + " not found.")
	}
	if err != nil {
		return nil, internal(err)
	}
	return n, nil
}

// PhoneNumberInput names an imported number (DescribePhoneNumberRequest,
// ReleasePhoneNumberRequest).
type PhoneNumberInput struct {
	PhoneNumberId string
	ClientToken   *string
}

// DescribePhoneNumberOutput is the model's DescribePhoneNumberResponse.
type DescribePhoneNumberOutput struct {
	ClaimedPhoneNumberSummary *PhoneNumber `json:"ClaimedPhoneNumberSummary"`
}

// DescribePhoneNumber returns an imported number and its status.
func (s *Service) DescribePhoneNumber(ctx context.Context, in *PhoneNumberInput) (*DescribePhoneNumberOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.phoneNumber(ctx, s.Store, c.Account, in.PhoneNumberId)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:DescribePhoneNumber", n.PhoneNumberArn, c.Account); err != nil {
		return nil, err
	}
	return &DescribePhoneNumberOutput{ClaimedPhoneNumberSummary: n}, nil
}

// ListPhoneNumbersV2Input is the model's ListPhoneNumbersV2Request.
type ListPhoneNumbersV2Input struct {
	TargetArn               *string
	InstanceId              *string
	MaxResults              *int32
	NextToken               *string
	PhoneNumberCountryCodes []string
	PhoneNumberTypes        []string
	PhoneNumberPrefix       *string
}

// ListPhoneNumbersV2Output is the model's ListPhoneNumbersV2Response (each
// summary is written with the ListPhoneNumbersSummary members only).
type ListPhoneNumbersV2Output struct {
	NextToken                   *string       `json:"NextToken,omitempty"`
	ListPhoneNumbersSummaryList []PhoneNumber `json:"ListPhoneNumbersSummaryList"`
}

// ListPhoneNumbersV2 lists the numbers imported into the account's
// instances (one instance with TargetArn or InstanceId).
func (s *Service) ListPhoneNumbersV2(ctx context.Context, in *ListPhoneNumbersV2Input) (*ListPhoneNumbersV2Output, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	account := c.Account
	instanceID := ""
	for _, ref := range []*string{in.TargetArn, in.InstanceId} {
		if ref == nil || *ref == "" {
			continue
		}
		inst, err := s.instance(ctx, s.Store, account, *ref)
		if err != nil {
			return nil, err
		}
		if instanceID != "" && instanceID != inst.Id {
			return nil, invalidParameter("TargetArn and InstanceId name different instances.")
		}
		instanceID = inst.Id
	}
	if err := s.authorize(ctx, c, "connect:ListPhoneNumbersV2", "*", account); err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := 100
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	prefix := ""
	if in.PhoneNumberPrefix != nil {
		prefix = strings.TrimPrefix(*in.PhoneNumberPrefix, "+")
	}
	keep := func(n *PhoneNumber) bool {
		if instanceID != "" && n.InstanceId != instanceID {
			return false
		}
		if len(in.PhoneNumberCountryCodes) > 0 && !contains(in.PhoneNumberCountryCodes, n.PhoneNumberCountryCode) {
			return false
		}
		if len(in.PhoneNumberTypes) > 0 && !contains(in.PhoneNumberTypes, n.PhoneNumberType) {
			return false
		}
		return strings.HasPrefix(strings.TrimPrefix(n.PhoneNumber, "+"), prefix)
	}
	out := &ListPhoneNumbersV2Output{ListPhoneNumbersSummaryList: []PhoneNumber{}}
	for {
		recs, err := s.Store.List(ctx, store.Query{Account: account, Kind: kindPhoneNumber, After: after, Limit: 500})
		if err != nil {
			return nil, internal(err)
		}
		for _, rec := range recs {
			n, err := load[PhoneNumber](ctx, s.Store, account, kindPhoneNumber, rec.ID)
			if err != nil {
				return nil, internal(err)
			}
			if !keep(n) {
				continue
			}
			if len(out.ListPhoneNumbersSummaryList) == limit {
				out.NextToken = encodeToken(out.ListPhoneNumbersSummaryList[limit-1].PhoneNumberId)
				return out, nil
			}
			out.ListPhoneNumbersSummaryList = append(out.ListPhoneNumbersSummaryList, *n)
		}
		if len(recs) < 500 {
			return out, nil
		}
		after = recs[len(recs)-1].ID
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ReleasePhoneNumber removes an imported number from Amazon Connect (the
// End User Messaging SMS number stays). Its open chats end.
func (s *Service) ReleasePhoneNumber(ctx context.Context, in *PhoneNumberInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.phoneNumber(ctx, s.Store, c.Account, in.PhoneNumberId)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:ReleasePhoneNumber", n.PhoneNumberArn, c.Account); err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := load[PhoneNumber](ctx, tx, c.Account, kindPhoneNumber, n.PhoneNumberId)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Phone number " + in.PhoneNumberId + " not found.")
		}
		if err != nil {
			return err
		}
		return s.releaseTx(ctx, tx, c.Account, cur)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &struct{}{}, nil
}

// releaseTx removes an imported number and ends the chats open on it.
func (s *Service) releaseTx(ctx context.Context, tx store.Tx, account string, n *PhoneNumber) error {
	open, err := tx.List(ctx, store.Query{Account: account, Kind: kindOpenChat, Prefix: n.SourcePhoneNumberArn + "|"})
	if err != nil {
		return err
	}
	for _, o := range open {
		if err := s.endTx(ctx, tx, account, string(o.Data), "PHONE_NUMBER_RELEASED"); err != nil {
			return err
		}
	}
	if err := deleteIfExists(ctx, tx, account, kindNumberSource, n.SourcePhoneNumberArn); err != nil {
		return err
	}
	return tx.Delete(ctx, account, kindPhoneNumber, n.PhoneNumberId)
}

// importedNumber finds the imported number of an End User Messaging SMS
// number ARN (nil when it is not imported).
func (s *Service) importedNumber(ctx context.Context, r store.Reader, account, sourceArn string) (*PhoneNumber, error) {
	rec, err := r.Get(ctx, account, kindNumberSource, sourceArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n, err := load[PhoneNumber](ctx, r, account, kindPhoneNumber, string(rec.Data))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return n, err
}

// ImportedAs returns the caller's imported number whose source is an End
// User Messaging SMS number ARN, and its instance (nil, nil when the number
// is not imported).
func (s *Service) ImportedAs(ctx context.Context, sourceArn string) (*PhoneNumber, *Instance, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	n, err := s.importedNumber(ctx, s.Store, c.Account, sourceArn)
	if err != nil {
		return nil, nil, internal(err)
	}
	if n == nil {
		return nil, nil, nil
	}
	if err := s.authorize(ctx, c, "connect:DescribePhoneNumber", n.PhoneNumberArn, c.Account); err != nil {
		return nil, nil, err
	}
	inst, err := load[Instance](ctx, s.Store, c.Account, kindInstance, n.InstanceId)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, internal(err)
	}
	return n, inst, nil
}
