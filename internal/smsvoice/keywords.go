package smsvoice

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
)

// Keyword is the model's KeywordInformation.
type Keyword struct {
	Keyword        string `json:"Keyword"`
	KeywordMessage string `json:"KeywordMessage"`
	KeywordAction  string `json:"KeywordAction"`
}

// Every number and pool starts with HELP and STOP, as on AWS.
var defaultKeywords = []Keyword{
	{Keyword: "HELP", KeywordAction: "AUTOMATIC_RESPONSE", KeywordMessage: "Reply STOP to stop receiving messages from this number. Msg&data rates may apply."},
	{Keyword: "STOP", KeywordAction: "OPT_OUT", KeywordMessage: "You have been unsubscribed and will receive no more messages from this number. Reply HELP for help."},
}

func keywordID(origID, kw string) string { return origID + "/" + strings.ToUpper(kw) }

func (s *Service) putDefaultKeywords(ctx context.Context, tx store.Tx, account, origID string) error {
	for _, k := range defaultKeywords {
		if err := save(ctx, tx, account, kindKeyword, keywordID(origID, k.Keyword), k, false); err != nil {
			return err
		}
	}
	return nil
}

// origination resolves a phone number or pool (ID, ARN, or E.164 for
// numbers) of the account to its ID and ARN.
func (s *Service) origination(ctx context.Context, r store.Reader, account, ref string) (id, arn string, err error) {
	if strings.HasPrefix(ref, "pool-") || strings.Contains(ref, ":pool/") {
		pid, err := s.resolve(account, "pool", ref)
		if err != nil {
			return "", "", err
		}
		p, err := load[Pool](ctx, r, account, kindPool, pid)
		if err != nil {
			return "", "", notFoundOr(err, "pool", ref)
		}
		return pid, p.Info.PoolArn, nil
	}
	n, err := s.originationNumber(ctx, r, account, ref)
	if err != nil {
		return "", "", err
	}
	return n.Info.PhoneNumberId, n.Info.PhoneNumberArn, nil
}

// PutKeywordInput is the model's PutKeywordRequest.
type PutKeywordInput struct {
	OriginationIdentity string
	Keyword             string
	KeywordMessage      string
	KeywordAction       *string
}

// KeywordOutput is the result of Put/DeleteKeyword.
type KeywordOutput struct {
	OriginationIdentityArn string `json:"OriginationIdentityArn"`
	OriginationIdentity    string `json:"OriginationIdentity"`
	Keyword
}

// PutKeyword creates or replaces a keyword.
func (s *Service) PutKeyword(ctx context.Context, in *PutKeywordInput) (*KeywordOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	action := "AUTOMATIC_RESPONSE"
	if in.KeywordAction != nil {
		action = *in.KeywordAction
	}
	kw := Keyword{Keyword: strings.ToUpper(strings.TrimSpace(in.Keyword)), KeywordMessage: in.KeywordMessage, KeywordAction: action}
	var out *KeywordOutput
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		id, arn, err := s.origination(ctx, tx, account, in.OriginationIdentity)
		if err != nil {
			return err
		}
		kid := keywordID(id, kw.Keyword)
		if cur, err := load[Keyword](ctx, tx, account, kindKeyword, kid); err == nil {
			if in.KeywordAction == nil {
				// A new message for an existing keyword keeps its action.
				kw.KeywordAction = cur.KeywordAction
			}
			// The built-in keywords keep their actions: STOP always opts out.
			if isDefaultKeyword(cur.Keyword) && cur.KeywordAction != kw.KeywordAction {
				return duplex.Conflict("KEYWORD_MISMATCH", "keyword", kw.Keyword,
					"The action of the "+kw.Keyword+" keyword cannot be changed; only its message can.")
			}
		} else if errors.Is(err, store.ErrNotFound) {
			n, err := tx.Count(ctx, account, kindKeyword, id+"/")
			if err != nil {
				return err
			}
			if int64(n) >= s.Limits.KeywordsPerOrigination {
				reason := "KEYWORDS_PER_PHONE_NUMBER"
				if strings.HasPrefix(id, "pool-") {
					reason = "KEYWORDS_PER_POOL"
				}
				return duplex.QuotaExceeded(reason, "The origination identity has reached its keyword quota.")
			}
		} else {
			return err
		}
		out = &KeywordOutput{OriginationIdentityArn: arn, OriginationIdentity: id, Keyword: kw}
		return save(ctx, tx, account, kindKeyword, kid, kw, false)
	})
	if err != nil {
		return nil, internal(err)
	}
	return out, nil
}

func isDefaultKeyword(k string) bool {
	return slices.ContainsFunc(defaultKeywords, func(d Keyword) bool { return d.Keyword == k })
}

// DescribeKeywordsInput is the model's DescribeKeywordsRequest.
type DescribeKeywordsInput struct {
	OriginationIdentity string
	Keywords            []string
	Filters             []Filter
	NextToken           *string
	MaxResults          *int32
}

// DescribeKeywordsOutput is the model's DescribeKeywordsResult.
type DescribeKeywordsOutput struct {
	OriginationIdentityArn string    `json:"OriginationIdentityArn"`
	OriginationIdentity    string    `json:"OriginationIdentity"`
	Keywords               []Keyword `json:"Keywords"`
	NextToken              *string   `json:"NextToken,omitempty"`
}

// DescribeKeywords lists a number's or pool's keywords.
func (s *Service) DescribeKeywords(ctx context.Context, in *DescribeKeywordsInput) (*DescribeKeywordsOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	id, arn, err := s.origination(ctx, s.Store, account, in.OriginationIdentity)
	if err != nil {
		return nil, err
	}
	for _, f := range in.Filters {
		if f.Name != "keyword-action" {
			return nil, duplex.Validation("INVALID_FILTER_VALUES", "Unknown filter name "+f.Name)
		}
	}
	out := &DescribeKeywordsOutput{OriginationIdentityArn: arn, OriginationIdentity: id, Keywords: []Keyword{}}
	if len(in.Keywords) > 0 {
		for _, k := range in.Keywords {
			kw, err := load[Keyword](ctx, s.Store, account, kindKeyword, keywordID(id, k))
			if err != nil {
				return nil, notFoundOr(err, "keyword", k)
			}
			out.Keywords = append(out.Keywords, *kw)
		}
		return out, nil
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	recs, next, err := scan(ctx, s.Store, account, kindKeyword, id+"/", after, pageSize(in.MaxResults, DefaultPageSize), func(r store.Record) (bool, error) {
		var k Keyword
		if err := json.Unmarshal(r.Data, &k); err != nil {
			return false, err
		}
		for _, f := range in.Filters {
			if !slices.Contains(f.Values, k.KeywordAction) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, internal(err)
	}
	for _, r := range recs {
		var k Keyword
		json.Unmarshal(r.Data, &k)
		out.Keywords = append(out.Keywords, k)
	}
	if next != "" {
		out.NextToken = encodeToken(next)
	}
	return out, nil
}

// DeleteKeywordInput is the model's DeleteKeywordRequest.
type DeleteKeywordInput struct {
	OriginationIdentity string
	Keyword             string
}

// DeleteKeyword removes a keyword; HELP and STOP cannot be removed.
func (s *Service) DeleteKeyword(ctx context.Context, in *DeleteKeywordInput) (*KeywordOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	var out *KeywordOutput
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		id, arn, err := s.origination(ctx, tx, account, in.OriginationIdentity)
		if err != nil {
			return err
		}
		kid := keywordID(id, in.Keyword)
		kw, err := load[Keyword](ctx, tx, account, kindKeyword, kid)
		if err != nil {
			return notFoundOr(err, "keyword", in.Keyword)
		}
		if isDefaultKeyword(kw.Keyword) {
			return duplex.Conflict("RESOURCE_DELETION_NOT_ALLOWED", "keyword", kw.Keyword, "The "+kw.Keyword+" keyword cannot be deleted.")
		}
		out = &KeywordOutput{OriginationIdentityArn: arn, OriginationIdentity: id, Keyword: *kw}
		return tx.Delete(ctx, account, kindKeyword, kid)
	})
	if err != nil {
		return nil, internal(err)
	}
	return out, nil
}

// Keywords returns every keyword of an origination identity (inbound matching).
func (s *Service) Keywords(ctx context.Context, account, origID string) ([]Keyword, error) {
	recs, err := s.Store.List(ctx, store.Query{Account: account, Kind: kindKeyword, Prefix: origID + "/"})
	if err != nil {
		return nil, err
	}
	out := make([]Keyword, 0, len(recs))
	for _, r := range recs {
		var k Keyword
		if err := json.Unmarshal(r.Data, &k); err == nil {
			out = append(out, k)
		}
	}
	return out, nil
}
