package e2e

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
)

func init() {
	register("Keywords", testKeywords)
	register("KeywordQuota", testKeywordQuota)
}

// keywords pages through DescribeKeywords and returns keyword → action.
func keywords(t testing.TB, c *sms.Client, orig string, filters []types.KeywordFilter, page int32) map[string]types.KeywordAction {
	t.Helper()
	out := map[string]types.KeywordAction{}
	var token *string
	for i := 0; i < 1000; i++ {
		in := &sms.DescribeKeywordsInput{OriginationIdentity: aws.String(orig), Filters: filters, NextToken: token}
		if page > 0 {
			in.MaxResults = aws.Int32(page)
		}
		res, err := c.DescribeKeywords(bg, in)
		noErr(t, err)
		for _, k := range res.Keywords {
			kw := aws.ToString(k.Keyword)
			if _, dup := out[kw]; dup {
				t.Fatalf("keyword %s listed twice", kw)
			}
			if aws.ToString(k.KeywordMessage) == "" {
				t.Errorf("keyword %s without message", kw)
			}
			out[kw] = k.KeywordAction
		}
		if res.NextToken == nil {
			return out
		}
		token = res.NextToken
	}
	t.Fatal("DescribeKeywords never ends")
	return nil
}

func keywordSet(m map[string]types.KeywordAction) string {
	return fmt.Sprint(m)
}

func testKeywords(t *testing.T, h *Harness) {
	c := h.A()
	n := sim(t, c)
	nid := aws.ToString(n.PhoneNumberId)
	second := sim(t, c)
	pool, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: second.PhoneNumberId, MessageType: types.MessageTypeTransactional})
	noErr(t, err)
	pid := aws.ToString(pool.PoolId)
	defaults := map[string]types.KeywordAction{"HELP": types.KeywordActionAutomaticResponse, "STOP": types.KeywordActionOptOut}
	for _, orig := range []string{nid, aws.ToString(n.PhoneNumberArn), pid, aws.ToString(pool.PoolArn), aws.ToString(second.PhoneNumberId)} {
		eq(t, "default keywords of "+orig, keywordSet(keywords(t, c, orig, nil, 0)), keywordSet(defaults))
	}
	res, err := c.DescribeKeywords(bg, &sms.DescribeKeywordsInput{OriginationIdentity: n.PhoneNumberArn})
	noErr(t, err)
	eq(t, "DescribeKeywords OriginationIdentity", aws.ToString(res.OriginationIdentity), nid)
	eq(t, "DescribeKeywords OriginationIdentityArn", aws.ToString(res.OriginationIdentityArn), aws.ToString(n.PhoneNumberArn))

	put := func(orig, kw, msg string, action types.KeywordAction) (*sms.PutKeywordOutput, error) {
		return c.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(orig), Keyword: aws.String(kw), KeywordMessage: aws.String(msg), KeywordAction: action})
	}
	out, err := put(nid, "INFO", "Acme support: reply STOP to opt out.", types.KeywordActionAutomaticResponse)
	noErr(t, err)
	eq(t, "PutKeyword Keyword", aws.ToString(out.Keyword), "INFO")
	eq(t, "PutKeyword message", aws.ToString(out.KeywordMessage), "Acme support: reply STOP to opt out.")
	eq(t, "PutKeyword OriginationIdentity", aws.ToString(out.OriginationIdentity), nid)
	eq(t, "PutKeyword OriginationIdentityArn", aws.ToString(out.OriginationIdentityArn), aws.ToString(n.PhoneNumberArn))
	_, err = put(aws.ToString(n.PhoneNumberArn), "QUIT", "Bye.", types.KeywordActionOptOut)
	noErr(t, err)
	_, err = put(nid, "START", "Welcome back.", types.KeywordActionOptIn)
	noErr(t, err)
	_, err = put(pid, "JOIN", "Joined.", types.KeywordActionOptIn)
	noErr(t, err)
	// Replacing keeps one keyword.
	out, err = put(nid, "INFO", "New text.", types.KeywordActionAutomaticResponse)
	noErr(t, err)
	eq(t, "replaced message", aws.ToString(out.KeywordMessage), "New text.")
	eq(t, "number keywords", keywordSet(keywords(t, c, nid, nil, 1)), keywordSet(map[string]types.KeywordAction{
		"HELP": types.KeywordActionAutomaticResponse, "STOP": types.KeywordActionOptOut, "INFO": types.KeywordActionAutomaticResponse,
		"QUIT": types.KeywordActionOptOut, "START": types.KeywordActionOptIn}))
	eq(t, "pool keywords", keywordSet(keywords(t, c, pid, nil, 0)), keywordSet(map[string]types.KeywordAction{
		"HELP": types.KeywordActionAutomaticResponse, "STOP": types.KeywordActionOptOut, "JOIN": types.KeywordActionOptIn}))
	eq(t, "keyword-action filter", keywordSet(keywords(t, c, nid, []types.KeywordFilter{{Name: types.KeywordFilterNameKeywordAction, Values: []string{"OPT_OUT"}}}, 0)),
		keywordSet(map[string]types.KeywordAction{"STOP": types.KeywordActionOptOut, "QUIT": types.KeywordActionOptOut}))
	one, err := c.DescribeKeywords(bg, &sms.DescribeKeywordsInput{OriginationIdentity: aws.String(nid), Keywords: []string{"INFO"}})
	noErr(t, err)
	if len(one.Keywords) != 1 || aws.ToString(one.Keywords[0].KeywordMessage) != "New text." {
		t.Errorf("DescribeKeywords INFO: %+v", one.Keywords)
	}
	_, err = c.DescribeKeywords(bg, &sms.DescribeKeywordsInput{OriginationIdentity: aws.String(nid), Keywords: []string{"NOPE"}})
	wantNotFound(t, err, types.ResourceTypeKeyword, "NOPE")
	_, err = c.DescribeKeywords(bg, &sms.DescribeKeywordsInput{OriginationIdentity: aws.String(nid), NextToken: aws.String("junk")})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidNextToken)

	// STOP's message can change, its action cannot.
	_, err = c.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(nid), Keyword: aws.String("STOP"), KeywordMessage: aws.String("Unsubscribed from Acme.")})
	noErr(t, err)
	_, err = put(nid, "STOP", "Nope.", types.KeywordActionAutomaticResponse)
	wantConflict(t, err, types.ConflictExceptionReasonKeywordMismatch, types.ResourceTypeKeyword, "STOP")
	stop, err := c.DescribeKeywords(bg, &sms.DescribeKeywordsInput{OriginationIdentity: aws.String(nid), Keywords: []string{"STOP"}})
	noErr(t, err)
	if len(stop.Keywords) != 1 || aws.ToString(stop.Keywords[0].KeywordMessage) != "Unsubscribed from Acme." || stop.Keywords[0].KeywordAction != types.KeywordActionOptOut {
		t.Errorf("STOP after updates: %+v", stop.Keywords)
	}

	// Delete; STOP and HELP stay.
	del, err := c.DeleteKeyword(bg, &sms.DeleteKeywordInput{OriginationIdentity: aws.String(nid), Keyword: aws.String("INFO")})
	noErr(t, err)
	eq(t, "deleted keyword", aws.ToString(del.Keyword), "INFO")
	eq(t, "deleted keyword message", aws.ToString(del.KeywordMessage), "New text.")
	_, err = c.DeleteKeyword(bg, &sms.DeleteKeywordInput{OriginationIdentity: aws.String(nid), Keyword: aws.String("INFO")})
	wantNotFound(t, err, types.ResourceTypeKeyword, "INFO")
	for _, kw := range []string{"STOP", "HELP"} {
		for _, orig := range []string{nid, pid} {
			_, err = c.DeleteKeyword(bg, &sms.DeleteKeywordInput{OriginationIdentity: aws.String(orig), Keyword: aws.String(kw)})
			wantConflict(t, err, types.ConflictExceptionReasonResourceDeletionNotAllowed, types.ResourceTypeKeyword, kw)
		}
	}
	eq(t, "keywords after deletes", len(keywords(t, c, nid, nil, 0)), 4)
	_, err = put("phone-99999999999999999999999999999999", "INFO", "x", types.KeywordActionAutomaticResponse)
	wantNotFound(t, err, types.ResourceTypePhoneNumber, "phone-99999999999999999999999999999999")
	_, err = put("pool-99999999999999999999999999999999", "INFO", "x", types.KeywordActionAutomaticResponse)
	wantNotFound(t, err, types.ResourceTypePool, "pool-99999999999999999999999999999999")
}

func testKeywordQuota(t *testing.T, h *Harness) {
	c := h.A()
	n := sim(t, c)
	nid := aws.ToString(n.PhoneNumberId)
	pool, err := c.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: n.PhoneNumberId, MessageType: types.MessageTypeTransactional})
	noErr(t, err)
	for _, tc := range []struct {
		orig   string
		reason types.ServiceQuotaExceededExceptionReason
	}{{nid, types.ServiceQuotaExceededExceptionReasonKeywordsPerPhoneNumber}, {aws.ToString(pool.PoolId), types.ServiceQuotaExceededExceptionReasonKeywordsPerPool}} {
		// 2 built-in + 28 = 30, the quota.
		for i := 1; i <= 28; i++ {
			_, err := c.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(tc.orig), Keyword: aws.String(fmt.Sprintf("KW%02d", i)),
				KeywordMessage: aws.String("m"), KeywordAction: types.KeywordActionAutomaticResponse})
			noErr(t, err)
		}
		_, err := c.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(tc.orig), Keyword: aws.String("ONEMORE"), KeywordMessage: aws.String("m")})
		wantQuota(t, err, tc.reason)
		// Replacing one at the quota is fine.
		_, err = c.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(tc.orig), Keyword: aws.String("KW07"), KeywordMessage: aws.String("changed")})
		noErr(t, err)
		for _, page := range []int32{0, 7} {
			eq(t, fmt.Sprintf("keywords at the quota, page %d", page), len(keywords(t, c, tc.orig, nil, page)), 30)
		}
		// After a delete there is room for one.
		_, err = c.DeleteKeyword(bg, &sms.DeleteKeywordInput{OriginationIdentity: aws.String(tc.orig), Keyword: aws.String("KW01")})
		noErr(t, err)
		_, err = c.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(tc.orig), Keyword: aws.String("ONEMORE"), KeywordMessage: aws.String("m")})
		noErr(t, err)
	}
}
