package connect

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// Instance is the model's Instance (and, stored, the instance itself).
type Instance struct {
	Id                     string            `json:"Id"`
	Arn                    string            `json:"Arn"`
	IdentityManagementType string            `json:"IdentityManagementType"`
	InstanceAlias          string            `json:"InstanceAlias,omitempty"`
	DirectoryId            string            `json:"DirectoryId,omitempty"`
	CreatedTime            time.Time         `json:"CreatedTime"`
	ServiceRole            string            `json:"ServiceRole"`
	InstanceStatus         string            `json:"InstanceStatus"`
	InboundCallsEnabled    bool              `json:"InboundCallsEnabled"`
	OutboundCallsEnabled   bool              `json:"OutboundCallsEnabled"`
	InstanceAccessUrl      string            `json:"InstanceAccessUrl,omitempty"`
	Tags                   map[string]string `json:"Tags,omitempty"`
}

// CreateInstanceInput is the model's CreateInstanceRequest.
type CreateInstanceInput struct {
	ClientToken            *string
	IdentityManagementType string
	InstanceAlias          *string
	DirectoryId            *string
	InboundCallsEnabled    bool
	OutboundCallsEnabled   bool
	Tags                   map[string]string
}

// CreateInstanceOutput is the model's CreateInstanceResponse.
type CreateInstanceOutput struct {
	Id  string `json:"Id"`
	Arn string `json:"Arn"`
}

// CreateInstance creates an instance in the caller's account. duplex's
// instances are ACTIVE at once.
func (s *Service) CreateInstance(ctx context.Context, in *CreateInstanceInput) (*CreateInstanceOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	account := c.Account
	if err := s.authorize(ctx, c, "connect:CreateInstance", s.instanceArn(account, "*"), account); err != nil {
		return nil, err
	}
	alias := ""
	if in.InstanceAlias != nil {
		alias = *in.InstanceAlias
	}
	switch in.IdentityManagementType {
	case "EXISTING_DIRECTORY":
		if in.DirectoryId == nil || *in.DirectoryId == "" {
			return nil, invalidRequest("DirectoryId is required when IdentityManagementType is EXISTING_DIRECTORY.")
		}
	default:
		if alias == "" {
			return nil, invalidRequest("InstanceAlias is required when IdentityManagementType is %s.", in.IdentityManagementType)
		}
	}
	if id, ok, err := s.idempotent(ctx, s.Store, account, "CreateInstance", in.ClientToken); err != nil {
		return nil, internal(err)
	} else if ok {
		return &CreateInstanceOutput{Id: id, Arn: s.instanceArn(account, id)}, nil
	}
	id := uuid.NewString()
	inst := &Instance{Id: id, Arn: s.instanceArn(account, id), IdentityManagementType: in.IdentityManagementType,
		InstanceAlias: alias, CreatedTime: s.Now().UTC(), InstanceStatus: "ACTIVE",
		ServiceRole:         "arn:aws:iam::" + account + ":role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect_" + id[:8],
		InboundCallsEnabled: in.InboundCallsEnabled, OutboundCallsEnabled: in.OutboundCallsEnabled, Tags: in.Tags}
	if in.DirectoryId != nil {
		inst.DirectoryId = *in.DirectoryId
	}
	if s.PublicURL != "" {
		inst.InstanceAccessUrl = strings.TrimSuffix(s.PublicURL, "/") + "/console/connect/instances/" + id
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if alias != "" {
			err := tx.Insert(ctx, store.Record{Kind: kindAlias, ID: strings.ToLower(alias), Data: []byte(account + "/" + id)})
			if errors.Is(err, store.ErrExists) {
				return invalidRequest("The instance alias %s is already in use.", alias)
			}
			if err != nil {
				return err
			}
		}
		if err := s.remember(ctx, tx, account, "CreateInstance", in.ClientToken, id); err != nil {
			return err
		}
		return save(ctx, tx, account, kindInstance, id, inst, true)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &CreateInstanceOutput{Id: id, Arn: inst.Arn}, nil
}

// instance loads an instance of the account by ID or ARN.
func (s *Service) instance(ctx context.Context, r store.Reader, account, ref string) (*Instance, error) {
	id, err := s.resolveID(account, "instance", ref)
	if err != nil {
		return nil, err
	}
	inst, err := load[Instance](ctx, r, account, kindInstance, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Instance " + ref + " not found.")
	}
	if err != nil {
		return nil, internal(err)
	}
	return inst, nil
}

// InstanceInput names an instance (DescribeInstanceRequest, DeleteInstanceRequest).
type InstanceInput struct {
	InstanceId  string
	ClientToken *string
}

// DescribeInstanceOutput is the model's DescribeInstanceResponse.
type DescribeInstanceOutput struct {
	Instance *Instance `json:"Instance"`
}

// DescribeInstance returns an instance.
func (s *Service) DescribeInstance(ctx context.Context, in *InstanceInput) (*DescribeInstanceOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	inst, err := s.instance(ctx, s.Store, c.Account, in.InstanceId)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:DescribeInstance", inst.Arn, c.Account); err != nil {
		return nil, err
	}
	return &DescribeInstanceOutput{Instance: inst}, nil
}

// ListInstancesInput is the model's ListInstancesRequest.
type ListInstancesInput struct {
	NextToken  *string
	MaxResults *int32
}

// InstanceSummary is the model's InstanceSummary.
type InstanceSummary struct {
	Id                     string    `json:"Id"`
	Arn                    string    `json:"Arn"`
	IdentityManagementType string    `json:"IdentityManagementType"`
	InstanceAlias          string    `json:"InstanceAlias,omitempty"`
	CreatedTime            time.Time `json:"CreatedTime"`
	ServiceRole            string    `json:"ServiceRole"`
	InstanceStatus         string    `json:"InstanceStatus"`
	InboundCallsEnabled    bool      `json:"InboundCallsEnabled"`
	OutboundCallsEnabled   bool      `json:"OutboundCallsEnabled"`
	InstanceAccessUrl      string    `json:"InstanceAccessUrl,omitempty"`
}

// ListInstancesOutput is the model's ListInstancesResponse.
type ListInstancesOutput struct {
	InstanceSummaryList []InstanceSummary `json:"InstanceSummaryList"`
	NextToken           *string           `json:"NextToken,omitempty"`
}

// ListInstances lists the caller's instances.
func (s *Service) ListInstances(ctx context.Context, in *ListInstancesInput) (*ListInstancesOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:ListInstances", "*", c.Account); err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := 10
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	recs, err := s.Store.List(ctx, store.Query{Account: c.Account, Kind: kindInstance, After: after, Limit: limit + 1})
	if err != nil {
		return nil, internal(err)
	}
	out := &ListInstancesOutput{InstanceSummaryList: []InstanceSummary{}}
	for i, rec := range recs {
		if i == limit {
			out.NextToken = encodeToken(recs[i-1].ID)
			break
		}
		inst, err := load[Instance](ctx, s.Store, c.Account, kindInstance, rec.ID)
		if err != nil {
			return nil, internal(err)
		}
		out.InstanceSummaryList = append(out.InstanceSummaryList, InstanceSummary{Id: inst.Id, Arn: inst.Arn,
			IdentityManagementType: inst.IdentityManagementType, InstanceAlias: inst.InstanceAlias, CreatedTime: inst.CreatedTime,
			ServiceRole: inst.ServiceRole, InstanceStatus: inst.InstanceStatus, InboundCallsEnabled: inst.InboundCallsEnabled,
			OutboundCallsEnabled: inst.OutboundCallsEnabled, InstanceAccessUrl: inst.InstanceAccessUrl})
	}
	return out, nil
}

// DeleteInstance deletes an instance: its imported numbers are released and
// its open chats end.
func (s *Service) DeleteInstance(ctx context.Context, in *InstanceInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	inst, err := s.instance(ctx, s.Store, c.Account, in.InstanceId)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:DeleteInstance", inst.Arn, c.Account); err != nil {
		return nil, err
	}
	account := c.Account
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		open, err := tx.List(ctx, store.Query{Account: account, Kind: kindOpen, Prefix: inst.Id + "/"})
		if err != nil {
			return err
		}
		for _, o := range open {
			if err := s.endTx(ctx, tx, account, strings.TrimPrefix(o.ID, inst.Id+"/"), "INSTANCE_DELETED"); err != nil {
				return err
			}
		}
		nums, err := tx.List(ctx, store.Query{Account: account, Kind: kindPhoneNumber})
		if err != nil {
			return err
		}
		for _, rec := range nums {
			n, err := load[PhoneNumber](ctx, tx, account, kindPhoneNumber, rec.ID)
			if err != nil {
				return err
			}
			if n.InstanceId != inst.Id {
				continue
			}
			if err := s.releaseTx(ctx, tx, account, n); err != nil {
				return err
			}
		}
		if inst.InstanceAlias != "" {
			if err := deleteIfExists(ctx, tx, "", kindAlias, strings.ToLower(inst.InstanceAlias)); err != nil {
				return err
			}
		}
		return tx.Delete(ctx, account, kindInstance, inst.Id)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &struct{}{}, nil
}
