package smsvoice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
)

// PhoneNumber is a stored phone number. Info is exactly what the API
// returns; the rest is duplex's own bookkeeping.
type PhoneNumber struct {
	Info    PhoneNumberInfo `json:"info"`
	Tags    []Tag           `json:"tags,omitempty"`
	Carrier string          `json:"carrier,omitempty"`
}

// PhoneNumberInfo is the model's PhoneNumberInformation.
type PhoneNumberInfo struct {
	PhoneNumberArn              string    `json:"PhoneNumberArn"`
	PhoneNumberId               string    `json:"PhoneNumberId"`
	PhoneNumber                 string    `json:"PhoneNumber"`
	Status                      string    `json:"Status"`
	IsoCountryCode              string    `json:"IsoCountryCode"`
	MessageType                 string    `json:"MessageType"`
	NumberCapabilities          []string  `json:"NumberCapabilities"`
	NumberType                  string    `json:"NumberType"`
	MonthlyLeasingPrice         string    `json:"MonthlyLeasingPrice"`
	TwoWayEnabled               bool      `json:"TwoWayEnabled"`
	TwoWayChannelArn            string    `json:"TwoWayChannelArn,omitempty"`
	TwoWayChannelRole           string    `json:"TwoWayChannelRole,omitempty"`
	SelfManagedOptOutsEnabled   bool      `json:"SelfManagedOptOutsEnabled"`
	OptOutListName              string    `json:"OptOutListName"`
	InternationalSendingEnabled bool      `json:"InternationalSendingEnabled"`
	DeletionProtectionEnabled   bool      `json:"DeletionProtectionEnabled"`
	PoolId                      string    `json:"PoolId,omitempty"`
	RegistrationId              string    `json:"RegistrationId,omitempty"`
	CreatedTimestamp            time.Time `json:"CreatedTimestamp"`
}

type numberIndex struct {
	Account string `json:"account"`
	ID      string `json:"id"`
}

// RequestPhoneNumberInput is the model's RequestPhoneNumberRequest.
type RequestPhoneNumberInput struct {
	IsoCountryCode              string
	MessageType                 string
	NumberCapabilities          []string
	NumberType                  string
	OptOutListName              *string
	PoolId                      *string
	RegistrationId              *string
	InternationalSendingEnabled *bool
	DeletionProtectionEnabled   *bool
	Tags                        []Tag
	ClientToken                 *string
}

// RequestPhoneNumberOutput is the model's RequestPhoneNumberResult.
type RequestPhoneNumberOutput struct {
	PhoneNumberInfo
	Tags []Tag `json:"Tags,omitempty"`
}

var monthlyPrice = map[string]string{"LONG_CODE": "1.00", "TOLL_FREE": "2.00", "TEN_DLC": "2.00", "SIMULATOR": "0.00", "SHORT_CODE": "995.00"}

// RequestPhoneNumber leases a number from the inventory (or the built-in
// simulator ranges) to the caller's account.
func (s *Service) RequestPhoneNumber(ctx context.Context, in *RequestPhoneNumberInput) (*RequestPhoneNumberOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	if in.ClientToken != nil {
		if id, ok, err := s.idempotent(ctx, account, "RequestPhoneNumber", *in.ClientToken); err != nil {
			return nil, err
		} else if ok {
			n, err := load[PhoneNumber](ctx, s.Store, account, kindNumber, id)
			if err == nil {
				return &RequestPhoneNumberOutput{PhoneNumberInfo: n.Info, Tags: n.Tags}, nil
			}
		}
	}
	c, err := checkRequest(in)
	if err != nil {
		return nil, err
	}
	listName := "Default"
	if in.OptOutListName != nil {
		if listName, err = s.resolve(account, "opt-out-list", *in.OptOutListName); err != nil {
			return nil, err
		}
	}
	var out *PhoneNumber
	// A concurrent request may take the number this one picked (PostgreSQL
	// runs such transactions in parallel): the index insert then finds it
	// taken and the transaction is tried again with the next free number.
	for attempt := 0; ; attempt++ {
		err = s.Store.Update(ctx, func(tx store.Tx) error { return s.requestTx(ctx, tx, account, listName, c, in, &out) })
		if !errors.Is(err, errNumberTaken) || attempt == 20 {
			break
		}
	}
	if errors.Is(err, errTokenRace) {
		// The same token at once (on another node): the winner's number.
		if res, ok := s.tokenWinner(ctx, account, *in.ClientToken); ok {
			return res, nil
		}
	}
	if err != nil {
		return nil, internal(err)
	}
	return &RequestPhoneNumberOutput{PhoneNumberInfo: out.Info, Tags: out.Tags}, nil
}

// checkRequest applies the rules of a number request that need no store.
func checkRequest(in *RequestPhoneNumberInput) (country, error) {
	c, ok := countries[in.IsoCountryCode]
	if in.NumberType == "SIMULATOR" && in.IsoCountryCode != "US" {
		return c, duplex.Validation("INVALID_PARAMETER", "Simulator phone numbers are only available with IsoCountryCode US.",
			duplex.FieldError{Name: "IsoCountryCode", Message: "SIMULATOR numbers are US numbers"})
	}
	if !ok {
		return c, duplex.Validation("COUNTRY_NOT_ENABLED", fmt.Sprintf("Phone numbers are not available in %s.", in.IsoCountryCode),
			duplex.FieldError{Name: "IsoCountryCode", Message: "no numbers in this country"})
	}
	if slices.Contains(in.NumberCapabilities, "MMS") && in.IsoCountryCode != "US" && in.IsoCountryCode != "CA" {
		return c, duplex.Validation("INVALID_PARAMETER", "MMS is only available for numbers in US and CA.",
			duplex.FieldError{Name: "NumberCapabilities", Message: "MMS not available in this country"})
	}
	return c, checkTags(in.Tags)
}

// errNumberTaken means a concurrent transaction took the number picked.
var errNumberTaken = errors.New("smsvoice: number taken concurrently")

func (s *Service) requestTx(ctx context.Context, tx store.Tx, account, listName string, c country, in *RequestPhoneNumberInput, res **PhoneNumber) error {
	if _, err := tx.Get(ctx, account, kindOptOutList, listName); err != nil {
		return notFoundOr(err, "opt-out-list", listName)
	}
	n, err := tx.Count(ctx, account, kindNumber, "")
	if err != nil {
		return err
	}
	if int64(n) >= s.Limits.PhoneNumbers {
		return duplex.QuotaExceeded("PHONE_NUMBERS_PER_ACCOUNT", "The account has reached its phone number quota.")
	}
	return s.requestOne(ctx, tx, account, listName, c, in, res)
}

// RequestPhoneNumbers leases count numbers as count RequestPhoneNumber
// calls would (same rules, records and default keywords), in transactions
// of up to 1,000 numbers that check the quota once each: load tests seed
// accounts with 100,000 numbers with it. It takes neither a pool nor a
// client token; on error, the batches already committed stay.
func (s *Service) RequestPhoneNumbers(ctx context.Context, in *RequestPhoneNumberInput, count int) ([]PhoneNumberInfo, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	if in.PoolId != nil || in.ClientToken != nil {
		return nil, duplex.Validation("INVALID_PARAMETER", "RequestPhoneNumbers takes neither PoolId nor ClientToken.")
	}
	c, err := checkRequest(in)
	if err != nil {
		return nil, err
	}
	listName := "Default"
	if in.OptOutListName != nil {
		if listName, err = s.resolve(account, "opt-out-list", *in.OptOutListName); err != nil {
			return nil, err
		}
	}
	out := make([]PhoneNumberInfo, 0, count)
	for len(out) < count {
		batch := min(count-len(out), 1000)
		var got []PhoneNumberInfo
		err := s.Store.Update(ctx, func(tx store.Tx) error {
			got = got[:0]
			if _, err := tx.Get(ctx, account, kindOptOutList, listName); err != nil {
				return notFoundOr(err, "opt-out-list", listName)
			}
			n, err := tx.Count(ctx, account, kindNumber, "")
			if err != nil {
				return err
			}
			if int64(n+batch) > s.Limits.PhoneNumbers {
				return duplex.QuotaExceeded("PHONE_NUMBERS_PER_ACCOUNT", "The account has reached its phone number quota.")
			}
			for range batch {
				var num *PhoneNumber
				if err := s.requestOne(ctx, tx, account, listName, c, in, &num); err != nil {
					return err
				}
				got = append(got, num.Info)
			}
			return nil
		})
		if err != nil {
			return out, internal(err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// requestOne allocates and records one number (quota already checked).
func (s *Service) requestOne(ctx context.Context, tx store.Tx, account, listName string, c country, in *RequestPhoneNumberInput, res **PhoneNumber) error {
	var pool *Pool
	if in.PoolId != nil {
		pid, err := s.resolve(account, "pool", *in.PoolId)
		if err != nil {
			return err
		}
		if pool, err = load[Pool](ctx, tx, account, kindPool, pid); err != nil {
			return notFoundOr(err, "pool", *in.PoolId)
		}
		if pool.Info.MessageType != in.MessageType {
			return duplex.Conflict("MESSAGE_TYPE_MISMATCH", "pool", pid, "The pool's message type differs from the requested number's.")
		}
		if pool.Info.OptOutListName != listName {
			return duplex.Conflict("OPT_OUT_LIST_MISMATCH", "pool", pid, "The pool's opt-out list differs from the requested number's.")
		}
	}
	e164, carrier, caps, err := s.allocate(ctx, tx, in.IsoCountryCode, in.NumberType, in.NumberCapabilities, c)
	if err != nil {
		return err
	}
	if len(caps) == 0 {
		caps = in.NumberCapabilities
	}
	id := newID("phone-")
	out := &PhoneNumber{Carrier: carrier, Tags: in.Tags, Info: PhoneNumberInfo{
		PhoneNumberArn: s.arn(account, "phone-number/"+id), PhoneNumberId: id, PhoneNumber: e164,
		Status: "ACTIVE", IsoCountryCode: in.IsoCountryCode, MessageType: in.MessageType,
		NumberCapabilities: caps, NumberType: in.NumberType, MonthlyLeasingPrice: monthlyPrice[in.NumberType],
		OptOutListName: listName, InternationalSendingEnabled: boolv(in.InternationalSendingEnabled),
		DeletionProtectionEnabled: boolv(in.DeletionProtectionEnabled), CreatedTimestamp: s.Now().UTC().Truncate(time.Millisecond),
	}}
	if in.RegistrationId != nil {
		out.Info.RegistrationId = *in.RegistrationId
	}
	if pool != nil {
		out.Info.PoolId = pool.Info.PoolId
		out.Info.TwoWayEnabled = pool.Info.TwoWayEnabled
		out.Info.TwoWayChannelArn = pool.Info.TwoWayChannelArn
		out.Info.TwoWayChannelRole = pool.Info.TwoWayChannelRole
		out.Info.SelfManagedOptOutsEnabled = pool.Info.SelfManagedOptOutsEnabled
		// The pool lists its members (ListPoolOriginationIdentities,
		// DeletePool, LAST_PHONE_NUMBER) from its member records.
		members, err := tx.Count(ctx, account, kindPoolMember, pool.Info.PoolId+"/")
		if err != nil {
			return err
		}
		if int64(members) >= s.Limits.OriginationsPerPool {
			return duplex.QuotaExceeded("ORIGINATION_IDENTITIES_PER_POOL", "The pool has reached its origination identity quota.")
		}
		if err := tx.Insert(ctx, store.Record{Account: account, Kind: kindPoolMember, ID: pool.Info.PoolId + "/" + id, Data: []byte("{}")}); err != nil {
			return err
		}
	}
	if err := save(ctx, tx, "", kindNumberIndex, e164, numberIndex{Account: account, ID: id}, true); errors.Is(err, store.ErrExists) {
		return errNumberTaken
	} else if err != nil {
		return err
	}
	if err := save(ctx, tx, account, kindNumber, id, out, true); err != nil {
		return err
	}
	if err := s.putDefaultKeywords(ctx, tx, account, id); err != nil {
		return err
	}
	*res = out
	if in.ClientToken != nil {
		return s.rememberToken(ctx, tx, account, "RequestPhoneNumber", *in.ClientToken, id)
	}
	return nil
}

// allocate picks a free number: from the configured inventory when it has
// any for this country and type (the first free one that has every wanted
// capability; one configured without capabilities has any), else from the
// built-in simulator range.
func (s *Service) allocate(ctx context.Context, tx store.Tx, iso, typ string, want []string, c country) (e164, carrier string, caps []string, err error) {
	configured, free := false, false
	for _, n := range s.Inventory {
		if n.Country != iso || n.Type != typ {
			continue
		}
		configured = true
		if _, err := tx.Get(ctx, "", kindNumberIndex, n.Number); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", "", nil, err
		}
		free = true
		if len(n.Capabilities) > 0 && slices.ContainsFunc(want, func(w string) bool { return !slices.Contains(n.Capabilities, w) }) {
			continue
		}
		return n.Number, n.Carrier, n.Capabilities, nil
	}
	if free {
		return "", "", nil, duplex.Conflict("NUMBER_CAPABILITIES_MISMATCH", "", "",
			fmt.Sprintf("No free %s %s number in the inventory has the capabilities %v.", iso, typ, want))
	}
	if configured {
		return "", "", nil, duplex.QuotaExceeded("PHONE_NUMBERS_PER_ACCOUNT", fmt.Sprintf("No %s numbers left in the %s inventory.", typ, iso))
	}
	prefix, ok := c.types[typ]
	if !ok {
		return "", "", nil, duplex.Validation("INVALID_PARAMETER", fmt.Sprintf("Number type %s is not available in %s.", typ, iso),
			duplex.FieldError{Name: "NumberType", Message: "not available in this country"})
	}
	// The range counter lives in the global account so two accounts never
	// get the same number; the index check covers numbers released and
	// re-requested.
	ctrID := iso + "/" + typ
	var ctr struct{ Next int64 }
	if rec, err := tx.Get(ctx, "", "sms.range-counter", ctrID); err == nil {
		json.Unmarshal(rec.Data, &ctr)
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", "", nil, err
	}
	width := c.nsn - len(prefix)
	limit := int64(1)
	for i := 0; i < width; i++ {
		limit *= 10
	}
	for tries := int64(0); tries < limit; tries++ {
		n := ctr.Next % limit
		ctr.Next++
		cand := "+" + c.dial + prefix + fmt.Sprintf("%0*d", width, n)
		if _, err := tx.Get(ctx, "", kindNumberIndex, cand); errors.Is(err, store.ErrNotFound) {
			if err := save(ctx, tx, "", "sms.range-counter", ctrID, ctr, false); err != nil {
				return "", "", nil, err
			}
			return cand, "", nil, nil
		} else if err != nil {
			return "", "", nil, err
		}
	}
	return "", "", nil, duplex.QuotaExceeded("PHONE_NUMBERS_PER_ACCOUNT", "The simulator number range is exhausted.")
}

// DescribePhoneNumbersInput is the model's DescribePhoneNumbersRequest.
type DescribePhoneNumbersInput struct {
	PhoneNumberIds []string
	Filters        []Filter
	NextToken      *string
	MaxResults     *int32
	Owner          *string
}

// Filter is a Name/Values filter of any Describe operation.
type Filter struct {
	Name   string
	Values []string
}

// DescribePhoneNumbersOutput is the model's DescribePhoneNumbersResult.
type DescribePhoneNumbersOutput struct {
	PhoneNumbers []PhoneNumberInfo `json:"PhoneNumbers"`
	NextToken    *string           `json:"NextToken,omitempty"`
}

// DefaultPageSize is the page size when MaxResults is not given.
const DefaultPageSize = 25

// DescribePhoneNumbers lists the account's numbers.
func (s *Service) DescribePhoneNumbers(ctx context.Context, in *DescribePhoneNumbersInput) (*DescribePhoneNumbersOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	out := &DescribePhoneNumbersOutput{PhoneNumbers: []PhoneNumberInfo{}}
	if in.Owner != nil && *in.Owner == "SHARED" {
		return out, nil // resource sharing across accounts is not offered
	}
	match, err := numberFilter(in.Filters)
	if err != nil {
		return nil, err
	}
	if len(in.PhoneNumberIds) > 0 {
		for _, ref := range in.PhoneNumberIds {
			id, err := s.resolve(account, "phone-number", ref)
			if err != nil {
				return nil, err
			}
			n, err := load[PhoneNumber](ctx, s.Store, account, kindNumber, id)
			if err != nil {
				return nil, notFoundOr(err, "phone-number", ref)
			}
			if match(&n.Info) {
				out.PhoneNumbers = append(out.PhoneNumbers, n.Info)
			}
		}
		return out, nil
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	kept := map[string]PhoneNumberInfo{} // decoded once
	recs, next, err := scan(ctx, s.Store, account, kindNumber, "", after, pageSize(in.MaxResults, DefaultPageSize), func(r store.Record) (bool, error) {
		var n PhoneNumber
		if err := json.Unmarshal(r.Data, &n); err != nil {
			return false, err
		}
		if !match(&n.Info) {
			return false, nil
		}
		kept[r.ID] = n.Info
		return true, nil
	})
	if err != nil {
		return nil, internal(err)
	}
	for _, r := range recs {
		out.PhoneNumbers = append(out.PhoneNumbers, kept[r.ID])
	}
	if next != "" {
		out.NextToken = encodeToken(next)
	}
	return out, nil
}

// numberFields are the DescribePhoneNumbers filters: each gives the values
// of a number that the filter's values are matched against.
var numberFields = map[string]func(*PhoneNumberInfo) []string{
	"status":                        func(n *PhoneNumberInfo) []string { return []string{n.Status} },
	"iso-country-code":              func(n *PhoneNumberInfo) []string { return []string{n.IsoCountryCode} },
	"message-type":                  func(n *PhoneNumberInfo) []string { return []string{n.MessageType} },
	"number-capability":             func(n *PhoneNumberInfo) []string { return n.NumberCapabilities },
	"number-type":                   func(n *PhoneNumberInfo) []string { return []string{n.NumberType} },
	"two-way-enabled":               func(n *PhoneNumberInfo) []string { return []string{strconv.FormatBool(n.TwoWayEnabled)} },
	"self-managed-opt-outs-enabled": func(n *PhoneNumberInfo) []string { return []string{strconv.FormatBool(n.SelfManagedOptOutsEnabled)} },
	"opt-out-list-name":             func(n *PhoneNumberInfo) []string { return []string{n.OptOutListName} },
	"deletion-protection-enabled":   func(n *PhoneNumberInfo) []string { return []string{strconv.FormatBool(n.DeletionProtectionEnabled)} },
	"two-way-channel-arn":           func(n *PhoneNumberInfo) []string { return []string{n.TwoWayChannelArn} },
}

func numberFilter(fs []Filter) (func(*PhoneNumberInfo) bool, error) {
	return buildFilter(fs, numberFields)
}

// buildFilter compiles Name/Values filters: a resource matches when, for
// every filter, one of its values for that field is among the filter's.
func buildFilter[T any](fs []Filter, fields map[string]func(*T) []string) (func(*T) bool, error) {
	type pred struct {
		get  func(*T) []string
		vals []string
	}
	var preds []pred
	for _, f := range fs {
		get, ok := fields[f.Name]
		if !ok {
			return nil, duplex.Validation("INVALID_FILTER_VALUES", "Unknown filter name "+f.Name)
		}
		if err := checkBoolFilter(f); err != nil {
			return nil, err
		}
		preds = append(preds, pred{get, f.Values})
	}
	return func(x *T) bool {
		for _, p := range preds {
			if !slices.ContainsFunc(p.get(x), func(v string) bool { return slices.Contains(p.vals, v) }) {
				return false
			}
		}
		return true
	}, nil
}

func checkBoolFilter(f Filter) error {
	if !strings.HasSuffix(f.Name, "-enabled") {
		return nil
	}
	for _, v := range f.Values {
		if v != "true" && v != "false" {
			return duplex.Validation("INVALID_FILTER_VALUES", fmt.Sprintf("Filter %s takes true or false, not %q.", f.Name, v),
				duplex.FieldError{Name: "Filters", Message: "invalid value " + v})
		}
	}
	return nil
}

// UpdatePhoneNumberInput is the model's UpdatePhoneNumberRequest.
type UpdatePhoneNumberInput struct {
	PhoneNumberId               string
	TwoWayEnabled               *bool
	TwoWayChannelArn            *string
	TwoWayChannelRole           *string
	SelfManagedOptOutsEnabled   *bool
	OptOutListName              *string
	InternationalSendingEnabled *bool
	DeletionProtectionEnabled   *bool
}

// UpdatePhoneNumber changes a number's settings, two-way ones included.
func (s *Service) UpdatePhoneNumber(ctx context.Context, in *UpdatePhoneNumberInput) (*PhoneNumberInfo, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	id, err := s.resolve(account, "phone-number", in.PhoneNumberId)
	if err != nil {
		return nil, err
	}
	tw := twoWayChange{Enabled: in.TwoWayEnabled, ChannelArn: in.TwoWayChannelArn, ChannelRole: in.TwoWayChannelRole}
	if tw.Enabled != nil || tw.ChannelArn != nil || tw.ChannelRole != nil {
		// Read once outside the transaction to run the (possibly slow)
		// channel checks without holding the write lock; the transaction
		// re-reads. An update that leaves two-way alone needs neither.
		cur, err := load[PhoneNumber](ctx, s.Store, account, kindNumber, id)
		if err != nil {
			return nil, notFoundOr(err, "phone-number", in.PhoneNumberId)
		}
		if err := s.checkTwoWay(ctx, account, cur.Info.IsoCountryCode, cur.Info.TwoWayEnabled, cur.Info.TwoWayChannelArn, cur.Info.TwoWayChannelRole, tw); err != nil {
			return nil, err
		}
	}
	var out PhoneNumberInfo
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		n, err := load[PhoneNumber](ctx, tx, account, kindNumber, id)
		if err != nil {
			return notFoundOr(err, "phone-number", in.PhoneNumberId)
		}
		tw.apply(&n.Info.TwoWayEnabled, &n.Info.TwoWayChannelArn, &n.Info.TwoWayChannelRole)
		if in.SelfManagedOptOutsEnabled != nil {
			n.Info.SelfManagedOptOutsEnabled = *in.SelfManagedOptOutsEnabled
		}
		if in.InternationalSendingEnabled != nil {
			n.Info.InternationalSendingEnabled = *in.InternationalSendingEnabled
		}
		if in.DeletionProtectionEnabled != nil {
			n.Info.DeletionProtectionEnabled = *in.DeletionProtectionEnabled
		}
		if in.OptOutListName != nil {
			name, err := s.resolve(account, "opt-out-list", *in.OptOutListName)
			if err != nil {
				return err
			}
			if _, err := tx.Get(ctx, account, kindOptOutList, name); err != nil {
				return notFoundOr(err, "opt-out-list", *in.OptOutListName)
			}
			n.Info.OptOutListName = name
		}
		out = n.Info
		return save(ctx, tx, account, kindNumber, id, n, false)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &out, nil
}

// ReleasePhoneNumber gives a number back.
func (s *Service) ReleasePhoneNumber(ctx context.Context, in *struct{ PhoneNumberId string }) (*PhoneNumberInfo, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	id, err := s.resolve(account, "phone-number", in.PhoneNumberId)
	if err != nil {
		return nil, err
	}
	var out PhoneNumberInfo
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		n, err := load[PhoneNumber](ctx, tx, account, kindNumber, id)
		if err != nil {
			return notFoundOr(err, "phone-number", in.PhoneNumberId)
		}
		if n.Info.DeletionProtectionEnabled {
			return duplex.Conflict("DELETION_PROTECTION_ENABLED", "phone-number", id, "The phone number has deletion protection enabled.")
		}
		if n.Info.PoolId != "" {
			return duplex.Conflict("PHONE_NUMBER_ASSOCIATED_TO_POOL", "phone-number", id,
				fmt.Sprintf("The phone number is associated with pool %s; disassociate it first.", n.Info.PoolId))
		}
		if err := tx.Delete(ctx, account, kindNumber, id); err != nil {
			return err
		}
		if err := tx.Delete(ctx, "", kindNumberIndex, n.Info.PhoneNumber); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := tx.DeletePrefix(ctx, account, kindKeyword, id+"/"); err != nil {
			return err
		}
		n.Info.Status = "DELETED"
		out = n.Info
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	return &out, nil
}

// LookupNumber finds which account holds an E.164 number and returns it.
// The inbound pipeline routes with it.
func (s *Service) LookupNumber(ctx context.Context, e164 string) (account string, n *PhoneNumber, err error) {
	idx, err := load[numberIndex](ctx, s.Store, "", kindNumberIndex, e164)
	if err != nil {
		return "", nil, err
	}
	n, err = load[PhoneNumber](ctx, s.Store, idx.Account, kindNumber, idx.ID)
	if err != nil {
		return "", nil, err
	}
	return idx.Account, n, nil
}

func (s *Service) idempotent(ctx context.Context, account, op, token string) (string, bool, error) {
	rec, err := s.Store.Get(ctx, account, kindIdempotency, op+"/"+token)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, internal(err)
	}
	return string(rec.Data), true, nil
}

func (s *Service) rememberToken(ctx context.Context, tx store.Tx, account, op, token, id string) error {
	err := tx.Insert(ctx, store.Record{Account: account, Kind: kindIdempotency, ID: op + "/" + token, Data: []byte(id)})
	if errors.Is(err, store.ErrExists) {
		// A concurrent call with the same token won: fail this one so the
		// client retries and gets the winner's result.
		e := duplex.Conflict("RESOURCE_ALREADY_EXISTS", "", "", "A request with the same ClientToken is in progress.")
		e.Err = errTokenRace
		return e
	}
	return err
}

func checkTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return duplex.Validation("INVALID_PARAMETER", "Tag keys may not begin with aws:.",
				duplex.FieldError{Name: "Tags", Message: "reserved prefix aws:"})
		}
		if seen[t.Key] {
			return duplex.Validation("INVALID_PARAMETER", "Duplicate tag key "+t.Key,
				duplex.FieldError{Name: "Tags", Message: "duplicate key " + t.Key})
		}
		seen[t.Key] = true
	}
	return nil
}

// RouteNumber finds which account holds an E.164 number and the number's
// ID from the number index alone (one read; indexed numbers are ACTIVE: a
// released number leaves the index). Inbound messages are routed with it.
func (s *Service) RouteNumber(ctx context.Context, e164 string) (account, id string, err error) {
	idx, err := load[numberIndex](ctx, s.Store, "", kindNumberIndex, e164)
	if err != nil {
		return "", "", err
	}
	return idx.Account, idx.ID, nil
}

// GetNumber returns a phone number of an account by ID (store.ErrNotFound
// when the account does not hold it).
func (s *Service) GetNumber(ctx context.Context, account, id string) (*PhoneNumber, error) {
	return load[PhoneNumber](ctx, s.Store, account, kindNumber, id)
}
