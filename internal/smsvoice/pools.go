package smsvoice

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
)

// Pool is a stored pool.
type Pool struct {
	Info PoolInfo `json:"info"`
	Tags []Tag    `json:"tags,omitempty"`
}

// PoolInfo is the model's PoolInformation.
type PoolInfo struct {
	PoolArn                   string    `json:"PoolArn"`
	PoolId                    string    `json:"PoolId"`
	Status                    string    `json:"Status"`
	MessageType               string    `json:"MessageType"`
	TwoWayEnabled             bool      `json:"TwoWayEnabled"`
	TwoWayChannelArn          string    `json:"TwoWayChannelArn,omitempty"`
	TwoWayChannelRole         string    `json:"TwoWayChannelRole,omitempty"`
	SelfManagedOptOutsEnabled bool      `json:"SelfManagedOptOutsEnabled"`
	OptOutListName            string    `json:"OptOutListName"`
	SharedRoutesEnabled       bool      `json:"SharedRoutesEnabled"`
	DeletionProtectionEnabled bool      `json:"DeletionProtectionEnabled"`
	CreatedTimestamp          time.Time `json:"CreatedTimestamp"`
}

// CreatePoolInput is the model's CreatePoolRequest.
type CreatePoolInput struct {
	OriginationIdentity       string
	IsoCountryCode            *string
	MessageType               string
	DeletionProtectionEnabled *bool
	Tags                      []Tag
	ClientToken               *string
}

// PoolOutput is a pool with its tags (CreatePoolResult).
type PoolOutput struct {
	PoolInfo
	Tags []Tag `json:"Tags,omitempty"`
}

// originationNumber resolves a phone number ID, ARN or E.164 of the account.
func (s *Service) originationNumber(ctx context.Context, r store.Reader, account, ref string) (*PhoneNumber, error) {
	if strings.HasPrefix(ref, "+") {
		idx, err := load[numberIndex](ctx, r, "", kindNumberIndex, ref)
		if err != nil || idx.Account != account {
			return nil, duplex.NotFound("phone-number", ref)
		}
		ref = idx.ID
	}
	if strings.Contains(ref, ":sender-id/") || (!strings.HasPrefix(ref, "arn:") && !strings.HasPrefix(ref, "phone-")) {
		return nil, duplex.NotFound("phone-number", ref)
	}
	id, err := s.resolve(account, "phone-number", ref)
	if err != nil {
		return nil, err
	}
	n, err := load[PhoneNumber](ctx, r, account, kindNumber, id)
	if err != nil {
		return nil, notFoundOr(err, "phone-number", ref)
	}
	return n, nil
}

// CreatePool creates a pool holding one origination identity.
func (s *Service) CreatePool(ctx context.Context, in *CreatePoolInput) (*PoolOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	if in.ClientToken != nil {
		if id, ok, err := s.idempotent(ctx, account, "CreatePool", *in.ClientToken); err != nil {
			return nil, err
		} else if ok {
			if p, err := load[Pool](ctx, s.Store, account, kindPool, id); err == nil {
				return &PoolOutput{PoolInfo: p.Info, Tags: p.Tags}, nil
			}
		}
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	var out *Pool
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.Count(ctx, account, kindPool, "")
		if err != nil {
			return err
		}
		if int64(n) >= s.Limits.Pools {
			return duplex.QuotaExceeded("POOLS_PER_ACCOUNT", "The account has reached its pool quota.")
		}
		num, err := s.originationNumber(ctx, tx, account, in.OriginationIdentity)
		if err != nil {
			return err
		}
		if in.IsoCountryCode != nil && *in.IsoCountryCode != num.Info.IsoCountryCode {
			return duplex.Validation("COUNTRY_CODE_MISMATCH", "IsoCountryCode does not match the phone number's country.",
				duplex.FieldError{Name: "IsoCountryCode", Message: "does not match " + num.Info.IsoCountryCode})
		}
		if num.Info.PoolId != "" {
			return duplex.Conflict("PHONE_NUMBER_ASSOCIATED_TO_POOL", "phone-number", num.Info.PhoneNumberId,
				"The phone number already belongs to pool "+num.Info.PoolId+".")
		}
		if num.Info.MessageType != in.MessageType {
			return duplex.Conflict("MESSAGE_TYPE_MISMATCH", "phone-number", num.Info.PhoneNumberId,
				"The phone number's message type is "+num.Info.MessageType+".")
		}
		id := newID("pool-")
		out = &Pool{Tags: in.Tags, Info: PoolInfo{
			PoolArn: s.arn(account, "pool/"+id), PoolId: id, Status: "ACTIVE", MessageType: in.MessageType,
			OptOutListName: num.Info.OptOutListName, SelfManagedOptOutsEnabled: num.Info.SelfManagedOptOutsEnabled,
			DeletionProtectionEnabled: boolv(in.DeletionProtectionEnabled), CreatedTimestamp: s.Now().UTC().Truncate(time.Millisecond),
		}}
		num.Info.PoolId = id
		if err := save(ctx, tx, account, kindNumber, num.Info.PhoneNumberId, num, false); err != nil {
			return err
		}
		if err := save(ctx, tx, account, kindPool, id, out, true); err != nil {
			return err
		}
		if err := tx.Insert(ctx, store.Record{Account: account, Kind: kindPoolMember, ID: id + "/" + num.Info.PhoneNumberId, Data: []byte("{}")}); err != nil {
			return err
		}
		if err := s.putDefaultKeywords(ctx, tx, account, id); err != nil {
			return err
		}
		if in.ClientToken != nil {
			return s.rememberToken(ctx, tx, account, "CreatePool", *in.ClientToken, id)
		}
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	return &PoolOutput{PoolInfo: out.Info, Tags: out.Tags}, nil
}

const kindPoolMember = "sms.pool-member" // id: POOL/PHONE-ID

// DescribePoolsInput is the model's DescribePoolsRequest.
type DescribePoolsInput struct {
	PoolIds    []string
	Filters    []Filter
	NextToken  *string
	MaxResults *int32
	Owner      *string
}

// DescribePoolsOutput is the model's DescribePoolsResult.
type DescribePoolsOutput struct {
	Pools     []PoolInfo `json:"Pools"`
	NextToken *string    `json:"NextToken,omitempty"`
}

// DescribePools lists pools.
func (s *Service) DescribePools(ctx context.Context, in *DescribePoolsInput) (*DescribePoolsOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	out := &DescribePoolsOutput{Pools: []PoolInfo{}}
	if in.Owner != nil && *in.Owner == "SHARED" {
		return out, nil
	}
	match, err := poolFilter(in.Filters)
	if err != nil {
		return nil, err
	}
	if len(in.PoolIds) > 0 {
		for _, ref := range in.PoolIds {
			id, err := s.resolve(account, "pool", ref)
			if err != nil {
				return nil, err
			}
			p, err := load[Pool](ctx, s.Store, account, kindPool, id)
			if err != nil {
				return nil, notFoundOr(err, "pool", ref)
			}
			if match(&p.Info) {
				out.Pools = append(out.Pools, p.Info)
			}
		}
		return out, nil
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	recs, next, err := scan(ctx, s.Store, account, kindPool, "", after, pageSize(in.MaxResults, DefaultPageSize), func(r store.Record) (bool, error) {
		var p Pool
		if err := json.Unmarshal(r.Data, &p); err != nil {
			return false, err
		}
		return match(&p.Info), nil
	})
	if err != nil {
		return nil, internal(err)
	}
	for _, r := range recs {
		var p Pool
		json.Unmarshal(r.Data, &p)
		out.Pools = append(out.Pools, p.Info)
	}
	if next != "" {
		out.NextToken = encodeToken(next)
	}
	return out, nil
}

// poolFields are the DescribePools filters.
var poolFields = map[string]func(*PoolInfo) []string{
	"status":                        func(x *PoolInfo) []string { return []string{x.Status} },
	"message-type":                  func(x *PoolInfo) []string { return []string{x.MessageType} },
	"two-way-enabled":               func(x *PoolInfo) []string { return []string{strconv.FormatBool(x.TwoWayEnabled)} },
	"self-managed-opt-outs-enabled": func(x *PoolInfo) []string { return []string{strconv.FormatBool(x.SelfManagedOptOutsEnabled)} },
	"opt-out-list-name":             func(x *PoolInfo) []string { return []string{x.OptOutListName} },
	"shared-routes-enabled":         func(x *PoolInfo) []string { return []string{strconv.FormatBool(x.SharedRoutesEnabled)} },
	"deletion-protection-enabled":   func(x *PoolInfo) []string { return []string{strconv.FormatBool(x.DeletionProtectionEnabled)} },
	"two-way-channel-arn":           func(x *PoolInfo) []string { return []string{x.TwoWayChannelArn} },
}

func poolFilter(fs []Filter) (func(*PoolInfo) bool, error) { return buildFilter(fs, poolFields) }

// UpdatePoolInput is the model's UpdatePoolRequest.
type UpdatePoolInput struct {
	PoolId                    string
	TwoWayEnabled             *bool
	TwoWayChannelArn          *string
	TwoWayChannelRole         *string
	SelfManagedOptOutsEnabled *bool
	OptOutListName            *string
	SharedRoutesEnabled       *bool
	DeletionProtectionEnabled *bool
}

// UpdatePool changes a pool's settings.
func (s *Service) UpdatePool(ctx context.Context, in *UpdatePoolInput) (*PoolInfo, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	id, err := s.resolve(account, "pool", in.PoolId)
	if err != nil {
		return nil, err
	}
	cur, err := load[Pool](ctx, s.Store, account, kindPool, id)
	if err != nil {
		return nil, notFoundOr(err, "pool", in.PoolId)
	}
	tw := twoWayChange{Enabled: in.TwoWayEnabled, ChannelArn: in.TwoWayChannelArn, ChannelRole: in.TwoWayChannelRole}
	iso, err := s.poolCountry(ctx, account, id)
	if err != nil {
		return nil, err
	}
	if err := s.checkTwoWay(ctx, account, iso, cur.Info.TwoWayEnabled, cur.Info.TwoWayChannelArn, cur.Info.TwoWayChannelRole, tw); err != nil {
		return nil, err
	}
	var out PoolInfo
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		p, err := load[Pool](ctx, tx, account, kindPool, id)
		if err != nil {
			return notFoundOr(err, "pool", in.PoolId)
		}
		tw.apply(&p.Info.TwoWayEnabled, &p.Info.TwoWayChannelArn, &p.Info.TwoWayChannelRole)
		if in.SelfManagedOptOutsEnabled != nil {
			p.Info.SelfManagedOptOutsEnabled = *in.SelfManagedOptOutsEnabled
		}
		if in.SharedRoutesEnabled != nil {
			p.Info.SharedRoutesEnabled = *in.SharedRoutesEnabled
		}
		if in.DeletionProtectionEnabled != nil {
			p.Info.DeletionProtectionEnabled = *in.DeletionProtectionEnabled
		}
		if in.OptOutListName != nil {
			name, err := s.resolve(account, "opt-out-list", *in.OptOutListName)
			if err != nil {
				return err
			}
			if _, err := tx.Get(ctx, account, kindOptOutList, name); err != nil {
				return notFoundOr(err, "opt-out-list", *in.OptOutListName)
			}
			p.Info.OptOutListName = name
		}
		out = p.Info
		return save(ctx, tx, account, kindPool, id, p, false)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &out, nil
}

// poolCountry returns the country of a pool's numbers when they all share
// one ("" when mixed or empty); two-way support is decided by it.
func (s *Service) poolCountry(ctx context.Context, account, poolID string) (string, error) {
	members, err := s.Store.List(ctx, store.Query{Account: account, Kind: kindPoolMember, Prefix: poolID + "/"})
	if err != nil {
		return "", internal(err)
	}
	iso := ""
	for _, m := range members {
		n, err := load[PhoneNumber](ctx, s.Store, account, kindNumber, strings.TrimPrefix(m.ID, poolID+"/"))
		if err != nil {
			continue
		}
		if iso == "" {
			iso = n.Info.IsoCountryCode
		} else if iso != n.Info.IsoCountryCode {
			return "", nil
		}
	}
	return iso, nil
}

// DeletePool deletes a pool and releases its numbers from it.
func (s *Service) DeletePool(ctx context.Context, in *struct{ PoolId string }) (*PoolInfo, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	id, err := s.resolve(account, "pool", in.PoolId)
	if err != nil {
		return nil, err
	}
	var out PoolInfo
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		p, err := load[Pool](ctx, tx, account, kindPool, id)
		if err != nil {
			return notFoundOr(err, "pool", in.PoolId)
		}
		if p.Info.DeletionProtectionEnabled {
			return duplex.Conflict("DELETION_PROTECTION_ENABLED", "pool", id, "The pool has deletion protection enabled.")
		}
		members, err := tx.List(ctx, store.Query{Account: account, Kind: kindPoolMember, Prefix: id + "/"})
		if err != nil {
			return err
		}
		for _, m := range members {
			nid := strings.TrimPrefix(m.ID, id+"/")
			n, err := load[PhoneNumber](ctx, tx, account, kindNumber, nid)
			if err != nil {
				continue
			}
			n.Info.PoolId = ""
			if err := save(ctx, tx, account, kindNumber, nid, n, false); err != nil {
				return err
			}
		}
		if _, err := tx.DeletePrefix(ctx, account, kindPoolMember, id+"/"); err != nil {
			return err
		}
		if _, err := tx.DeletePrefix(ctx, account, kindKeyword, id+"/"); err != nil {
			return err
		}
		p.Info.Status = "DELETING"
		out = p.Info
		return tx.Delete(ctx, account, kindPool, id)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &out, nil
}

// AssociationInput is the model's Associate/DisassociateOriginationIdentityRequest.
type AssociationInput struct {
	PoolId              string
	OriginationIdentity string
	IsoCountryCode      *string
	ClientToken         *string
}

// AssociationOutput is the model's Associate/DisassociateOriginationIdentityResult.
type AssociationOutput struct {
	PoolArn                string `json:"PoolArn"`
	PoolId                 string `json:"PoolId"`
	OriginationIdentityArn string `json:"OriginationIdentityArn"`
	OriginationIdentity    string `json:"OriginationIdentity"`
	IsoCountryCode         string `json:"IsoCountryCode"`
}

// AssociateOriginationIdentity adds a number to a pool.
func (s *Service) AssociateOriginationIdentity(ctx context.Context, in *AssociationInput) (*AssociationOutput, error) {
	return s.associate(ctx, in, true)
}

// DisassociateOriginationIdentity removes a number from a pool.
func (s *Service) DisassociateOriginationIdentity(ctx context.Context, in *AssociationInput) (*AssociationOutput, error) {
	return s.associate(ctx, in, false)
}

func (s *Service) associate(ctx context.Context, in *AssociationInput, add bool) (*AssociationOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	pid, err := s.resolve(account, "pool", in.PoolId)
	if err != nil {
		return nil, err
	}
	var out AssociationOutput
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		p, err := load[Pool](ctx, tx, account, kindPool, pid)
		if err != nil {
			return notFoundOr(err, "pool", in.PoolId)
		}
		n, err := s.originationNumber(ctx, tx, account, in.OriginationIdentity)
		if err != nil {
			return err
		}
		if in.IsoCountryCode != nil && *in.IsoCountryCode != n.Info.IsoCountryCode {
			return duplex.Validation("COUNTRY_CODE_MISMATCH", "IsoCountryCode does not match the phone number's country.",
				duplex.FieldError{Name: "IsoCountryCode", Message: "does not match " + n.Info.IsoCountryCode})
		}
		nid := n.Info.PhoneNumberId
		if add {
			switch {
			case n.Info.PoolId == pid:
				return duplex.Conflict("RESOURCE_ALREADY_ASSOCIATED", "phone-number", nid, "The phone number is already in this pool.")
			case n.Info.PoolId != "":
				return duplex.Conflict("PHONE_NUMBER_ASSOCIATED_TO_POOL", "phone-number", nid, "The phone number belongs to pool "+n.Info.PoolId+".")
			case n.Info.MessageType != p.Info.MessageType:
				return duplex.Conflict("MESSAGE_TYPE_MISMATCH", "phone-number", nid, "The phone number's message type differs from the pool's.")
			case n.Info.OptOutListName != p.Info.OptOutListName:
				return duplex.Conflict("OPT_OUT_LIST_MISMATCH", "phone-number", nid, "The phone number's opt-out list differs from the pool's.")
			case n.Info.SelfManagedOptOutsEnabled != p.Info.SelfManagedOptOutsEnabled:
				return duplex.Conflict("SELF_MANAGED_OPT_OUTS_MISMATCH", "phone-number", nid, "The phone number's self-managed opt-out setting differs from the pool's.")
			}
			c, err := tx.Count(ctx, account, kindPoolMember, pid+"/")
			if err != nil {
				return err
			}
			if int64(c) >= s.Limits.OriginationsPerPool {
				return duplex.QuotaExceeded("ORIGINATION_IDENTITIES_PER_POOL", "The pool has reached its origination identity quota.")
			}
			n.Info.PoolId = pid
			if err := tx.Insert(ctx, store.Record{Account: account, Kind: kindPoolMember, ID: pid + "/" + nid, Data: []byte("{}")}); err != nil {
				return err
			}
		} else {
			if n.Info.PoolId != pid {
				return duplex.Conflict("PHONE_NUMBER_NOT_ASSOCIATED_TO_POOL", "phone-number", nid, "The phone number is not in this pool.")
			}
			c, err := tx.Count(ctx, account, kindPoolMember, pid+"/")
			if err != nil {
				return err
			}
			if c <= 1 {
				return duplex.Conflict("LAST_PHONE_NUMBER", "pool", pid, "A pool must keep at least one origination identity; delete the pool instead.")
			}
			n.Info.PoolId = ""
			if err := tx.Delete(ctx, account, kindPoolMember, pid+"/"+nid); err != nil {
				return err
			}
		}
		out = AssociationOutput{PoolArn: p.Info.PoolArn, PoolId: pid, OriginationIdentityArn: n.Info.PhoneNumberArn,
			OriginationIdentity: n.Info.PhoneNumberId, IsoCountryCode: n.Info.IsoCountryCode}
		return save(ctx, tx, account, kindNumber, nid, n, false)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &out, nil
}

// ListPoolOriginationIdentitiesInput is the model's request.
type ListPoolOriginationIdentitiesInput struct {
	PoolId     string
	Filters    []Filter
	NextToken  *string
	MaxResults *int32
}

// OriginationIdentityMetadata is the model's shape of the same name.
type OriginationIdentityMetadata struct {
	OriginationIdentityArn string   `json:"OriginationIdentityArn"`
	OriginationIdentity    string   `json:"OriginationIdentity"`
	IsoCountryCode         string   `json:"IsoCountryCode"`
	NumberCapabilities     []string `json:"NumberCapabilities"`
	PhoneNumber            string   `json:"PhoneNumber,omitempty"`
}

// ListPoolOriginationIdentitiesOutput is the model's result.
type ListPoolOriginationIdentitiesOutput struct {
	PoolArn               string                        `json:"PoolArn"`
	PoolId                string                        `json:"PoolId"`
	OriginationIdentities []OriginationIdentityMetadata `json:"OriginationIdentities"`
	NextToken             *string                       `json:"NextToken,omitempty"`
}

// ListPoolOriginationIdentities lists a pool's numbers.
func (s *Service) ListPoolOriginationIdentities(ctx context.Context, in *ListPoolOriginationIdentitiesInput) (*ListPoolOriginationIdentitiesOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	pid, err := s.resolve(account, "pool", in.PoolId)
	if err != nil {
		return nil, err
	}
	p, err := load[Pool](ctx, s.Store, account, kindPool, pid)
	if err != nil {
		return nil, notFoundOr(err, "pool", in.PoolId)
	}
	for _, f := range in.Filters {
		if f.Name != "iso-country-code" && f.Name != "number-capability" {
			return nil, duplex.Validation("INVALID_FILTER_VALUES", "Unknown filter name "+f.Name)
		}
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ListPoolOriginationIdentitiesOutput{PoolArn: p.Info.PoolArn, PoolId: pid, OriginationIdentities: []OriginationIdentityMetadata{}}
	recs, next, err := scan(ctx, s.Store, account, kindPoolMember, pid+"/", after, pageSize(in.MaxResults, DefaultPageSize), func(r store.Record) (bool, error) {
		n, err := load[PhoneNumber](ctx, s.Store, account, kindNumber, strings.TrimPrefix(r.ID, pid+"/"))
		if err != nil {
			return false, nil
		}
		for _, f := range in.Filters {
			switch f.Name {
			case "iso-country-code":
				if !slices.Contains(f.Values, n.Info.IsoCountryCode) {
					return false, nil
				}
			case "number-capability":
				if !slices.ContainsFunc(n.Info.NumberCapabilities, func(c string) bool { return slices.Contains(f.Values, c) }) {
					return false, nil
				}
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, internal(err)
	}
	for _, r := range recs {
		n, err := load[PhoneNumber](ctx, s.Store, account, kindNumber, strings.TrimPrefix(r.ID, pid+"/"))
		if err != nil {
			continue
		}
		out.OriginationIdentities = append(out.OriginationIdentities, OriginationIdentityMetadata{
			OriginationIdentityArn: n.Info.PhoneNumberArn, OriginationIdentity: n.Info.PhoneNumberId,
			IsoCountryCode: n.Info.IsoCountryCode, NumberCapabilities: n.Info.NumberCapabilities, PhoneNumber: n.Info.PhoneNumber})
	}
	if next != "" {
		out.NextToken = encodeToken(next)
	}
	return out, nil
}

var _ = fmt.Sprintf

// GetPool returns a pool of an account.
func (s *Service) GetPool(ctx context.Context, account, id string) (*Pool, error) {
	return load[Pool](ctx, s.Store, account, kindPool, id)
}
