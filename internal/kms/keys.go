package kms

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// KeyMetadata describes a key as DescribeKey returns it.
type KeyMetadata struct {
	AWSAccountId                string     `json:"AWSAccountId"`
	KeyId                       string     `json:"KeyId"`
	Arn                         string     `json:"Arn"`
	CreationDate                time.Time  `json:"CreationDate"`
	Enabled                     bool       `json:"Enabled"`
	Description                 string     `json:"Description"`
	KeyUsage                    string     `json:"KeyUsage"`
	KeyState                    string     `json:"KeyState"`
	DeletionDate                *time.Time `json:"DeletionDate,omitempty"`
	Origin                      string     `json:"Origin"`
	KeyManager                  string     `json:"KeyManager"`
	CustomerMasterKeySpec       string     `json:"CustomerMasterKeySpec,omitempty"`
	KeySpec                     string     `json:"KeySpec"`
	EncryptionAlgorithms        []string   `json:"EncryptionAlgorithms,omitempty"`
	SigningAlgorithms           []string   `json:"SigningAlgorithms,omitempty"`
	MacAlgorithms               []string   `json:"MacAlgorithms,omitempty"`
	KeyAgreementAlgorithms      []string   `json:"KeyAgreementAlgorithms,omitempty"`
	MultiRegion                 bool       `json:"MultiRegion"`
	PendingDeletionWindowInDays *int       `json:"PendingDeletionWindowInDays,omitempty"`
}

// Symmetric reports whether the key is a symmetric encryption key (the only
// kind SNS topic encryption accepts).
func (m KeyMetadata) Symmetric() bool { return m.KeySpec == "SYMMETRIC_DEFAULT" }

func (k *keyRecord) metadata() KeyMetadata {
	m := KeyMetadata{AWSAccountId: k.Account, KeyId: k.ID, Arn: k.Arn, CreationDate: k.Created,
		Enabled: k.State == stateEnabled, Description: k.Description, KeyUsage: k.KeyUsage, KeyState: k.State,
		DeletionDate: k.DeletionDate, Origin: "AWS_KMS", KeyManager: "CUSTOMER",
		CustomerMasterKeySpec: legacySpec(k.KeySpec), KeySpec: k.KeySpec}
	m.EncryptionAlgorithms, m.SigningAlgorithms, m.MacAlgorithms, m.KeyAgreementAlgorithms = algorithms(k.KeySpec, k.KeyUsage)
	if k.State == statePendingDeletion && k.PendingWindow > 0 {
		w := k.PendingWindow
		m.PendingDeletionWindowInDays = &w
	}
	return m
}

// usable is the state check of cryptographic operations.
func usable(k *keyRecord) error {
	switch k.State {
	case stateDisabled:
		return duplex.Errorf("DisabledException", "%s is disabled.", k.Arn)
	case statePendingDeletion:
		return duplex.Errorf("KMSInvalidStateException", "%s is pending deletion.", k.Arn)
	}
	return nil
}

// notPendingDeletion is the state check of management operations.
func notPendingDeletion(k *keyRecord) error {
	if k.State == statePendingDeletion {
		return duplex.Errorf("KMSInvalidStateException", "%s is pending deletion.", k.Arn)
	}
	return nil
}

// CreateKeyInput is the input of CreateKey.
type CreateKeyInput struct {
	Policy                         *string
	Description                    *string
	KeyUsage                       *string
	CustomerMasterKeySpec          *string
	KeySpec                        *string
	Origin                         *string
	CustomKeyStoreId               *string
	BypassPolicyLockoutSafetyCheck *bool
	Tags                           []Tag
	MultiRegion                    *bool
	XksKeyId                       *string
}

// KeyMetadataOutput is the output of CreateKey and DescribeKey.
type KeyMetadataOutput struct {
	KeyMetadata KeyMetadata `json:"KeyMetadata"`
}

// CreateKey creates a customer managed key in the caller's account.
func (s *Service) CreateKey(ctx context.Context, in *CreateKeyInput) (*KeyMetadataOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	spec, usage := strv(in.KeySpec), strv(in.KeyUsage)
	if cmk := strv(in.CustomerMasterKeySpec); cmk != "" {
		if spec != "" {
			return nil, duplex.Validation("", "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.")
		}
		spec = cmk
	}
	if spec == "" {
		spec = "SYMMETRIC_DEFAULT"
	}
	origin := strv(in.Origin)
	if origin == "" {
		origin = "AWS_KMS"
	}
	extra := map[string][]string{"kms:KeySpec": {spec}, "kms:KeyOrigin": {origin},
		"kms:MultiRegion": {fmt.Sprint(boolv(in.MultiRegion))}}
	if usage != "" {
		extra["kms:KeyUsage"] = []string{usage}
	}
	if in.Policy != nil {
		extra["kms:BypassPolicyLockoutSafetyCheck"] = []string{fmt.Sprint(boolv(in.BypassPolicyLockoutSafetyCheck))}
	}
	addRequestTags(extra, in.Tags)
	if err := s.authorizeIAM(ctx, c, "kms:CreateKey", extra); err != nil {
		return nil, err
	}
	account := homeAccount(c)
	if account == "" {
		return nil, &duplex.Error{Code: "AccessDeniedException", Message: "No account to create the key in"}
	}

	switch {
	case origin != "AWS_KMS":
		return nil, duplex.Errorf("UnsupportedOperationException", "Origin %s is not supported; duplex creates AWS_KMS keys only.", origin)
	case in.CustomKeyStoreId != nil || in.XksKeyId != nil:
		return nil, duplex.Errorf("UnsupportedOperationException", "Custom key stores are not supported.")
	case boolv(in.MultiRegion):
		return nil, duplex.Errorf("UnsupportedOperationException", "Multi-Region keys are not supported.")
	}
	info, ok := specs[spec]
	if !ok {
		return nil, duplex.Errorf("UnsupportedOperationException", "KeySpec %s is not supported.", spec)
	}
	if usage == "" {
		if info.defaultUsage == "" {
			return nil, duplex.Validation("", fmt.Sprintf("You must specify a KeyUsage value for a KMS key with KeySpec %s.", spec))
		}
		usage = info.defaultUsage
	}
	if !contains(info.usages, usage) {
		return nil, duplex.Validation("", fmt.Sprintf("KeyUsage %s is not compatible with KeySpec %s.", usage, spec))
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}

	id := uuid.NewString()
	k := &keyRecord{ID: id, Account: account, Arn: s.keyArn(account, id), Created: s.now(), Description: strv(in.Description),
		KeySpec: spec, KeyUsage: usage, State: stateEnabled, Tags: dedupTags(nil, in.Tags)}
	if in.Policy != nil {
		if err := s.checkNewPolicy(ctx, c, k, *in.Policy, boolv(in.BypassPolicyLockoutSafetyCheck)); err != nil {
			return nil, err
		}
		k.Policy = *in.Policy
	} else {
		k.Policy = DefaultKeyPolicy(account)
	}
	secret, public, err := generateMaterial(spec)
	if err != nil {
		return nil, internalErr(err)
	}
	k.Material = seal(s.master, secret, []byte(k.Arn))
	clear(secret)
	k.PublicKey = public
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		return save(ctx, tx, account, kindKey, id, k, true)
	})
	if err != nil {
		return nil, internalErr(err)
	}
	return &KeyMetadataOutput{KeyMetadata: k.metadata()}, nil
}

// KeyIDInput is the input of operations that take only a KeyId.
type KeyIDInput struct {
	KeyId       string
	GrantTokens []string
}

// DescribeKey returns a key's metadata; keys of other accounts are named by
// key or alias ARN.
func (s *Service) DescribeKey(ctx context.Context, in *KeyIDInput) (*KeyMetadataOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	k, r, err := s.lookup(ctx, c, in.KeyId, true)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "kms:DescribeKey", k, r, nil, nil); err != nil {
		return nil, err
	}
	return &KeyMetadataOutput{KeyMetadata: k.metadata()}, nil
}

// DescribeKeyFor returns the metadata of the key keyRef (key ID, key ARN,
// alias name or alias ARN; IDs and alias names in the caller's account) for
// another service, without authorizing kms:DescribeKey: services use it to
// check a key's existence and kind (SNS refuses asymmetric keys).
func (s *Service) DescribeKeyFor(ctx context.Context, keyRef string) (KeyMetadata, error) {
	c, err := caller(ctx)
	if err != nil {
		return KeyMetadata{}, err
	}
	k, _, err := s.lookup(ctx, c, keyRef, true)
	if err != nil {
		return KeyMetadata{}, err
	}
	return k.metadata(), nil
}

// ListKeysInput is the input of ListKeys.
type ListKeysInput struct {
	Limit  *int32
	Marker *string
}

// KeyListEntry is one key of ListKeys.
type KeyListEntry struct {
	KeyId  string `json:"KeyId"`
	KeyArn string `json:"KeyArn"`
}

// ListKeysOutput is the output of ListKeys.
type ListKeysOutput struct {
	Keys       []KeyListEntry `json:"Keys"`
	NextMarker *string        `json:"NextMarker,omitempty"`
	Truncated  bool           `json:"Truncated"`
}

// ListKeys lists the keys of the caller's account in key ID order.
func (s *Service) ListKeys(ctx context.Context, in *ListKeysInput) (*ListKeysOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeIAM(ctx, c, "kms:ListKeys", nil); err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	account, n := homeAccount(c), limit(in.Limit)
	out := &ListKeysOutput{Keys: []KeyListEntry{}}
	for {
		recs, err := s.Store.List(ctx, store.Query{Account: account, Kind: kindKey, After: after, Limit: n + 1})
		if err != nil {
			return nil, internalErr(err)
		}
		for _, rec := range recs {
			k, err := decode[keyRecord](rec)
			if err != nil {
				return nil, internalErr(err)
			}
			if s.expired(k) {
				if err := s.purge(ctx, account, k.ID); err != nil {
					return nil, internalErr(err)
				}
				continue
			}
			if len(out.Keys) == n {
				out.Truncated = true
				out.NextMarker = encodeMarker(out.Keys[n-1].KeyId)
				return out, nil
			}
			out.Keys = append(out.Keys, KeyListEntry{KeyId: k.ID, KeyArn: k.Arn})
		}
		if len(recs) < n+1 {
			return out, nil
		}
		after = recs[len(recs)-1].ID
	}
}

// EnableKey sets a key's state to Enabled.
func (s *Service) EnableKey(ctx context.Context, in *KeyIDInput) (*struct{}, error) {
	return nil, s.setEnabled(ctx, in.KeyId, "kms:EnableKey", stateEnabled)
}

// DisableKey sets a key's state to Disabled.
func (s *Service) DisableKey(ctx context.Context, in *KeyIDInput) (*struct{}, error) {
	return nil, s.setEnabled(ctx, in.KeyId, "kms:DisableKey", stateDisabled)
}

func (s *Service) setEnabled(ctx context.Context, keyID, action, state string) error {
	_, k, err := s.manage(ctx, keyID, action)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, k, func(k *keyRecord) error {
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		k.State = state
		return nil
	})
	return err
}

// manage resolves a key of the caller's own account and authorizes a
// management action on it.
func (s *Service) manage(ctx context.Context, keyID, action string) (*duplex.Caller, *keyRecord, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	k, r, err := s.lookup(ctx, c, keyID, false)
	if err != nil {
		return nil, nil, err
	}
	if err := s.authorize(ctx, c, action, k, r, nil, nil); err != nil {
		return nil, nil, err
	}
	return c, k, nil
}

// ScheduleKeyDeletionInput is the input of ScheduleKeyDeletion.
type ScheduleKeyDeletionInput struct {
	KeyId               string
	PendingWindowInDays *int32
}

// ScheduleKeyDeletionOutput is the output of ScheduleKeyDeletion.
type ScheduleKeyDeletionOutput struct {
	KeyId               string    `json:"KeyId"`
	DeletionDate        time.Time `json:"DeletionDate"`
	KeyState            string    `json:"KeyState"`
	PendingWindowInDays int       `json:"PendingWindowInDays"`
}

// ScheduleKeyDeletion puts a key in PendingDeletion; it is deleted, with
// its aliases, once the window has passed.
func (s *Service) ScheduleKeyDeletion(ctx context.Context, in *ScheduleKeyDeletionInput) (*ScheduleKeyDeletionOutput, error) {
	days := 30
	if in.PendingWindowInDays != nil {
		days = int(*in.PendingWindowInDays)
	}
	if days < 7 || days > 30 {
		return nil, duplex.Validation("", fmt.Sprintf("1 validation error detected: Value '%d' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30", days),
			duplex.FieldError{Name: "PendingWindowInDays", Message: "must be between 7 and 30"})
	}
	_, k, err := s.manage(ctx, in.KeyId, "kms:ScheduleKeyDeletion")
	if err != nil {
		return nil, err
	}
	k, err = s.update(ctx, k, func(k *keyRecord) error {
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		d := s.now().Add(time.Duration(days) * 24 * time.Hour)
		k.State, k.DeletionDate, k.PendingWindow = statePendingDeletion, &d, days
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ScheduleKeyDeletionOutput{KeyId: k.Arn, DeletionDate: *k.DeletionDate, KeyState: k.State, PendingWindowInDays: days}, nil
}

// CancelKeyDeletionOutput is the output of CancelKeyDeletion.
type CancelKeyDeletionOutput struct {
	KeyId string `json:"KeyId"`
}

// CancelKeyDeletion takes a key out of PendingDeletion; as in AWS it is
// then Disabled.
func (s *Service) CancelKeyDeletion(ctx context.Context, in *KeyIDInput) (*CancelKeyDeletionOutput, error) {
	_, k, err := s.manage(ctx, in.KeyId, "kms:CancelKeyDeletion")
	if err != nil {
		return nil, err
	}
	k, err = s.update(ctx, k, func(k *keyRecord) error {
		if k.State != statePendingDeletion {
			return duplex.Errorf("KMSInvalidStateException", "%s is not pending deletion.", k.Arn)
		}
		k.State, k.DeletionDate, k.PendingWindow = stateDisabled, nil, 0
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CancelKeyDeletionOutput{KeyId: k.Arn}, nil
}

// UpdateKeyDescriptionInput is the input of UpdateKeyDescription.
type UpdateKeyDescriptionInput struct {
	KeyId       string
	Description string
}

// UpdateKeyDescription replaces a key's description.
func (s *Service) UpdateKeyDescription(ctx context.Context, in *UpdateKeyDescriptionInput) (*struct{}, error) {
	_, k, err := s.manage(ctx, in.KeyId, "kms:UpdateKeyDescription")
	if err != nil {
		return nil, err
	}
	_, err = s.update(ctx, k, func(k *keyRecord) error {
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		k.Description = in.Description
		return nil
	})
	return nil, err
}

// Tags

// TagResourceInput is the input of TagResource.
type TagResourceInput struct {
	KeyId string
	Tags  []Tag
}

// UntagResourceInput is the input of UntagResource.
type UntagResourceInput struct {
	KeyId   string
	TagKeys []string
}

// ListResourceTagsInput is the input of ListResourceTags.
type ListResourceTagsInput struct {
	KeyId  string
	Limit  *int32
	Marker *string
}

// ListResourceTagsOutput is the output of ListResourceTags.
type ListResourceTagsOutput struct {
	Tags       []Tag   `json:"Tags"`
	NextMarker *string `json:"NextMarker,omitempty"`
	Truncated  bool    `json:"Truncated"`
}

const maxTags = 50

func validateTags(tags []Tag) error {
	for _, t := range tags {
		if strings.HasPrefix(strings.ToLower(t.TagKey), "aws:") {
			return duplex.Errorf("TagException", "Tag keys beginning with aws: are reserved.")
		}
	}
	if len(dedupTags(nil, tags)) > maxTags {
		return duplex.Errorf("TagException", "A key can have at most %d tags.", maxTags)
	}
	return nil
}

// dedupTags merges add into cur, later values winning.
func dedupTags(cur, add []Tag) []Tag {
	out := append([]Tag(nil), cur...)
	for _, t := range add {
		found := false
		for i := range out {
			if out[i].TagKey == t.TagKey {
				out[i].TagValue, found = t.TagValue, true
				break
			}
		}
		if !found {
			out = append(out, t)
		}
	}
	return out
}

func addRequestTags(m map[string][]string, tags []Tag) {
	if len(tags) == 0 {
		return
	}
	var keys []string
	for _, t := range tags {
		m["aws:RequestTag/"+t.TagKey] = []string{t.TagValue}
		keys = append(keys, t.TagKey)
	}
	m["aws:TagKeys"] = keys
}

// TagResource adds or replaces tags of a key.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	k, r, err := s.lookup(ctx, c, in.KeyId, false)
	if err != nil {
		return nil, err
	}
	extra := map[string][]string{}
	addRequestTags(extra, in.Tags)
	if err := s.authorize(ctx, c, "kms:TagResource", k, r, nil, extra); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	_, err = s.update(ctx, k, func(k *keyRecord) error {
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		tags := dedupTags(k.Tags, in.Tags)
		if len(tags) > maxTags {
			return duplex.Errorf("TagException", "A key can have at most %d tags.", maxTags)
		}
		k.Tags = tags
		return nil
	})
	return nil, err
}

// UntagResource removes tags from a key.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	k, r, err := s.lookup(ctx, c, in.KeyId, false)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "kms:UntagResource", k, r, nil, map[string][]string{"aws:TagKeys": in.TagKeys}); err != nil {
		return nil, err
	}
	_, err = s.update(ctx, k, func(k *keyRecord) error {
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		var kept []Tag
		for _, t := range k.Tags {
			if !contains(in.TagKeys, t.TagKey) {
				kept = append(kept, t)
			}
		}
		k.Tags = kept
		return nil
	})
	return nil, err
}

// ListResourceTags lists a key's tags.
func (s *Service) ListResourceTags(ctx context.Context, in *ListResourceTagsInput) (*ListResourceTagsOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	k, r, err := s.lookup(ctx, c, in.KeyId, false)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "kms:ListResourceTags", k, r, nil, nil); err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	out := &ListResourceTagsOutput{Tags: []Tag{}}
	n := limit(in.Limit)
	started := after == ""
	for _, t := range k.Tags {
		if !started {
			started = t.TagKey == after
			continue
		}
		if len(out.Tags) == n {
			out.Truncated, out.NextMarker = true, encodeMarker(out.Tags[n-1].TagKey)
			break
		}
		out.Tags = append(out.Tags, t)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func decode[T any](rec store.Record) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", rec.Kind, rec.ID, err)
	}
	return v, nil
}
