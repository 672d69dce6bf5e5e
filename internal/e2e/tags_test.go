package e2e

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
)

func init() {
	register("Tags", testTags)
	register("Account", testAccount)
	register("Send", testSend)
}

func listTags(t testing.TB, c *sms.Client, arn string) map[string]string {
	t.Helper()
	res, err := c.ListTagsForResource(bg, &sms.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	noErr(t, err)
	eq(t, "ListTagsForResource ResourceArn", aws.ToString(res.ResourceArn), arn)
	return tagMap(res.Tags)
}

func testTags(t *testing.T, h *Harness) {
	c := h.A()
	n := newNumber(t, c, numberSpec{tags: tags("created", "by-request")})
	p, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: sim(t, c).PhoneNumberId, MessageType: types.MessageTypeTransactional})
	noErr(t, err)
	l, err := c.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("tagged")})
	noErr(t, err)
	eq(t, "tags from RequestPhoneNumber", fmt.Sprint(listTags(t, c, aws.ToString(n.PhoneNumberArn))), fmt.Sprint(map[string]string{"created": "by-request"}))
	for _, arn := range []string{aws.ToString(n.PhoneNumberArn), aws.ToString(p.PoolArn), aws.ToString(l.OptOutListArn), arnOf(AccountA, "opt-out-list/Default")} {
		before := listTags(t, c, arn)
		_, err := c.TagResource(bg, &sms.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags("cost-center", "42", "team", "sms")})
		noErr(t, err)
		before["cost-center"], before["team"] = "42", "sms"
		eq(t, "tagged "+arn, fmt.Sprint(listTags(t, c, arn)), fmt.Sprint(before))
		_, err = c.TagResource(bg, &sms.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags("team", "platform")})
		noErr(t, err)
		before["team"] = "platform"
		eq(t, "re-tagged "+arn, fmt.Sprint(listTags(t, c, arn)), fmt.Sprint(before))
		_, err = c.UntagResource(bg, &sms.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"cost-center", "not-there"}})
		noErr(t, err)
		delete(before, "cost-center")
		eq(t, "untagged "+arn, fmt.Sprint(listTags(t, c, arn)), fmt.Sprint(before))
		_, err = c.TagResource(bg, &sms.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags("aws:created", "x")})
		wantValidation(t, err, types.ValidationExceptionReasonInvalidParameter, "Tags")
		eq(t, "refused tag "+arn, fmt.Sprint(listTags(t, c, arn)), fmt.Sprint(before))
	}
	// Tags survive other updates of the resource.
	_, err = c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: n.PhoneNumberId, SelfManagedOptOutsEnabled: aws.Bool(true)})
	noErr(t, err)
	eq(t, "tags after update", listTags(t, c, aws.ToString(n.PhoneNumberArn))["team"], "platform")

	missing := arnOf(AccountA, "phone-number/phone-00000000000000000000000000000000")
	_, err = c.TagResource(bg, &sms.TagResourceInput{ResourceArn: aws.String(missing), Tags: tags("a", "b")})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, missing)
	_, err = c.ListTagsForResource(bg, &sms.ListTagsForResourceInput{ResourceArn: aws.String(arnOf(AccountA, "pool/pool-00000000000000000000000000000000"))})
	wantNotFound(t, err, types.ResourceTypePool, arnOf(AccountA, "pool/pool-00000000000000000000000000000000"))
	_, err = c.UntagResource(bg, &sms.UntagResourceInput{ResourceArn: aws.String(arnOf(AccountA, "opt-out-list/none")), TagKeys: []string{"a"}})
	wantNotFound(t, err, types.ResourceTypeOptOutList, arnOf(AccountA, "opt-out-list/none"))
	_, err = c.ListTagsForResource(bg, &sms.ListTagsForResourceInput{ResourceArn: aws.String(arnOf(AccountA, "sender-id/ACME/US"))})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidArn)
	_, err = c.ListTagsForResource(bg, &sms.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:sms-voice:eu-west-1:" + AccountA + ":pool/" + aws.ToString(p.PoolId))})
	wantNotFound(t, err, types.ResourceTypePool, "arn:aws:sms-voice:eu-west-1:"+AccountA+":pool/"+aws.ToString(p.PoolId))
}

func testAccount(t *testing.T, h *Harness) {
	c := h.A()
	attrs, err := c.DescribeAccountAttributes(bg, &sms.DescribeAccountAttributesInput{})
	noErr(t, err)
	found := false
	for _, a := range attrs.AccountAttributes {
		if a.Name == types.AccountAttributeNameAccountTier {
			found = true
			eq(t, "ACCOUNT_TIER", aws.ToString(a.Value), "PRODUCTION")
		}
	}
	if !found {
		t.Errorf("no ACCOUNT_TIER in %+v", attrs.AccountAttributes)
	}
	limits := func(c *sms.Client) map[types.AccountLimitName][2]int64 {
		t.Helper()
		res, err := c.DescribeAccountLimits(bg, &sms.DescribeAccountLimitsInput{})
		noErr(t, err)
		m := map[types.AccountLimitName][2]int64{}
		for _, l := range res.AccountLimits {
			m[l.Name] = [2]int64{l.Used, l.Max}
		}
		return m
	}
	l := limits(c)
	eq(t, "fresh PHONE_NUMBERS", l[types.AccountLimitNamePhoneNumbers], [2]int64{0, 1_000_000})
	eq(t, "fresh POOLS", l[types.AccountLimitNamePools], [2]int64{0, 1_000})
	eq(t, "fresh OPT_OUT_LISTS", l[types.AccountLimitNameOptOutLists], [2]int64{1, 100})
	n1, n2 := sim(t, c), sim(t, c)
	_, err = c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n1.PhoneNumberId, MessageType: types.MessageTypeTransactional})
	noErr(t, err)
	_, err = c.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("more")})
	noErr(t, err)
	_, err = c.ReleasePhoneNumber(bg, &sms.ReleasePhoneNumberInput{PhoneNumberId: n2.PhoneNumberId})
	noErr(t, err)
	sim(t, c)
	sim(t, c)
	l = limits(c)
	eq(t, "PHONE_NUMBERS used", l[types.AccountLimitNamePhoneNumbers][0], 3)
	eq(t, "POOLS used", l[types.AccountLimitNamePools][0], 1)
	eq(t, "OPT_OUT_LISTS used", l[types.AccountLimitNameOptOutLists][0], 2)
	eq(t, "account B unaffected", limits(h.B())[types.AccountLimitNamePhoneNumbers][0], 0)
}

func testSend(t *testing.T, h *Harness) {
	c := h.A()
	n := sim(t, c)
	out, err := c.SendTextMessage(bg, &sms.SendTextMessageInput{DestinationPhoneNumber: aws.String("+14255550100"),
		OriginationIdentity: n.PhoneNumberId, MessageBody: aws.String("hello")})
	noErr(t, err)
	if out.MessageId == nil || *out.MessageId == "" {
		t.Error("SendTextMessage without MessageId")
	}
	_, err = c.SendTextMessage(bg, &sms.SendTextMessageInput{DestinationPhoneNumber: aws.String("+14255550101"),
		OriginationIdentity: n.PhoneNumberArn, MessageBody: aws.String("dry"), DryRun: true})
	noErr(t, err)
	_, err = c.PutOptedOutNumber(bg, &sms.PutOptedOutNumberInput{OptOutListName: aws.String("Default"), OptedOutNumber: aws.String("+14255550102")})
	noErr(t, err)
	_, err = c.SendTextMessage(bg, &sms.SendTextMessageInput{DestinationPhoneNumber: aws.String("+14255550102"),
		OriginationIdentity: n.PhoneNumberId, MessageBody: aws.String("hello")})
	wantConflict(t, err, types.ConflictExceptionReasonDestinationPhoneNumberOptedOut, types.ResourceTypeOptedOutNumber, "+14255550102")
	_, err = c.SendTextMessage(bg, &sms.SendTextMessageInput{DestinationPhoneNumber: aws.String("+4915112345678"),
		OriginationIdentity: n.PhoneNumberId, MessageBody: aws.String("hallo")})
	wantValidation(t, err, types.ValidationExceptionReasonInternationalSendingNotSupported, "DestinationPhoneNumber")
	_, err = c.SendTextMessage(bg, &sms.SendTextMessageInput{DestinationPhoneNumber: aws.String("+14255550100"),
		OriginationIdentity: aws.String("phone-00000000000000000000000000000000"), MessageBody: aws.String("hello")})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, "phone-00000000000000000000000000000000")
	_, err = c.SendMediaMessage(bg, &sms.SendMediaMessageInput{DestinationPhoneNumber: aws.String("+14255550100"),
		OriginationIdentity: n.PhoneNumberId, MessageBody: aws.String("picture"), MediaUrls: []string{"s3://bucket/cat.jpg"}})
	wantConflict(t, err, types.ConflictExceptionReasonNumberCapabilitiesMismatch, types.ResourceTypePhoneNumber, aws.ToString(n.PhoneNumberId))
	mms := newNumber(t, c, numberSpec{typ: "LONG_CODE", caps: []types.NumberCapability{types.NumberCapabilitySms, types.NumberCapabilityMms}})
	mo, err := c.SendMediaMessage(bg, &sms.SendMediaMessageInput{DestinationPhoneNumber: aws.String("+14255550100"),
		OriginationIdentity: mms.PhoneNumberId, MessageBody: aws.String("picture"), MediaUrls: []string{"s3://bucket/cat.jpg"}})
	noErr(t, err)
	if aws.ToString(mo.MessageId) == "" || aws.ToString(mo.MessageId) == aws.ToString(out.MessageId) {
		t.Errorf("SendMediaMessage MessageId %q", aws.ToString(mo.MessageId))
	}
	// Account B cannot send from A's number.
	_, err = h.B().SendTextMessage(bg, &sms.SendTextMessageInput{DestinationPhoneNumber: aws.String("+14255550100"),
		OriginationIdentity: n.PhoneNumberId, MessageBody: aws.String("hello")})
	wantNotFound(t, err, types.ResourceTypePhoneNumber, aws.ToString(n.PhoneNumberId))
}
