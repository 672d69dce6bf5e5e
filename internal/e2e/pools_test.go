package e2e

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
)

func init() {
	register("Pools", testPools)
	register("PoolAssociations", testPoolAssociations)
}

// allPools pages through DescribePools and fails on a duplicate.
func allPools(t testing.TB, c *sms.Client, filters []types.PoolFilter, page int32) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	var token *string
	for pages := 0; pages < 1000; pages++ {
		in := &sms.DescribePoolsInput{Filters: filters, NextToken: token}
		if page > 0 {
			in.MaxResults = aws.Int32(page)
		}
		res, err := c.DescribePools(bg, in)
		noErr(t, err)
		if page > 0 && len(res.Pools) > int(page) {
			t.Fatalf("page of %d pools with MaxResults %d", len(res.Pools), page)
		}
		for _, p := range res.Pools {
			id := aws.ToString(p.PoolId)
			if seen[id] {
				t.Fatalf("pool %s listed twice", id)
			}
			seen[id] = true
			ids = append(ids, id)
		}
		if res.NextToken == nil {
			return ids
		}
		token = res.NextToken
	}
	t.Fatal("DescribePools never ends")
	return nil
}

func testPools(t *testing.T, h *Harness) {
	c := h.A()
	n1 := sim(t, c)
	n2 := newNumber(t, c, numberSpec{mt: types.MessageTypePromotional})
	p1, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n1.PhoneNumberId, MessageType: types.MessageTypeTransactional,
		IsoCountryCode: aws.String("US"), Tags: tags("env", "test")})
	noErr(t, err)
	pid1 := aws.ToString(p1.PoolId)
	if !poolIDRE.MatchString(pid1) {
		t.Errorf("PoolId %q", pid1)
	}
	eq(t, "PoolArn", aws.ToString(p1.PoolArn), arnOf(AccountA, "pool/"+pid1))
	eq(t, "pool Status", p1.Status, types.PoolStatusActive)
	eq(t, "pool MessageType", p1.MessageType, types.MessageTypeTransactional)
	eq(t, "pool OptOutListName", aws.ToString(p1.OptOutListName), "Default")
	eq(t, "pool tags", tagMap(p1.Tags)["env"], "test")
	if p1.CreatedTimestamp == nil || p1.TwoWayEnabled || p1.DeletionProtectionEnabled || p1.SharedRoutesEnabled {
		t.Errorf("new pool: %+v", p1)
	}
	eq(t, "number's PoolId", aws.ToString(describeNumber(t, c, aws.ToString(n1.PhoneNumberId)).PoolId), pid1)

	// The origination identity by ID and by ARN; the pool is protected.
	p2, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n2.PhoneNumberId, MessageType: types.MessageTypePromotional,
		DeletionProtectionEnabled: aws.Bool(true)})
	noErr(t, err)
	pid2 := aws.ToString(p2.PoolId)
	eq(t, "protected pool", p2.DeletionProtectionEnabled, true)
	n3 := sim(t, c)
	p3, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n3.PhoneNumberArn, MessageType: types.MessageTypeTransactional})
	noErr(t, err)
	pid3 := aws.ToString(p3.PoolId)

	// Refusals.
	_, err = c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n1.PhoneNumberId, MessageType: types.MessageTypeTransactional})
	wantConflict(t, err, types.ConflictExceptionReasonPhoneNumberAssociatedToPool, types.ResourceTypePhoneNumber, aws.ToString(n1.PhoneNumberId))
	n4 := sim(t, c)
	_, err = c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n4.PhoneNumberId, MessageType: types.MessageTypePromotional})
	wantConflict(t, err, types.ConflictExceptionReasonMessageTypeMismatch, types.ResourceTypePhoneNumber, aws.ToString(n4.PhoneNumberId))
	_, err = c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n4.PhoneNumberId, MessageType: types.MessageTypeTransactional, IsoCountryCode: aws.String("CA")})
	wantValidation(t, err, types.ValidationExceptionReasonCountryCodeMismatch, "IsoCountryCode")
	unknown := "phone-00000000000000000000000000000000"
	_, err = c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: aws.String(unknown), MessageType: types.MessageTypeTransactional})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, unknown)
	sameIDs(t, "pools", allPools(t, c, nil, 0), []string{pid1, pid2, pid3})

	// Idempotent creation.
	tokPool := func() string {
		t.Helper()
		out, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n4.PhoneNumberId, MessageType: types.MessageTypeTransactional, ClientToken: aws.String("pool-token")})
		noErr(t, err)
		return aws.ToString(out.PoolId)
	}
	pid4 := tokPool()
	eq(t, "same ClientToken, same pool", tokPool(), pid4)

	// Describe by ID, by ARN, unknown.
	res, err := c.DescribePools(bg, &sms.DescribePoolsInput{PoolIds: []string{pid2, aws.ToString(p1.PoolArn)}})
	noErr(t, err)
	if len(res.Pools) != 2 || aws.ToString(res.Pools[0].PoolId) != pid2 || aws.ToString(res.Pools[1].PoolId) != pid1 {
		t.Errorf("DescribePools by ID and ARN: %+v", res.Pools)
	}
	unknownPool := "pool-00000000000000000000000000000000"
	_, err = c.DescribePools(bg, &sms.DescribePoolsInput{PoolIds: []string{unknownPool}})
	wantNotFound(t, err, types.ResourceTypePool, unknownPool)

	// UpdatePool: every member.
	_, err = c.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("pool-list")})
	noErr(t, err)
	topic := h.Topic(t, KeyA, "pool-inbound")
	up, err := c.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: p3.PoolArn, SharedRoutesEnabled: aws.Bool(true), SelfManagedOptOutsEnabled: aws.Bool(true),
		OptOutListName: aws.String("pool-list"), DeletionProtectionEnabled: aws.Bool(true), TwoWayEnabled: aws.Bool(true), TwoWayChannelArn: aws.String(topic)})
	noErr(t, err)
	if !up.SharedRoutesEnabled || !up.SelfManagedOptOutsEnabled || !up.DeletionProtectionEnabled || !up.TwoWayEnabled ||
		aws.ToString(up.OptOutListName) != "pool-list" || aws.ToString(up.TwoWayChannelArn) != topic {
		t.Errorf("UpdatePool result: %+v", up)
	}
	d := describePool(t, c, pid3)
	if !d.SharedRoutesEnabled || !d.SelfManagedOptOutsEnabled || !d.DeletionProtectionEnabled || !d.TwoWayEnabled ||
		aws.ToString(d.OptOutListName) != "pool-list" || aws.ToString(d.TwoWayChannelArn) != topic {
		t.Errorf("described after UpdatePool: %+v", d)
	}
	role := "arn:aws:iam::" + AccountA + ":role/PoolConnect"
	up, err = c.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(pid3), TwoWayChannelArn: aws.String("connect.us-east-1.amazonaws.com"), TwoWayChannelRole: aws.String(role)})
	noErr(t, err)
	eq(t, "pool Connect role", aws.ToString(up.TwoWayChannelRole), role)
	// A number requested into a two-way pool takes the pool's settings and
	// stays updatable.
	intoTwoWay, err := c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator,
		PoolId: aws.String(pid3), OptOutListName: aws.String("pool-list")})
	noErr(t, err)
	eq(t, "number in two-way pool", intoTwoWay.TwoWayEnabled, true)
	_, err = c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: intoTwoWay.PhoneNumberId, InternationalSendingEnabled: aws.Bool(true)})
	noErr(t, err)
	_, err = c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator, PoolId: aws.String(pid3)})
	wantConflict(t, err, types.ConflictExceptionReasonOptOutListMismatch, types.ResourceTypePool, pid3)
	_, err = c.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(pid1), TwoWayEnabled: aws.Bool(true)})
	wantValidation(t, err, types.ValidationExceptionReasonTwoWayChannelNotPresent, "TwoWayChannelArn")
	_, err = c.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(pid1), TwoWayEnabled: aws.Bool(true), TwoWayChannelArn: aws.String("connect.eu-north-1.amazonaws.com"), TwoWayChannelRole: aws.String(role)})
	wantValidation(t, err, types.ValidationExceptionReasonTwoWayNotSupportedInRegion)
	_, err = c.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(pid1), TwoWayEnabled: aws.Bool(true), TwoWayChannelArn: aws.String("arn:aws:sns:us-east-1:topic-without-account")})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidArn, "TwoWayChannelArn")
	_, err = c.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(pid1), OptOutListName: aws.String("nope")})
	wantNotFound(t, err, types.ResourceTypeOptOutList, "nope")
	_, err = c.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(unknownPool), SharedRoutesEnabled: aws.Bool(true)})
	wantNotFound(t, err, types.ResourceTypePool, unknownPool)
	d = describePool(t, c, pid1)
	if d.TwoWayEnabled || d.TwoWayChannelArn != nil || aws.ToString(d.OptOutListName) != "Default" {
		t.Errorf("refused pool updates changed the pool: %+v", d)
	}
	// A pool of DE numbers cannot have two-way.
	de := newNumber(t, c, numberSpec{country: "DE", typ: "LONG_CODE"})
	pde, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: de.PhoneNumberId, MessageType: types.MessageTypeTransactional})
	noErr(t, err)
	_, err = c.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: pde.PoolId, TwoWayEnabled: aws.Bool(true), TwoWayChannelArn: aws.String(topic)})
	wantValidation(t, err, types.ValidationExceptionReasonTwoWayNotSupportedInCountry)
	all := []string{pid1, pid2, pid3, pid4, aws.ToString(pde.PoolId)}

	// Filters.
	f := func(name types.PoolFilterName, v ...string) []types.PoolFilter {
		return []types.PoolFilter{{Name: name, Values: v}}
	}
	for _, tc := range []struct {
		filters []types.PoolFilter
		want    []string
	}{
		{f(types.PoolFilterNameStatus, "ACTIVE"), all},
		{f(types.PoolFilterNameStatus, "DELETING"), nil},
		{f(types.PoolFilterNameMessageType, "PROMOTIONAL"), []string{pid2}},
		{f(types.PoolFilterNameTwoWayEnabled, "true"), []string{pid3}},
		{f(types.PoolFilterNameSelfManagedOptOutsEnabled, "true"), []string{pid3}},
		{f(types.PoolFilterNameOptOutListName, "pool-list"), []string{pid3}},
		{f(types.PoolFilterNameSharedRoutesEnabled, "true"), []string{pid3}},
		{f(types.PoolFilterNameSharedRoutesEnabled, "false"), []string{pid1, pid2, pid4, aws.ToString(pde.PoolId)}},
		{f(types.PoolFilterNameDeletionProtectionEnabled, "true"), []string{pid2, pid3}},
		{f(types.PoolFilterNameTwoWayChannelArn, "connect.us-east-1.amazonaws.com"), []string{pid3}},
		{append(f(types.PoolFilterNameDeletionProtectionEnabled, "true"), f(types.PoolFilterNameMessageType, "TRANSACTIONAL")...), []string{pid3}},
	} {
		for _, page := range []int32{0, 1} {
			sameIDs(t, fmt.Sprintf("pool filter %v page %d", tc.filters, page), allPools(t, c, tc.filters, page), tc.want)
		}
	}
	_, err = c.DescribePools(bg, &sms.DescribePoolsInput{Filters: f(types.PoolFilterNameTwoWayEnabled, "maybe")})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidFilterValues)

	// Paging over more pools.
	for len(all) < 12 {
		n := sim(t, c)
		p, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n.PhoneNumberId, MessageType: types.MessageTypeTransactional})
		noErr(t, err)
		all = append(all, aws.ToString(p.PoolId))
	}
	for _, page := range []int32{0, 1, 5, 11, 12} {
		sameIDs(t, fmt.Sprintf("pools paged by %d", page), allPools(t, c, nil, page), all)
	}
	_, err = c.DescribePools(bg, &sms.DescribePoolsInput{NextToken: aws.String("bogus")})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidNextToken)

	// DeletePool: protection first; then the pool's number is free again.
	_, err = c.DeletePool(bg, &sms.DeletePoolInput{PoolId: aws.String(pid2)})
	wantConflict(t, err, types.ConflictExceptionReasonDeletionProtectionEnabled, types.ResourceTypePool, pid2)
	_, err = c.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(pid2), DeletionProtectionEnabled: aws.Bool(false)})
	noErr(t, err)
	del, err := c.DeletePool(bg, &sms.DeletePoolInput{PoolId: p2.PoolArn})
	noErr(t, err)
	eq(t, "deleted pool id", aws.ToString(del.PoolId), pid2)
	_, err = c.DescribePools(bg, &sms.DescribePoolsInput{PoolIds: []string{pid2}})
	wantNotFound(t, err, types.ResourceTypePool, pid2)
	_, err = c.DeletePool(bg, &sms.DeletePoolInput{PoolId: aws.String(pid2)})
	wantNotFound(t, err, types.ResourceTypePool, pid2)
	_, err = c.DescribeKeywords(bg, &sms.DescribeKeywordsInput{OriginationIdentity: aws.String(pid2)})
	wantNotFound(t, err, types.ResourceTypePool, pid2)
	if d := describeNumber(t, c, aws.ToString(n2.PhoneNumberId)); d.PoolId != nil {
		t.Errorf("number still in deleted pool %s", aws.ToString(d.PoolId))
	}
	_, err = c.ReleasePhoneNumber(bg, &sms.ReleasePhoneNumberInput{PhoneNumberId: n2.PhoneNumberId})
	noErr(t, err)

	// RequestPhoneNumber straight into a pool.
	in, err := c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator, PoolId: aws.String(pid1)})
	noErr(t, err)
	eq(t, "requested into pool", aws.ToString(in.PoolId), pid1)
	members, err := c.ListPoolOriginationIdentities(bg, &sms.ListPoolOriginationIdentitiesInput{PoolId: aws.String(pid1)})
	noErr(t, err)
	var mids []string
	for _, m := range members.OriginationIdentities {
		mids = append(mids, aws.ToString(m.OriginationIdentity))
	}
	sameIDs(t, "pool members after RequestPhoneNumber into it", mids, []string{aws.ToString(n1.PhoneNumberId), aws.ToString(in.PhoneNumberId)})
	// The original number can now leave: the requested one stays.
	_, err = c.DisassociateOriginationIdentity(bg, &sms.DisassociateOriginationIdentityInput{PoolId: aws.String(pid1), OriginationIdentity: n1.PhoneNumberId})
	noErr(t, err)
	_, err = c.DisassociateOriginationIdentity(bg, &sms.DisassociateOriginationIdentityInput{PoolId: aws.String(pid1), OriginationIdentity: in.PhoneNumberId})
	wantConflict(t, err, types.ConflictExceptionReasonLastPhoneNumber, types.ResourceTypePool, pid1)
	_, err = c.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypePromotional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator, PoolId: aws.String(pid1)})
	wantConflict(t, err, types.ConflictExceptionReasonMessageTypeMismatch, types.ResourceTypePool, pid1)
}

func testPoolAssociations(t *testing.T, h *Harness) {
	c := h.A()
	n1, n2, n3 := sim(t, c), sim(t, c), newNumber(t, c, numberSpec{typ: "LONG_CODE", caps: []types.NumberCapability{types.NumberCapabilitySms, types.NumberCapabilityVoice}})
	promo := newNumber(t, c, numberSpec{mt: types.MessageTypePromotional})
	p, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n1.PhoneNumberId, MessageType: types.MessageTypeTransactional})
	noErr(t, err)
	pid := aws.ToString(p.PoolId)

	as, err := c.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: aws.String(pid), OriginationIdentity: n2.PhoneNumberArn, IsoCountryCode: aws.String("US")})
	noErr(t, err)
	eq(t, "associate PoolId", aws.ToString(as.PoolId), pid)
	eq(t, "associate PoolArn", aws.ToString(as.PoolArn), aws.ToString(p.PoolArn))
	eq(t, "associate OriginationIdentityArn", aws.ToString(as.OriginationIdentityArn), aws.ToString(n2.PhoneNumberArn))
	eq(t, "associate OriginationIdentity", aws.ToString(as.OriginationIdentity), aws.ToString(n2.PhoneNumberId))
	eq(t, "associate IsoCountryCode", aws.ToString(as.IsoCountryCode), "US")
	_, err = c.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: p.PoolArn, OriginationIdentity: n3.PhoneNumberId})
	noErr(t, err)
	eq(t, "associated number's PoolId", aws.ToString(describeNumber(t, c, aws.ToString(n3.PhoneNumberId)).PoolId), pid)

	_, err = c.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: aws.String(pid), OriginationIdentity: n2.PhoneNumberId})
	wantConflict(t, err, types.ConflictExceptionReasonResourceAlreadyAssociated, types.ResourceTypePhoneNumber, aws.ToString(n2.PhoneNumberId))
	_, err = c.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: aws.String(pid), OriginationIdentity: promo.PhoneNumberId})
	wantConflict(t, err, types.ConflictExceptionReasonMessageTypeMismatch, types.ResourceTypePhoneNumber, aws.ToString(promo.PhoneNumberId))
	_, err = c.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: aws.String("pool-11111111111111111111111111111111"), OriginationIdentity: promo.PhoneNumberId})
	wantNotFound(t, err, types.ResourceTypePool, "pool-11111111111111111111111111111111")
	_, err = c.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: aws.String(pid), OriginationIdentity: aws.String("phone-11111111111111111111111111111111")})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, "phone-11111111111111111111111111111111")
	other, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: promo.PhoneNumberId, MessageType: types.MessageTypePromotional})
	noErr(t, err)
	_, err = c.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: aws.String(pid), OriginationIdentity: promo.PhoneNumberId})
	wantConflict(t, err, types.ConflictExceptionReasonPhoneNumberAssociatedToPool, types.ResourceTypePhoneNumber, aws.ToString(promo.PhoneNumberId))
	// A number on another opt-out list does not fit.
	_, err = c.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("elsewhere")})
	noErr(t, err)
	odd := newNumber(t, c, numberSpec{list: "elsewhere"})
	_, err = c.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: aws.String(pid), OriginationIdentity: odd.PhoneNumberId})
	wantConflict(t, err, types.ConflictExceptionReasonOptOutListMismatch, types.ResourceTypePhoneNumber, aws.ToString(odd.PhoneNumberId))

	// ListPoolOriginationIdentities, with filters and paging.
	list := func(filters []types.PoolOriginationIdentitiesFilter, page int32) []string {
		t.Helper()
		var ids []string
		var token *string
		for i := 0; i < 100; i++ {
			in := &sms.ListPoolOriginationIdentitiesInput{PoolId: aws.String(pid), Filters: filters, NextToken: token}
			if page > 0 {
				in.MaxResults = aws.Int32(page)
			}
			res, err := c.ListPoolOriginationIdentities(bg, in)
			noErr(t, err)
			eq(t, "listed PoolId", aws.ToString(res.PoolId), pid)
			eq(t, "listed PoolArn", aws.ToString(res.PoolArn), aws.ToString(p.PoolArn))
			for _, o := range res.OriginationIdentities {
				if o.PhoneNumber == nil || o.OriginationIdentityArn == nil || aws.ToString(o.IsoCountryCode) != "US" {
					t.Errorf("origination identity %+v", o)
				}
				ids = append(ids, aws.ToString(o.OriginationIdentity))
			}
			if res.NextToken == nil {
				return ids
			}
			token = res.NextToken
		}
		t.Fatal("ListPoolOriginationIdentities never ends")
		return nil
	}
	members := []string{aws.ToString(n1.PhoneNumberId), aws.ToString(n2.PhoneNumberId), aws.ToString(n3.PhoneNumberId)}
	for _, page := range []int32{0, 1, 2} {
		sameIDs(t, fmt.Sprintf("pool members paged by %d", page), list(nil, page), members)
	}
	sameIDs(t, "members with VOICE", list([]types.PoolOriginationIdentitiesFilter{{Name: types.PoolOriginationIdentitiesFilterNameNumberCapability, Values: []string{"VOICE"}}}, 1),
		[]string{aws.ToString(n3.PhoneNumberId)})
	sameIDs(t, "members in CA", list([]types.PoolOriginationIdentitiesFilter{{Name: types.PoolOriginationIdentitiesFilterNameIsoCountryCode, Values: []string{"CA"}}}, 0), nil)
	_, err = c.ListPoolOriginationIdentities(bg, &sms.ListPoolOriginationIdentitiesInput{PoolId: aws.String("pool-22222222222222222222222222222222")})
	wantNotFound(t, err, types.ResourceTypePool, "pool-22222222222222222222222222222222")

	// Disassociate down to the last number.
	dis, err := c.DisassociateOriginationIdentity(bg, &sms.DisassociateOriginationIdentityInput{PoolId: aws.String(pid), OriginationIdentity: n2.PhoneNumberId})
	noErr(t, err)
	eq(t, "disassociate OriginationIdentity", aws.ToString(dis.OriginationIdentity), aws.ToString(n2.PhoneNumberId))
	if d := describeNumber(t, c, aws.ToString(n2.PhoneNumberId)); d.PoolId != nil {
		t.Errorf("disassociated number keeps PoolId %s", aws.ToString(d.PoolId))
	}
	_, err = c.DisassociateOriginationIdentity(bg, &sms.DisassociateOriginationIdentityInput{PoolId: aws.String(pid), OriginationIdentity: n2.PhoneNumberId})
	wantConflict(t, err, types.ConflictExceptionReasonPhoneNumberNotAssociatedToPool, types.ResourceTypePhoneNumber, aws.ToString(n2.PhoneNumberId))
	_, err = c.DisassociateOriginationIdentity(bg, &sms.DisassociateOriginationIdentityInput{PoolId: aws.String(pid), OriginationIdentity: n3.PhoneNumberArn})
	noErr(t, err)
	_, err = c.DisassociateOriginationIdentity(bg, &sms.DisassociateOriginationIdentityInput{PoolId: aws.String(pid), OriginationIdentity: n1.PhoneNumberId})
	wantConflict(t, err, types.ConflictExceptionReasonLastPhoneNumber, types.ResourceTypePool, pid)
	sameIDs(t, "pool members at the end", list(nil, 0), []string{aws.ToString(n1.PhoneNumberId)})
	_, err = c.DisassociateOriginationIdentity(bg, &sms.DisassociateOriginationIdentityInput{PoolId: other.PoolId, OriginationIdentity: n1.PhoneNumberId})
	wantConflict(t, err, types.ConflictExceptionReasonPhoneNumberNotAssociatedToPool, types.ResourceTypePhoneNumber, aws.ToString(n1.PhoneNumberId))
}
