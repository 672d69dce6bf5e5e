package smsvoice

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
)

const maxTags = 200

// taggable maps an ARN of the account to its record and a pointer to its tags.
func (s *Service) taggable(ctx context.Context, r store.Reader, account, arn string) (kind, id string, doc any, tags *[]Tag, err error) {
	prefix := s.arn(account, "")
	if !strings.HasPrefix(arn, prefix) {
		// Another account's or region's resource is never found; it is
		// reported with its own resource type.
		parts := strings.SplitN(arn, ":", 6)
		if len(parts) == 6 && parts[0] == "arn" && parts[2] == "sms-voice" {
			if typ, _, _ := strings.Cut(parts[5], "/"); typ == "phone-number" || typ == "pool" || typ == "opt-out-list" {
				return "", "", nil, nil, duplex.NotFound(typ, arn)
			}
		}
		return "", "", nil, nil, duplex.Validation("INVALID_ARN", arn+" does not name a taggable resource",
			duplex.FieldError{Name: "ResourceArn", Message: "not a taggable resource"})
	}
	typ, rid, _ := strings.Cut(strings.TrimPrefix(arn, prefix), "/")
	switch typ {
	case "phone-number":
		n, err := load[PhoneNumber](ctx, r, account, kindNumber, rid)
		if err != nil {
			return "", "", nil, nil, notFoundOr(err, typ, arn)
		}
		return kindNumber, rid, n, &n.Tags, nil
	case "pool":
		p, err := load[Pool](ctx, r, account, kindPool, rid)
		if err != nil {
			return "", "", nil, nil, notFoundOr(err, typ, arn)
		}
		return kindPool, rid, p, &p.Tags, nil
	case "opt-out-list":
		l, err := load[optOutList](ctx, r, account, kindOptOutList, rid)
		if err != nil {
			return "", "", nil, nil, notFoundOr(err, typ, arn)
		}
		return kindOptOutList, rid, l, &l.Tags, nil
	}
	return "", "", nil, nil, duplex.Validation("INVALID_ARN", arn+" does not name a taggable resource",
		duplex.FieldError{Name: "ResourceArn", Message: "not a taggable resource"})
}

// TagResourceInput is the model's TagResourceRequest.
type TagResourceInput struct {
	ResourceArn string
	Tags        []Tag
}

// TagResource adds or replaces tags.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*struct{}, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		kind, id, doc, tags, err := s.taggable(ctx, tx, account, in.ResourceArn)
		if err != nil {
			return err
		}
		for _, t := range in.Tags {
			replaced := false
			for i := range *tags {
				if (*tags)[i].Key == t.Key {
					(*tags)[i].Value, replaced = t.Value, true
				}
			}
			if !replaced {
				*tags = append(*tags, t)
			}
		}
		if len(*tags) > maxTags {
			return duplex.QuotaExceeded("TAGS_PER_RESOURCE", "A resource can have at most 200 tags.")
		}
		return save(ctx, tx, account, kind, id, doc, false)
	})
	return &struct{}{}, internal(err)
}

// UntagResourceInput is the model's UntagResourceRequest.
type UntagResourceInput struct {
	ResourceArn string
	TagKeys     []string
}

// UntagResource removes tags by key.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*struct{}, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		kind, id, doc, tags, err := s.taggable(ctx, tx, account, in.ResourceArn)
		if err != nil {
			return err
		}
		kept := (*tags)[:0]
		for _, t := range *tags {
			drop := false
			for _, k := range in.TagKeys {
				drop = drop || k == t.Key
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		*tags = kept
		return save(ctx, tx, account, kind, id, doc, false)
	})
	return &struct{}{}, internal(err)
}

// ListTagsOutput is the model's ListTagsForResourceResult.
type ListTagsOutput struct {
	ResourceArn string `json:"ResourceArn"`
	Tags        []Tag  `json:"Tags"`
}

// ListTagsForResource lists a resource's tags.
func (s *Service) ListTagsForResource(ctx context.Context, in *struct{ ResourceArn string }) (*ListTagsOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	_, _, _, tags, err := s.taggable(ctx, s.Store, account, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	out := &ListTagsOutput{ResourceArn: in.ResourceArn, Tags: []Tag{}}
	out.Tags = append(out.Tags, *tags...)
	return out, nil
}

// AccountAttribute is the model's AccountAttribute.
type AccountAttribute struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// DescribeAccountAttributes reports the account tier: duplex accounts are
// never in the sandbox.
func (s *Service) DescribeAccountAttributes(ctx context.Context, _ *struct {
	NextToken  *string
	MaxResults *int32
}) (*struct {
	AccountAttributes []AccountAttribute `json:"AccountAttributes"`
}, error) {
	if _, err := s.account(ctx); err != nil {
		return nil, err
	}
	return &struct {
		AccountAttributes []AccountAttribute `json:"AccountAttributes"`
	}{[]AccountAttribute{{Name: "ACCOUNT_TIER", Value: "PRODUCTION"}}}, nil
}

// AccountLimit is the model's AccountLimit.
type AccountLimit struct {
	Name string `json:"Name"`
	Used int64  `json:"Used"`
	Max  int64  `json:"Max"`
}

// DescribeAccountLimits reports usage against the quotas the service enforces.
func (s *Service) DescribeAccountLimits(ctx context.Context, _ *struct {
	NextToken  *string
	MaxResults *int32
}) (*struct {
	AccountLimits []AccountLimit `json:"AccountLimits"`
}, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	var limits []AccountLimit
	for _, l := range []struct {
		name, kind string
		max        int64
	}{{"PHONE_NUMBERS", kindNumber, s.Limits.PhoneNumbers}, {"POOLS", kindPool, s.Limits.Pools}, {"OPT_OUT_LISTS", kindOptOutList, s.Limits.OptOutLists}} {
		n, err := s.Store.Count(ctx, account, l.kind, "")
		if err != nil {
			return nil, internal(err)
		}
		limits = append(limits, AccountLimit{Name: l.name, Used: int64(n), Max: l.max})
	}
	return &struct {
		AccountLimits []AccountLimit `json:"AccountLimits"`
	}{limits}, nil
}

var _ = json.Marshal
