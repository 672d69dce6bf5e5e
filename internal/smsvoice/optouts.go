package smsvoice

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
)

type optOutList struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Tags    []Tag     `json:"tags,omitempty"`
}

// OptOutListInfo is the model's OptOutListInformation.
type OptOutListInfo struct {
	OptOutListArn    string    `json:"OptOutListArn"`
	OptOutListName   string    `json:"OptOutListName"`
	CreatedTimestamp time.Time `json:"CreatedTimestamp"`
	Tags             []Tag     `json:"Tags,omitempty"`
}

func (s *Service) listInfo(account string, l *optOutList) OptOutListInfo {
	return OptOutListInfo{OptOutListArn: s.arn(account, "opt-out-list/"+l.Name), OptOutListName: l.Name, CreatedTimestamp: l.Created}
}

// CreateOptOutListInput is the model's CreateOptOutListRequest.
type CreateOptOutListInput struct {
	OptOutListName string
	Tags           []Tag
	ClientToken    *string
}

// CreateOptOutList creates a named opt-out list.
func (s *Service) CreateOptOutList(ctx context.Context, in *CreateOptOutListInput) (*OptOutListInfo, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	var out OptOutListInfo
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if in.ClientToken != nil {
			if rec, err := tx.Get(ctx, account, kindIdempotency, "CreateOptOutList/"+*in.ClientToken); err == nil {
				l, err := load[optOutList](ctx, tx, account, kindOptOutList, string(rec.Data))
				if err == nil {
					out = s.listInfo(account, l)
					out.Tags = l.Tags
					return nil
				}
			}
		}
		n, err := tx.Count(ctx, account, kindOptOutList, "")
		if err != nil {
			return err
		}
		if int64(n) >= s.Limits.OptOutLists {
			return duplex.QuotaExceeded("OPT_OUT_LISTS_PER_ACCOUNT", "The account has reached its opt-out list quota.")
		}
		l := optOutList{Name: in.OptOutListName, Created: s.Now().UTC().Truncate(time.Millisecond), Tags: in.Tags}
		if err := save(ctx, tx, account, kindOptOutList, l.Name, l, true); errors.Is(err, store.ErrExists) {
			return duplex.Conflict("RESOURCE_ALREADY_EXISTS", "opt-out-list", l.Name, "An opt-out list named "+l.Name+" already exists.")
		} else if err != nil {
			return err
		}
		out = s.listInfo(account, &l)
		out.Tags = l.Tags
		if in.ClientToken != nil {
			return s.rememberToken(ctx, tx, account, "CreateOptOutList", *in.ClientToken, l.Name)
		}
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	return &out, nil
}

// DescribeOptOutListsInput is the model's DescribeOptOutListsRequest.
type DescribeOptOutListsInput struct {
	OptOutListNames []string
	NextToken       *string
	MaxResults      *int32
	Owner           *string
}

// DescribeOptOutListsOutput is the model's DescribeOptOutListsResult.
type DescribeOptOutListsOutput struct {
	OptOutLists []OptOutListInfo `json:"OptOutLists"`
	NextToken   *string          `json:"NextToken,omitempty"`
}

// DescribeOptOutLists lists opt-out lists.
func (s *Service) DescribeOptOutLists(ctx context.Context, in *DescribeOptOutListsInput) (*DescribeOptOutListsOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	out := &DescribeOptOutListsOutput{OptOutLists: []OptOutListInfo{}}
	if in.Owner != nil && *in.Owner == "SHARED" {
		return out, nil
	}
	if len(in.OptOutListNames) > 0 {
		for _, ref := range in.OptOutListNames {
			name, err := s.resolve(account, "opt-out-list", ref)
			if err != nil {
				return nil, err
			}
			l, err := load[optOutList](ctx, s.Store, account, kindOptOutList, name)
			if err != nil {
				return nil, notFoundOr(err, "opt-out-list", ref)
			}
			out.OptOutLists = append(out.OptOutLists, s.listInfo(account, l))
		}
		return out, nil
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	recs, next, err := scan(ctx, s.Store, account, kindOptOutList, "", after, pageSize(in.MaxResults, DefaultPageSize), func(store.Record) (bool, error) { return true, nil })
	if err != nil {
		return nil, internal(err)
	}
	for _, r := range recs {
		var l optOutList
		json.Unmarshal(r.Data, &l)
		out.OptOutLists = append(out.OptOutLists, s.listInfo(account, &l))
	}
	if next != "" {
		out.NextToken = encodeToken(next)
	}
	return out, nil
}

// DeleteOptOutList deletes a list that no number or pool uses.
func (s *Service) DeleteOptOutList(ctx context.Context, in *struct{ OptOutListName string }) (*OptOutListInfo, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	name, err := s.resolve(account, "opt-out-list", in.OptOutListName)
	if err != nil {
		return nil, err
	}
	var out OptOutListInfo
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		l, err := load[optOutList](ctx, tx, account, kindOptOutList, name)
		if err != nil {
			return notFoundOr(err, "opt-out-list", in.OptOutListName)
		}
		if name == "Default" {
			return duplex.Conflict("RESOURCE_DELETION_NOT_ALLOWED", "opt-out-list", name, "The Default opt-out list cannot be deleted.")
		}
		if used, err := s.listInUse(ctx, tx, account, name); err != nil {
			return err
		} else if used != "" {
			return duplex.Conflict("RESOURCE_DELETION_NOT_ALLOWED", "opt-out-list", name, "The opt-out list is used by "+used+".")
		}
		if _, err := tx.DeletePrefix(ctx, account, kindOptedOut, name+"/"); err != nil {
			return err
		}
		out = s.listInfo(account, l)
		return tx.Delete(ctx, account, kindOptOutList, name)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &out, nil
}

func (s *Service) listInUse(ctx context.Context, r store.Reader, account, name string) (string, error) {
	for _, kind := range []string{kindNumber, kindPool} {
		after := ""
		for {
			recs, err := r.List(ctx, store.Query{Account: account, Kind: kind, After: after, Limit: 500})
			if err != nil {
				return "", err
			}
			for _, rec := range recs {
				var v struct {
					Info struct{ OptOutListName string } `json:"info"`
				}
				if json.Unmarshal(rec.Data, &v) == nil && v.Info.OptOutListName == name {
					return rec.ID, nil
				}
			}
			if len(recs) < 500 {
				break
			}
			after = recs[len(recs)-1].ID
		}
	}
	return "", nil
}

// OptedOutNumber is the model's OptedOutNumberInformation.
type OptedOutNumber struct {
	OptedOutNumber    string    `json:"OptedOutNumber"`
	OptedOutTimestamp time.Time `json:"OptedOutTimestamp"`
	EndUserOptedOut   bool      `json:"EndUserOptedOut"`
}

// OptedOutOutput is the result of Put/DeleteOptedOutNumber.
type OptedOutOutput struct {
	OptOutListArn  string `json:"OptOutListArn"`
	OptOutListName string `json:"OptOutListName"`
	OptedOutNumber
}

// PutOptedOutNumberInput is the model's PutOptedOutNumberRequest.
type PutOptedOutNumberInput struct {
	OptOutListName string
	OptedOutNumber string
}

// PutOptedOutNumber adds a number to a list (as the account, not the end user).
func (s *Service) PutOptedOutNumber(ctx context.Context, in *PutOptedOutNumberInput) (*OptedOutOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	name, err := s.resolve(account, "opt-out-list", in.OptOutListName)
	if err != nil {
		return nil, err
	}
	return s.OptOut(ctx, account, name, in.OptedOutNumber, false)
}

// OptOut records that a number opted out of a list. endUser is true when the
// customer texted an opt-out keyword.
func (s *Service) OptOut(ctx context.Context, account, list, number string, endUser bool) (*OptedOutOutput, error) {
	var out OptedOutOutput
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(ctx, account, kindOptOutList, list); err != nil {
			return notFoundOr(err, "opt-out-list", list)
		}
		o := OptedOutNumber{OptedOutNumber: number, OptedOutTimestamp: s.Now().UTC().Truncate(time.Millisecond), EndUserOptedOut: endUser}
		out = OptedOutOutput{OptOutListArn: s.arn(account, "opt-out-list/"+list), OptOutListName: list, OptedOutNumber: o}
		return save(ctx, tx, account, kindOptedOut, list+"/"+number, o, false)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &out, nil
}

// IsOptedOut reports whether number is on a list.
func (s *Service) IsOptedOut(ctx context.Context, account, list, number string) (bool, error) {
	_, err := s.Store.Get(ctx, account, kindOptedOut, list+"/"+number)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// DescribeOptedOutNumbersInput is the model's request.
type DescribeOptedOutNumbersInput struct {
	OptOutListName  string
	OptedOutNumbers []string
	Filters         []Filter
	NextToken       *string
	MaxResults      *int32
}

// DescribeOptedOutNumbersOutput is the model's result.
type DescribeOptedOutNumbersOutput struct {
	OptOutListArn   string           `json:"OptOutListArn"`
	OptOutListName  string           `json:"OptOutListName"`
	OptedOutNumbers []OptedOutNumber `json:"OptedOutNumbers"`
	NextToken       *string          `json:"NextToken,omitempty"`
}

// DescribeOptedOutNumbers lists the numbers on a list.
func (s *Service) DescribeOptedOutNumbers(ctx context.Context, in *DescribeOptedOutNumbersInput) (*DescribeOptedOutNumbersOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	name, err := s.resolve(account, "opt-out-list", in.OptOutListName)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.Get(ctx, account, kindOptOutList, name); err != nil {
		return nil, notFoundOr(err, "opt-out-list", in.OptOutListName)
	}
	for _, f := range in.Filters {
		if f.Name != "end-user-opted-out" {
			return nil, duplex.Validation("INVALID_FILTER_VALUES", "Unknown filter name "+f.Name)
		}
		if err := checkBoolFilter(Filter{Name: "end-user-opted-out-enabled", Values: f.Values}); err != nil {
			return nil, err
		}
	}
	out := &DescribeOptedOutNumbersOutput{OptOutListArn: s.arn(account, "opt-out-list/"+name), OptOutListName: name, OptedOutNumbers: []OptedOutNumber{}}
	keep := func(o *OptedOutNumber) bool {
		for _, f := range in.Filters {
			if !slices.Contains(f.Values, strconv.FormatBool(o.EndUserOptedOut)) {
				return false
			}
		}
		return true
	}
	if len(in.OptedOutNumbers) > 0 {
		for _, num := range in.OptedOutNumbers {
			o, err := load[OptedOutNumber](ctx, s.Store, account, kindOptedOut, name+"/"+num)
			if err != nil {
				return nil, notFoundOr(err, "opted-out-number", num)
			}
			if keep(o) {
				out.OptedOutNumbers = append(out.OptedOutNumbers, *o)
			}
		}
		return out, nil
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	recs, next, err := scan(ctx, s.Store, account, kindOptedOut, name+"/", after, pageSize(in.MaxResults, DefaultPageSize), func(r store.Record) (bool, error) {
		var o OptedOutNumber
		if err := json.Unmarshal(r.Data, &o); err != nil {
			return false, err
		}
		return keep(&o), nil
	})
	if err != nil {
		return nil, internal(err)
	}
	for _, r := range recs {
		var o OptedOutNumber
		json.Unmarshal(r.Data, &o)
		out.OptedOutNumbers = append(out.OptedOutNumbers, o)
	}
	if next != "" {
		out.NextToken = encodeToken(next)
	}
	return out, nil
}

// DeleteOptedOutNumber removes a number from a list.
func (s *Service) DeleteOptedOutNumber(ctx context.Context, in *PutOptedOutNumberInput) (*OptedOutOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	name, err := s.resolve(account, "opt-out-list", in.OptOutListName)
	if err != nil {
		return nil, err
	}
	var out OptedOutOutput
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(ctx, account, kindOptOutList, name); err != nil {
			return notFoundOr(err, "opt-out-list", in.OptOutListName)
		}
		id := name + "/" + in.OptedOutNumber
		o, err := load[OptedOutNumber](ctx, tx, account, kindOptedOut, id)
		if err != nil {
			return notFoundOr(err, "opted-out-number", in.OptedOutNumber)
		}
		out = OptedOutOutput{OptOutListArn: s.arn(account, "opt-out-list/"+name), OptOutListName: name, OptedOutNumber: *o}
		return tx.Delete(ctx, account, kindOptedOut, id)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &out, nil
}

// OptIn removes a customer's opt-out (an OPT_IN keyword).
func (s *Service) OptIn(ctx context.Context, account, list, number string) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		err := tx.Delete(ctx, account, kindOptedOut, list+"/"+number)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
}

var _ = strings.TrimSpace

// OptOutTx records an opt-out inside the caller's transaction.
func (s *Service) OptOutTx(ctx context.Context, tx store.Tx, account, list, number string, endUser bool) error {
	o := OptedOutNumber{OptedOutNumber: number, OptedOutTimestamp: s.Now().UTC().Truncate(time.Millisecond), EndUserOptedOut: endUser}
	return save(ctx, tx, account, kindOptedOut, list+"/"+number, o, false)
}

// OptInTx removes an opt-out inside the caller's transaction.
func (s *Service) OptInTx(ctx context.Context, tx store.Tx, account, list, number string) error {
	err := tx.Delete(ctx, account, kindOptedOut, list+"/"+number)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
