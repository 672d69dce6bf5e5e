package e2e

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
)

func init() {
	register("Restart", testRestart)
}

func testRestart(t *testing.T, h *Harness) {
	a := h.A()
	n1 := newNumber(t, a, numberSpec{typ: "LONG_CODE", protect: true, tags: tags("k", "v")})
	n2 := sim(t, a)
	n3 := newNumber(t, a, numberSpec{typ: "TOLL_FREE"})
	_, err := a.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: n3.PhoneNumberId, TwoWayEnabled: aws.Bool(true),
		TwoWayChannelArn: aws.String("connect.us-east-1.amazonaws.com"), TwoWayChannelRole: aws.String("arn:aws:iam::" + AccountA + ":role/R")})
	noErr(t, err)
	p, err := a.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n2.PhoneNumberId, MessageType: types.MessageTypeTransactional, Tags: tags("pool", "yes")})
	noErr(t, err)
	_, err = a.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: n1.PhoneNumberId, Keyword: aws.String("HOURS"), KeywordMessage: aws.String("9-5")})
	noErr(t, err)
	_, err = a.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: p.PoolId, Keyword: aws.String("JOIN"), KeywordMessage: aws.String("in"), KeywordAction: types.KeywordActionOptIn})
	noErr(t, err)
	_, err = a.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("kept"), Tags: tags("list", "yes")})
	noErr(t, err)
	for _, num := range []string{"+12065550150", "+12065550151"} {
		_, err = a.PutOptedOutNumber(bg, &sms.PutOptedOutNumberInput{OptOutListName: aws.String("kept"), OptedOutNumber: aws.String(num)})
		noErr(t, err)
	}
	_, err = a.TagResource(bg, &sms.TagResourceInput{ResourceArn: n2.PhoneNumberArn, Tags: tags("later", "added")})
	noErr(t, err)
	bn := sim(t, h.B())

	snapshot := func() string {
		t.Helper()
		var s []any
		nums := allNumbers(t, a, nil, 0)
		s = append(s, nums, allNumbers(t, h.B(), nil, 0))
		for _, n := range nums {
			s = append(s, listTags(t, a, aws.ToString(n.PhoneNumberArn)), keywords(t, a, aws.ToString(n.PhoneNumberId), nil, 0))
		}
		pools, err := a.DescribePools(bg, &sms.DescribePoolsInput{})
		noErr(t, err)
		s = append(s, pools.Pools, listTags(t, a, aws.ToString(p.PoolArn)), keywords(t, a, aws.ToString(p.PoolId), nil, 0))
		lists, err := a.DescribeOptOutLists(bg, &sms.DescribeOptOutListsInput{})
		noErr(t, err)
		s = append(s, lists.OptOutLists, listTags(t, a, arnOf(AccountA, "opt-out-list/kept")), optedOut(t, a, "kept", nil, 0))
		oo, err := a.DescribeOptedOutNumbers(bg, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String("kept")})
		noErr(t, err)
		s = append(s, oo.OptedOutNumbers)
		members, err := a.ListPoolOriginationIdentities(bg, &sms.ListPoolOriginationIdentitiesInput{PoolId: p.PoolId})
		noErr(t, err)
		s = append(s, members.OriginationIdentities)
		limits, err := a.DescribeAccountLimits(bg, &sms.DescribeAccountLimitsInput{})
		noErr(t, err)
		s = append(s, limits.AccountLimits)
		b, err := json.Marshal(s)
		noErr(t, err)
		return string(b)
	}
	before := snapshot()
	h.Restart()
	after := snapshot()
	if before != after {
		t.Fatalf("state changed across a restart:\nbefore %s\nafter  %s", before, after)
	}
	// Still consistent: rules and counters survived too.
	_, err = a.ReleasePhoneNumber(bg, &sms.ReleasePhoneNumberInput{PhoneNumberId: n1.PhoneNumberId})
	wantConflict(t, err, types.ConflictExceptionReasonDeletionProtectionEnabled, types.ResourceTypePhoneNumber, aws.ToString(n1.PhoneNumberId))
	_, err = a.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("kept")})
	wantConflict(t, err, types.ConflictExceptionReasonResourceAlreadyExists, types.ResourceTypeOptOutList, "kept")
	n4 := sim(t, a)
	for _, old := range []*sms.RequestPhoneNumberOutput{n2, bn} {
		if aws.ToString(n4.PhoneNumber) == aws.ToString(old.PhoneNumber) {
			t.Errorf("number %s handed out again after a restart", aws.ToString(n4.PhoneNumber))
		}
	}
	// A second restart in a row is fine too.
	h.Restart()
	eq(t, "numbers after two restarts", countNumbers(t, a), 4)
}
