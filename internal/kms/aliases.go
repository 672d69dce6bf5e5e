package kms

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/store"
)

// aliasRecord is a stored alias; its record ID is the alias name.
type aliasRecord struct {
	AliasName   string    `json:"aliasName"`
	TargetKeyId string    `json:"targetKeyId"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// AliasInput is the input of CreateAlias and UpdateAlias.
type AliasInput struct {
	AliasName   string
	TargetKeyId string
}

// DeleteAliasInput is the input of DeleteAlias.
type DeleteAliasInput struct {
	AliasName string
}

// ListAliasesInput is the input of ListAliases.
type ListAliasesInput struct {
	KeyId  *string
	Limit  *int32
	Marker *string
}

// AliasListEntry is one alias of ListAliases.
type AliasListEntry struct {
	AliasName       string    `json:"AliasName"`
	AliasArn        string    `json:"AliasArn"`
	TargetKeyId     string    `json:"TargetKeyId"`
	CreationDate    time.Time `json:"CreationDate"`
	LastUpdatedDate time.Time `json:"LastUpdatedDate"`
}

// ListAliasesOutput is the output of ListAliases.
type ListAliasesOutput struct {
	Aliases    []AliasListEntry `json:"Aliases"`
	NextMarker *string          `json:"NextMarker,omitempty"`
	Truncated  bool             `json:"Truncated"`
}

func validateAliasName(name string) error {
	if !strings.HasPrefix(name, "alias/") || len(name) == len("alias/") {
		return duplex.Validation("", `Alias must start with the prefix "alias/" followed by a name.`)
	}
	if strings.HasPrefix(name, "alias/aws/") {
		return duplex.Errorf("NotAuthorizedException", "The alias prefix alias/aws/ is reserved for AWS managed keys.")
	}
	return nil
}

// aliasTarget loads and authorizes the key an alias is to point to: a key
// of the caller's account, named by ID or ARN.
func (s *Service) aliasTarget(ctx context.Context, c *duplex.Caller, keyID, action string) (*keyRecord, error) {
	if strings.HasPrefix(keyID, "alias/") || strings.Contains(keyID, ":alias/") {
		return nil, duplex.Validation("", "TargetKeyId must be a key ID or key ARN, not an alias.")
	}
	k, r, err := s.lookup(ctx, c, keyID, false)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, action, k, r, nil, nil); err != nil {
		return nil, err
	}
	return k, nil
}

// authorizeAlias asks IAM whether c may act on the alias resource.
func (s *Service) authorizeAlias(ctx context.Context, c *duplex.Caller, action, name string) error {
	account := homeAccount(c)
	return s.decide(ctx, authz.Request{Caller: c, Action: action, Resource: s.aliasArn(account, name),
		ResourceAccount: account, Context: s.conditionKeys(c, nil, nil)})
}

// CreateAlias creates an alias for a key of the caller's account.
func (s *Service) CreateAlias(ctx context.Context, in *AliasInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateAliasName(in.AliasName); err != nil {
		return nil, err
	}
	if err := s.authorizeAlias(ctx, c, "kms:CreateAlias", in.AliasName); err != nil {
		return nil, err
	}
	k, err := s.aliasTarget(ctx, c, in.TargetKeyId, "kms:CreateAlias")
	if err != nil {
		return nil, err
	}
	if err := notPendingDeletion(k); err != nil {
		return nil, err
	}
	now := s.now()
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		a := aliasRecord{AliasName: in.AliasName, TargetKeyId: k.ID, Created: now, Updated: now}
		err := save(ctx, tx, k.Account, kindAlias, in.AliasName, a, true)
		if errors.Is(err, store.ErrExists) {
			return duplex.Errorf("AlreadyExistsException", "An alias with the name %s already exists", s.aliasArn(k.Account, in.AliasName))
		}
		return err
	})
	return nil, internalErr(err)
}

// UpdateAlias points an alias at another key of the same type and usage.
func (s *Service) UpdateAlias(ctx context.Context, in *AliasInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateAliasName(in.AliasName); err != nil {
		return nil, err
	}
	account := homeAccount(c)
	cur, err := s.resolveAlias(ctx, account, in.AliasName)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeAlias(ctx, c, "kms:UpdateAlias", in.AliasName); err != nil {
		return nil, err
	}
	old, err := s.getKey(ctx, cur)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "kms:UpdateAlias", old, cur, nil, nil); err != nil {
		return nil, err
	}
	k, err := s.aliasTarget(ctx, c, in.TargetKeyId, "kms:UpdateAlias")
	if err != nil {
		return nil, err
	}
	if err := notPendingDeletion(k); err != nil {
		return nil, err
	}
	if (k.KeySpec == "SYMMETRIC_DEFAULT") != (old.KeySpec == "SYMMETRIC_DEFAULT") || k.KeyUsage != old.KeyUsage {
		return nil, duplex.Validation("", "The new target key must have the same key type and key usage as the alias's current key.")
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		a, err := load[aliasRecord](ctx, tx, account, kindAlias, in.AliasName)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Alias %s is not found.", s.aliasArn(account, in.AliasName))
		}
		if err != nil {
			return err
		}
		a.TargetKeyId, a.Updated = k.ID, s.now()
		return save(ctx, tx, account, kindAlias, in.AliasName, a, false)
	})
	return nil, internalErr(err)
}

// DeleteAlias deletes an alias; the key is unaffected.
func (s *Service) DeleteAlias(ctx context.Context, in *DeleteAliasInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	account := homeAccount(c)
	cur, err := s.resolveAlias(ctx, account, in.AliasName)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeAlias(ctx, c, "kms:DeleteAlias", in.AliasName); err != nil {
		return nil, err
	}
	k, err := s.getKey(ctx, cur)
	var de *duplex.Error
	switch {
	case err == nil:
		if err := s.authorize(ctx, c, "kms:DeleteAlias", k, cur, nil, nil); err != nil {
			return nil, err
		}
	case errors.As(err, &de) && de.Code == "NotFoundException":
		// The key is gone (and purge removed the alias too).
	default:
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		err := tx.Delete(ctx, account, kindAlias, in.AliasName)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Alias %s is not found.", s.aliasArn(account, in.AliasName))
		}
		return err
	})
	return nil, internalErr(err)
}

// ListAliases lists the aliases of the caller's account, or of one key.
func (s *Service) ListAliases(ctx context.Context, in *ListAliasesInput) (*ListAliasesOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeIAM(ctx, c, "kms:ListAliases", nil); err != nil {
		return nil, err
	}
	account := homeAccount(c)
	var keyID string
	if in.KeyId != nil {
		if strings.HasPrefix(*in.KeyId, "alias/") || strings.Contains(*in.KeyId, ":alias/") {
			return nil, duplex.Errorf("InvalidArnException", "KeyId must be a key ID or key ARN: %s", *in.KeyId)
		}
		r, err := s.resolve(ctx, account, *in.KeyId, false)
		if err != nil {
			return nil, err
		}
		if _, err := s.getKey(ctx, r); err != nil {
			return nil, err
		}
		keyID = r.ID
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	n := limit(in.Limit)
	out := &ListAliasesOutput{Aliases: []AliasListEntry{}}
	for {
		recs, err := s.Store.List(ctx, store.Query{Account: account, Kind: kindAlias, After: after, Limit: 100})
		if err != nil {
			return nil, internalErr(err)
		}
		for _, rec := range recs {
			a, err := decode[aliasRecord](rec)
			if err != nil {
				return nil, internalErr(err)
			}
			if keyID != "" && a.TargetKeyId != keyID {
				continue
			}
			if len(out.Aliases) == n {
				out.Truncated, out.NextMarker = true, encodeMarker(out.Aliases[n-1].AliasName)
				return out, nil
			}
			out.Aliases = append(out.Aliases, AliasListEntry{AliasName: a.AliasName, AliasArn: s.aliasArn(account, a.AliasName),
				TargetKeyId: a.TargetKeyId, CreationDate: a.Created, LastUpdatedDate: a.Updated})
		}
		if len(recs) < 100 {
			return out, nil
		}
		after = recs[len(recs)-1].ID
	}
}
