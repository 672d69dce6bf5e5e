package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestConnectImportAndWorkspace is the seed's console step 8 for Amazon
// Connect (the Import phone number window after Save changes), then the
// agent workspace: a customer's text becomes a chat, the agent replies (an
// SMS to the customer) and ends the chat.
func TestConnectImportAndWorkspace(t *testing.T) {
	e := start(t, false)
	b := e.browser()
	b.signIn(keyA, secretA)
	num := requestNumber(t, b)
	id, number := aws.ToString(num.PhoneNumberId), aws.ToString(num.PhoneNumber)
	iamC := e.IAM(keyA, secretA)
	role, err := iamC.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("ConnectTwoWay"), AssumeRolePolicyDocument: aws.String(trustPolicy(accountA))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = iamC.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("ConnectTwoWay"), PolicyName: aws.String("connect"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["connect:SendChatIntegrationEvent"],"Resource":["*"]}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	roleArn := aws.ToString(role.Role.Arn)

	if r := b.get("/console/connect"); r.Status != 200 || !strings.Contains(r.Body, "No Amazon Connect instances yet.") {
		t.Fatalf("instances page: %d\n%s", r.Status, r.Body)
	}

	// Save changes with Amazon Connect: saved, then the window opens.
	edit := "/console/phone-numbers/" + id + "/two-way/edit"
	r := b.post(edit, url.Values{"TwoWayEnabled": {"true"}, "Destination": {"connect"}, "RoleChoice": {"role"}, "TwoWayChannelRole": {roleArn}})
	if r.Status != http.StatusSeeOther || r.Location != edit+"?import=1&done=saved" {
		t.Fatalf("save: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	n := numbersOf(t, e.SMS(keyA, secretA))[0]
	if !n.TwoWayEnabled || aws.ToString(n.TwoWayChannelArn) != "connect.us-east-1.amazonaws.com" || aws.ToString(n.TwoWayChannelRole) != roleArn {
		t.Fatalf("saved settings: %+v", n)
	}
	r = b.get(r.Location)
	for _, want := range []string{"Two-way settings saved.", "Import phone number to Amazon Connect", "No Amazon Connect instances",
		`href="/console/connect"`} {
		if !strings.Contains(r.Body, want) {
			t.Fatalf("the window lacks %q:\n%s", want, r.Body)
		}
	}
	if strings.Contains(r.Body, "not available") {
		t.Fatal("the window still says Amazon Connect is not available")
	}

	// Create an instance; the alias is required.
	if r := b.post("/console/connect", url.Values{"InstanceAlias": {""}}); r.Status != 400 || !strings.Contains(fieldError(r.Body, "InstanceAlias"), "InstanceAlias is required") {
		t.Fatalf("no alias: %d %q", r.Status, fieldError(r.Body, "InstanceAlias"))
	}
	r = b.post("/console/connect", url.Values{"InstanceAlias": {"support"}})
	m := regexp.MustCompile(`^/console/connect/instances/([0-9a-f-]{36})\?done=instance-created$`).FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("create instance: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	instance := m[1]
	workspace := "/console/connect/instances/" + instance

	// The window lists the instance; Import phone number imports into it.
	r = b.get(edit + "?import=1")
	if !strings.Contains(r.Body, `<option value="`+instance+`">support (ACTIVE)</option>`) {
		t.Fatalf("the window does not list the instance:\n%s", r.Body)
	}
	if r := b.post("/console/phone-numbers/"+id+"/two-way/import", url.Values{}); r.Status != 400 || !strings.Contains(r.Body, "Choose the Amazon Connect instance") {
		t.Fatalf("import without an instance: %d\n%s", r.Status, r.Body)
	}
	r = b.post("/console/phone-numbers/"+id+"/two-way/import", url.Values{"InstanceId": {instance}})
	if r.Status != http.StatusSeeOther || r.Location != "/console/phone-numbers/"+id+"/two-way?done=imported" {
		t.Fatalf("import: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	// Importing again: the window says where it is imported.
	r = b.post("/console/phone-numbers/"+id+"/two-way/import", url.Values{"InstanceId": {instance}})
	if r.Status != 400 || !strings.Contains(r.Body, "already imported") || !strings.Contains(r.Body, "is imported into") {
		t.Fatalf("import again: %d\n%s", r.Status, r.Body)
	}
	eventually(t, "the number is CLAIMED", func() bool {
		tab := b.get("/console/phone-numbers/" + id + "/two-way")
		return strings.Contains(tab.Body, `id="twoway-connect"`) && strings.Contains(tab.Body, "CLAIMED")
	})

	// A customer's text becomes a chat in the workspace.
	r = b.post("/console/simulator/send", url.Values{"customer": {"+14255550182"}, "number": {number}, "body": {"Is the store open today?"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("simulator send: %d\n%s", r.Status, r.Body)
	}
	var contact string
	eventually(t, "the chat appears in the workspace", func() bool {
		f := b.get(workspace + "/chats")
		if mm := regexp.MustCompile(`\?contact=([0-9a-f-]{36})">\+14255550182<`).FindStringSubmatch(f.Body); mm != nil {
			contact = mm[1]
			return strings.Contains(f.Body, "Is the store open today?")
		}
		return false
	})
	page := b.get(workspace + "?contact=" + contact)
	for _, want := range []string{"Agent workspace", "Chat with +14255550182", "Is the store open today?", "Send reply", "End chat", number} {
		if !strings.Contains(page.Body, want) {
			t.Fatalf("the workspace lacks %q:\n%s", want, page.Body)
		}
	}

	// Reply (as the script does): an SMS to the customer from the number.
	reply := func(body string, fetch bool) response {
		form := url.Values{"body": {body}, "csrf": {b.csrf}}
		req, _ := http.NewRequest("POST", e.URL+workspace+"/contacts/"+contact+"/reply", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.URL)
		if fetch {
			req.Header.Set("X-Requested-With", "fetch")
		}
		return b.do(req)
	}
	if r := reply("Yes, until 6 pm.", true); r.Status != http.StatusNoContent {
		t.Fatalf("reply: %d %s", r.Status, r.Body)
	}
	out, err := e.Srv.SMS.Outbox(ctx, "+14255550182", 10)
	if err != nil || len(out) == 0 || out[0].MessageBody != "Yes, until 6 pm." || out[0].OriginationNumber != number {
		t.Fatalf("outbox: %+v %v", out, err)
	}
	tr := b.get(workspace + "/contacts/" + contact + "/transcript")
	if !strings.Contains(tr.Body, "Yes, until 6 pm.") || !strings.Contains(tr.Body, "Agent (console) joined") {
		t.Fatalf("transcript:\n%s", tr.Body)
	}
	if r := reply("  ", true); r.Status != 400 || !strings.Contains(r.Body, "Type a reply.") {
		t.Fatalf("empty reply: %d %s", r.Status, r.Body)
	}
	if r := b.postRaw(workspace+"/contacts/"+contact+"/reply", url.Values{"body": {"forged"}}, e.URL); r.Status != http.StatusForbidden {
		t.Fatalf("reply without the form token: %d", r.Status)
	}

	// Account B sees nothing of it.
	other := e.browser()
	other.signIn(keyB, secretB)
	if r := other.get(workspace); r.Status != http.StatusNotFound {
		t.Fatalf("account B opened account A's workspace: %d", r.Status)
	}

	// End chat: the transcript stays readable, replies are refused.
	r = b.post(workspace+"/contacts/"+contact+"/end", url.Values{})
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "done=chat-ended") {
		t.Fatalf("end chat: %d %q", r.Status, r.Location)
	}
	page = b.get(r.Location)
	if !strings.Contains(page.Body, "This chat ended") || strings.Contains(page.Body, "Send reply") {
		t.Fatalf("after the end:\n%s", page.Body)
	}
	if r := reply("Anything else?", false); r.Status != 400 || !strings.Contains(r.Body, "has ended; the reply was not sent") {
		t.Fatalf("reply to an ended chat: %d\n%s", r.Status, r.Body)
	}
	if f := b.get(workspace + "/chats"); !strings.Contains(f.Body, "No open chats") {
		t.Fatalf("chats after the end:\n%s", f.Body)
	}
}
