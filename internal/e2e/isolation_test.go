package e2e

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
)

func init() {
	register("CrossAccount", testCrossAccount)
}

func testCrossAccount(t *testing.T, h *Harness) {
	a, b := h.A(), h.B()
	an := newNumber(t, a, numberSpec{typ: "LONG_CODE", tags: tags("owner", "a")})
	an2 := sim(t, a)
	ap, err := a.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: an2.PhoneNumberId, MessageType: types.MessageTypeTransactional, Tags: tags("owner", "a")})
	noErr(t, err)
	al, err := a.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("a-only"), Tags: tags("owner", "a")})
	noErr(t, err)
	_, err = a.PutOptedOutNumber(bg, &sms.PutOptedOutNumberInput{OptOutListName: aws.String("a-only"), OptedOutNumber: aws.String("+12065550142")})
	noErr(t, err)
	_, err = a.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: an.PhoneNumberId, Keyword: aws.String("SECRET"), KeywordMessage: aws.String("a's")})
	noErr(t, err)
	bn := sim(t, b)

	snapshot := func() string {
		t.Helper()
		var s []any
		s = append(s, allNumbers(t, a, nil, 0), listTags(t, a, aws.ToString(an.PhoneNumberArn)), listTags(t, a, aws.ToString(ap.PoolArn)),
			listTags(t, a, aws.ToString(al.OptOutListArn)), keywords(t, a, aws.ToString(an.PhoneNumberId), nil, 0),
			optedOut(t, a, "a-only", nil, 0), optOutListNames(t, a, 0), allPools(t, a, nil, 0))
		res, err := a.DescribePools(bg, &sms.DescribePoolsInput{PoolIds: []string{aws.ToString(ap.PoolId)}})
		noErr(t, err)
		s = append(s, res.Pools)
		b, err := json.Marshal(s)
		noErr(t, err)
		return string(b)
	}
	before := snapshot()

	// B lists only its own.
	sameIDs(t, "B's numbers", numberIDs(allNumbers(t, b, nil, 0)), []string{aws.ToString(bn.PhoneNumberId)})
	sameIDs(t, "B's pools", allPools(t, b, nil, 0), nil)
	sameIDs(t, "B's lists", optOutListNames(t, b, 0), []string{"Default"})
	sameIDs(t, "A's numbers", numberIDs(allNumbers(t, a, nil, 0)), []string{aws.ToString(an.PhoneNumberId), aws.ToString(an2.PhoneNumberId)})

	for _, ref := range []string{aws.ToString(an.PhoneNumberId), aws.ToString(an.PhoneNumberArn)} {
		_, err = b.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{PhoneNumberIds: []string{ref}})
		wantNotFound(t, err, types.ResourceTypePhoneNumber, ref)
		_, err = b.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(ref), DeletionProtectionEnabled: aws.Bool(true)})
		wantNotFound(t, err, types.ResourceTypePhoneNumber, ref)
		_, err = b.ReleasePhoneNumber(bg, &sms.ReleasePhoneNumberInput{PhoneNumberId: aws.String(ref)})
		wantNotFound(t, err, types.ResourceTypePhoneNumber, ref)
		_, err = b.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: aws.String(ref), MessageType: types.MessageTypeTransactional})
		wantNotFound(t, err, types.ResourceTypePhoneNumber, ref)
		_, err = b.DescribeKeywords(bg, &sms.DescribeKeywordsInput{OriginationIdentity: aws.String(ref)})
		wantNotFound(t, err, types.ResourceTypePhoneNumber, ref)
		_, err = b.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(ref), Keyword: aws.String("X"), KeywordMessage: aws.String("x")})
		wantNotFound(t, err, types.ResourceTypePhoneNumber, ref)
		_, err = b.DeleteKeyword(bg, &sms.DeleteKeywordInput{OriginationIdentity: aws.String(ref), Keyword: aws.String("SECRET")})
		wantNotFound(t, err, types.ResourceTypePhoneNumber, ref)
	}
	for _, ref := range []string{aws.ToString(ap.PoolId), aws.ToString(ap.PoolArn)} {
		_, err = b.DescribePools(bg, &sms.DescribePoolsInput{PoolIds: []string{ref}})
		wantNotFound(t, err, types.ResourceTypePool, ref)
		_, err = b.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(ref), SharedRoutesEnabled: aws.Bool(true)})
		wantNotFound(t, err, types.ResourceTypePool, ref)
		_, err = b.DeletePool(bg, &sms.DeletePoolInput{PoolId: aws.String(ref)})
		wantNotFound(t, err, types.ResourceTypePool, ref)
		_, err = b.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: aws.String(ref), OriginationIdentity: bn.PhoneNumberId})
		wantNotFound(t, err, types.ResourceTypePool, ref)
		_, err = b.DisassociateOriginationIdentity(bg, &sms.DisassociateOriginationIdentityInput{PoolId: aws.String(ref), OriginationIdentity: an2.PhoneNumberId})
		wantNotFound(t, err, types.ResourceTypePool, ref)
		_, err = b.ListPoolOriginationIdentities(bg, &sms.ListPoolOriginationIdentitiesInput{PoolId: aws.String(ref)})
		wantNotFound(t, err, types.ResourceTypePool, ref)
		_, err = b.DescribeKeywords(bg, &sms.DescribeKeywordsInput{OriginationIdentity: aws.String(ref)})
		wantNotFound(t, err, types.ResourceTypePool, ref)
	}
	// B's own pool cannot take A's number.
	bp, err := b.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: bn.PhoneNumberId, MessageType: types.MessageTypeTransactional})
	noErr(t, err)
	_, err = b.AssociateOriginationIdentity(bg, &sms.AssociateOriginationIdentityInput{PoolId: bp.PoolId, OriginationIdentity: an.PhoneNumberId})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, aws.ToString(an.PhoneNumberId))
	_, err = b.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator, PoolId: ap.PoolId})
	wantNotFound(t, err, types.ResourceTypePool, aws.ToString(ap.PoolId))

	// Opt-out lists: B's namespace is its own.
	for _, ref := range []string{"a-only", aws.ToString(al.OptOutListArn)} {
		_, err = b.DescribeOptOutLists(bg, &sms.DescribeOptOutListsInput{OptOutListNames: []string{ref}})
		wantNotFound(t, err, types.ResourceTypeOptOutList, ref)
		_, err = b.DescribeOptedOutNumbers(bg, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String(ref)})
		wantNotFound(t, err, types.ResourceTypeOptOutList, ref)
		_, err = b.DeleteOptOutList(bg, &sms.DeleteOptOutListInput{OptOutListName: aws.String(ref)})
		wantNotFound(t, err, types.ResourceTypeOptOutList, ref)
		_, err = b.DeleteOptedOutNumber(bg, &sms.DeleteOptedOutNumberInput{OptOutListName: aws.String(ref), OptedOutNumber: aws.String("+12065550142")})
		wantNotFound(t, err, types.ResourceTypeOptOutList, ref)
	}
	_, err = b.PutOptedOutNumber(bg, &sms.PutOptedOutNumberInput{OptOutListName: al.OptOutListArn, OptedOutNumber: aws.String("+12065550143")})
	wantNotFound(t, err, types.ResourceTypeOptOutList, aws.ToString(al.OptOutListArn))
	_, err = b.DescribeOptedOutNumbers(bg, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String(arnOf(AccountA, "opt-out-list/Default"))})
	wantNotFound(t, err, types.ResourceTypeOptOutList, arnOf(AccountA, "opt-out-list/Default"))
	_, err = b.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("a-only")})
	noErr(t, err)
	eq(t, "B's list of the same name is empty", len(optedOut(t, b, "a-only", nil, 0)), 0)

	// Tags.
	for _, arn := range []string{aws.ToString(an.PhoneNumberArn), aws.ToString(ap.PoolArn), aws.ToString(al.OptOutListArn)} {
		typ := types.ResourceTypePhoneNumber
		switch arn {
		case aws.ToString(ap.PoolArn):
			typ = types.ResourceTypePool
		case aws.ToString(al.OptOutListArn):
			typ = types.ResourceTypeOptOutList
		}
		_, err = b.TagResource(bg, &sms.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags("owner", "b")})
		wantNotFound(t, err, typ, arn)
		_, err = b.UntagResource(bg, &sms.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"owner"}})
		wantNotFound(t, err, typ, arn)
		_, err = b.ListTagsForResource(bg, &sms.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		wantNotFound(t, err, typ, arn)
	}

	// Nothing of A's changed.
	if after := snapshot(); after != before {
		t.Errorf("account B changed account A's resources:\nbefore %s\nafter  %s", before, after)
	}
}
