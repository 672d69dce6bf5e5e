package e2e

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
)

func init() {
	register("OptOutLists", testOptOutLists)
	register("OptedOutNumbers", testOptedOutNumbers)
}

func optOutListNames(t testing.TB, c *sms.Client, page int32) []string {
	t.Helper()
	var names []string
	var token *string
	for i := 0; i < 1000; i++ {
		in := &sms.DescribeOptOutListsInput{NextToken: token}
		if page > 0 {
			in.MaxResults = aws.Int32(page)
		}
		res, err := c.DescribeOptOutLists(bg, in)
		noErr(t, err)
		for _, l := range res.OptOutLists {
			name := aws.ToString(l.OptOutListName)
			if aws.ToString(l.OptOutListArn) != arnOf(accountOf(t, c), "opt-out-list/"+name) || l.CreatedTimestamp == nil {
				t.Errorf("opt-out list %+v", l)
			}
			names = append(names, name)
		}
		if res.NextToken == nil {
			return names
		}
		token = res.NextToken
	}
	t.Fatal("DescribeOptOutLists never ends")
	return nil
}

// accountOf tells which account a client signs for.
func accountOf(t testing.TB, c *sms.Client) string {
	t.Helper()
	creds, err := c.Options().Credentials.Retrieve(bg)
	noErr(t, err)
	switch creds.AccessKeyID {
	case KeyA:
		return AccountA
	case KeyB:
		return AccountB
	}
	t.Fatalf("unknown key %s", creds.AccessKeyID)
	return ""
}

func testOptOutLists(t *testing.T, h *Harness) {
	a, b := h.A(), h.B()
	// A fresh account has exactly the Default list.
	sameIDs(t, "fresh account's lists", optOutListNames(t, b, 0), []string{"Default"})

	cr, err := a.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("promo-2024"), Tags: tags("owner", "marketing")})
	noErr(t, err)
	eq(t, "created name", aws.ToString(cr.OptOutListName), "promo-2024")
	eq(t, "created ARN", aws.ToString(cr.OptOutListArn), arnOf(AccountA, "opt-out-list/promo-2024"))
	eq(t, "created tags", tagMap(cr.Tags)["owner"], "marketing")
	if cr.CreatedTimestamp == nil {
		t.Error("created list without CreatedTimestamp")
	}
	_, err = a.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("promo-2024")})
	wantConflict(t, err, types.ConflictExceptionReasonResourceAlreadyExists, types.ResourceTypeOptOutList, "promo-2024")
	_, err = a.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("Default")})
	wantConflict(t, err, types.ConflictExceptionReasonResourceAlreadyExists, types.ResourceTypeOptOutList, "Default")
	_, err = a.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("bad name!")})
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "OptOutListName")
	// Idempotent with a ClientToken.
	for i := 0; i < 2; i++ {
		_, err = a.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("tokened"), ClientToken: aws.String("list-token")})
		noErr(t, err)
	}
	sameIDs(t, "lists", optOutListNames(t, a, 0), []string{"Default", "promo-2024", "tokened"})

	res, err := a.DescribeOptOutLists(bg, &sms.DescribeOptOutListsInput{OptOutListNames: []string{"promo-2024", arnOf(AccountA, "opt-out-list/Default")}})
	noErr(t, err)
	if len(res.OptOutLists) != 2 || aws.ToString(res.OptOutLists[0].OptOutListName) != "promo-2024" || aws.ToString(res.OptOutLists[1].OptOutListName) != "Default" {
		t.Errorf("DescribeOptOutLists by name and ARN: %+v", res.OptOutLists)
	}
	_, err = a.DescribeOptOutLists(bg, &sms.DescribeOptOutListsInput{OptOutListNames: []string{"missing"}})
	wantNotFound(t, err, types.ResourceTypeOptOutList, "missing")

	// Paging.
	want := []string{"Default", "promo-2024", "tokened"}
	for i := 0; i < 9; i++ {
		name := fmt.Sprintf("list-%02d", i)
		_, err := a.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String(name)})
		noErr(t, err)
		want = append(want, name)
	}
	for _, page := range []int32{0, 1, 5} {
		sameIDs(t, fmt.Sprintf("lists paged by %d", page), optOutListNames(t, a, page), want)
	}
	_, err = a.DescribeOptOutLists(bg, &sms.DescribeOptOutListsInput{NextToken: aws.String("garbage")})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidNextToken)

	// Delete: not Default, not while a number uses it.
	_, err = a.DeleteOptOutList(bg, &sms.DeleteOptOutListInput{OptOutListName: aws.String("Default")})
	wantConflict(t, err, types.ConflictExceptionReasonResourceDeletionNotAllowed, types.ResourceTypeOptOutList, "Default")
	n := newNumber(t, a, numberSpec{list: "promo-2024"})
	_, err = a.DeleteOptOutList(bg, &sms.DeleteOptOutListInput{OptOutListName: aws.String("promo-2024")})
	wantConflict(t, err, types.ConflictExceptionReasonResourceDeletionNotAllowed, types.ResourceTypeOptOutList, "promo-2024")
	_, err = a.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: n.PhoneNumberId, OptOutListName: aws.String("Default")})
	noErr(t, err)
	del, err := a.DeleteOptOutList(bg, &sms.DeleteOptOutListInput{OptOutListName: aws.String(arnOf(AccountA, "opt-out-list/promo-2024"))})
	noErr(t, err)
	eq(t, "deleted list", aws.ToString(del.OptOutListName), "promo-2024")
	_, err = a.DescribeOptOutLists(bg, &sms.DescribeOptOutListsInput{OptOutListNames: []string{"promo-2024"}})
	wantNotFound(t, err, types.ResourceTypeOptOutList, "promo-2024")
	_, err = a.DeleteOptOutList(bg, &sms.DeleteOptOutListInput{OptOutListName: aws.String("promo-2024")})
	wantNotFound(t, err, types.ResourceTypeOptOutList, "promo-2024")
	// The name is free again.
	_, err = a.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("promo-2024")})
	noErr(t, err)
	sameIDs(t, "account B still has only Default", optOutListNames(t, b, 0), []string{"Default"})
}

func optedOut(t testing.TB, c *sms.Client, list string, filter []string, page int32) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	var token *string
	for i := 0; i < 1000; i++ {
		in := &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String(list), NextToken: token}
		if filter != nil {
			in.Filters = []types.OptedOutFilter{{Name: types.OptedOutFilterNameEndUserOptedOut, Values: filter}}
		}
		if page > 0 {
			in.MaxResults = aws.Int32(page)
		}
		res, err := c.DescribeOptedOutNumbers(bg, in)
		noErr(t, err)
		for _, o := range res.OptedOutNumbers {
			num := aws.ToString(o.OptedOutNumber)
			if _, dup := out[num]; dup {
				t.Fatalf("opted-out number %s listed twice", num)
			}
			if o.OptedOutTimestamp == nil {
				t.Errorf("opted-out number %s without timestamp", num)
			}
			out[num] = o.EndUserOptedOut
		}
		if res.NextToken == nil {
			return out
		}
		token = res.NextToken
	}
	t.Fatal("DescribeOptedOutNumbers never ends")
	return nil
}

func testOptedOutNumbers(t *testing.T, h *Harness) {
	c := h.A()
	_, err := c.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("customers")})
	noErr(t, err)
	put, err := c.PutOptedOutNumber(bg, &sms.PutOptedOutNumberInput{OptOutListName: aws.String("customers"), OptedOutNumber: aws.String("+12065550111")})
	noErr(t, err)
	eq(t, "put number", aws.ToString(put.OptedOutNumber), "+12065550111")
	eq(t, "put list", aws.ToString(put.OptOutListName), "customers")
	eq(t, "put list ARN", aws.ToString(put.OptOutListArn), arnOf(AccountA, "opt-out-list/customers"))
	eq(t, "put by the account", put.EndUserOptedOut, false)
	_, err = c.PutOptedOutNumber(bg, &sms.PutOptedOutNumberInput{OptOutListName: aws.String(arnOf(AccountA, "opt-out-list/customers")), OptedOutNumber: aws.String("+12065550112")})
	noErr(t, err)
	// An end user's own opt-out (the inbound STOP path).
	if _, err := h.Server.SMS.OptOut(bg, AccountA, "customers", "+12065550113", true); err != nil {
		t.Fatal(err)
	}
	eq(t, "all opted out", fmt.Sprint(optedOut(t, c, "customers", nil, 0)), fmt.Sprint(map[string]bool{"+12065550111": false, "+12065550112": false, "+12065550113": true}))
	eq(t, "end-user-opted-out true", fmt.Sprint(optedOut(t, c, "customers", []string{"true"}, 0)), fmt.Sprint(map[string]bool{"+12065550113": true}))
	eq(t, "end-user-opted-out false", fmt.Sprint(optedOut(t, c, "customers", []string{"false"}, 1)), fmt.Sprint(map[string]bool{"+12065550111": false, "+12065550112": false}))
	eq(t, "Default list is empty", len(optedOut(t, c, "Default", nil, 0)), 0)
	_, err = c.DescribeOptedOutNumbers(bg, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String("customers"),
		Filters: []types.OptedOutFilter{{Name: types.OptedOutFilterNameEndUserOptedOut, Values: []string{"perhaps"}}}})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidFilterValues)
	one, err := c.DescribeOptedOutNumbers(bg, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String("customers"), OptedOutNumbers: []string{"+12065550112"}})
	noErr(t, err)
	if len(one.OptedOutNumbers) != 1 || aws.ToString(one.OptedOutNumbers[0].OptedOutNumber) != "+12065550112" {
		t.Errorf("by number: %+v", one.OptedOutNumbers)
	}
	eq(t, "described list name", aws.ToString(one.OptOutListName), "customers")
	eq(t, "described list ARN", aws.ToString(one.OptOutListArn), arnOf(AccountA, "opt-out-list/customers"))
	_, err = c.DescribeOptedOutNumbers(bg, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String("customers"), OptedOutNumbers: []string{"+12065550199"}})
	wantNotFound(t, err, types.ResourceTypeOptedOutNumber, "+12065550199")
	_, err = c.DescribeOptedOutNumbers(bg, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String("nobody")})
	wantNotFound(t, err, types.ResourceTypeOptOutList, "nobody")
	_, err = c.PutOptedOutNumber(bg, &sms.PutOptedOutNumberInput{OptOutListName: aws.String("nobody"), OptedOutNumber: aws.String("+12065550111")})
	wantNotFound(t, err, types.ResourceTypeOptOutList, "nobody")
	_, err = c.PutOptedOutNumber(bg, &sms.PutOptedOutNumberInput{OptOutListName: aws.String("customers"), OptedOutNumber: aws.String("call-me")})
	wantValidation(t, err, types.ValidationExceptionReasonFieldValidationFailed, "OptedOutNumber")

	del, err := c.DeleteOptedOutNumber(bg, &sms.DeleteOptedOutNumberInput{OptOutListName: aws.String("customers"), OptedOutNumber: aws.String("+12065550111")})
	noErr(t, err)
	eq(t, "deleted number", aws.ToString(del.OptedOutNumber), "+12065550111")
	_, err = c.DeleteOptedOutNumber(bg, &sms.DeleteOptedOutNumberInput{OptOutListName: aws.String("customers"), OptedOutNumber: aws.String("+12065550111")})
	wantNotFound(t, err, types.ResourceTypeOptedOutNumber, "+12065550111")
	eq(t, "after delete", fmt.Sprint(optedOut(t, c, "customers", nil, 0)), fmt.Sprint(map[string]bool{"+12065550112": false, "+12065550113": true}))

	// Paging.
	want := map[string]bool{"+12065550112": false, "+12065550113": true}
	for i := 0; i < 12; i++ {
		num := fmt.Sprintf("+1425555%04d", i)
		_, err := c.PutOptedOutNumber(bg, &sms.PutOptedOutNumberInput{OptOutListName: aws.String("customers"), OptedOutNumber: aws.String(num)})
		noErr(t, err)
		want[num] = false
	}
	for _, page := range []int32{0, 1, 5, 14} {
		eq(t, fmt.Sprintf("opted out paged by %d", page), fmt.Sprint(optedOut(t, c, "customers", nil, page)), fmt.Sprint(want))
	}
	_, err = c.DescribeOptedOutNumbers(bg, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String("customers"), NextToken: aws.String("nonsense")})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidNextToken)
	// Deleting the list deletes its entries: a list of the same name starts empty.
	_, err = c.DeleteOptOutList(bg, &sms.DeleteOptOutListInput{OptOutListName: aws.String("customers")})
	noErr(t, err)
	_, err = c.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("customers")})
	noErr(t, err)
	eq(t, "recreated list", len(optedOut(t, c, "customers", nil, 0)), 0)
}
