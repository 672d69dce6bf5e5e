package connect_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	connectsdk "github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	smstypes "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/duplexsms/duplex/internal/e2e"
	"github.com/duplexsms/duplex/internal/twoway"
)

func TestConnectDestinationSQLite(t *testing.T)   { testConnectDestination(t, e2e.SQLite) }
func TestConnectDestinationPostgres(t *testing.T) { testConnectDestination(t, e2e.Postgres) }

// testConnectDestination is issue 9 end to end: an instance, a number
// imported into it, two-way to Amazon Connect with the seed's role; a
// customer's texts become one chat an agent answers by SMS; the chat ends
// and the next text starts another; STOP opts out and ends the chat.
func testConnectDestination(t *testing.T, backend e2e.Backend) {
	e := newEnv(t, backend)

	// An instance.
	instanceID := e.instance("duplex-agents")
	d, err := e.connect.DescribeInstance(bg, &connectsdk.DescribeInstanceInput{InstanceId: aws.String(instanceID)})
	noErr(t, err)
	if d.Instance.InstanceStatus != ctypes.InstanceStatusActive || aws.ToString(d.Instance.InstanceAlias) != "duplex-agents" ||
		!strings.HasSuffix(aws.ToString(d.Instance.Arn), ":"+e2e.AccountA+":instance/"+instanceID) {
		t.Fatalf("DescribeInstance: %+v", d.Instance)
	}
	list, err := e.connect.ListInstances(bg, &connectsdk.ListInstancesInput{})
	noErr(t, err)
	if len(list.InstanceSummaryList) != 1 || aws.ToString(list.InstanceSummaryList[0].Id) != instanceID {
		t.Fatalf("ListInstances: %+v", list.InstanceSummaryList)
	}
	// Account B sees none of it.
	_, err = connectClient(e.h, e2e.KeyB).DescribeInstance(bg, &connectsdk.DescribeInstanceInput{InstanceId: aws.String(instanceID)})
	wantErr(t, err, "ResourceNotFoundException")

	// A number, imported: IN_PROGRESS, then CLAIMED.
	num := e.number()
	numberArn, number := aws.ToString(num.PhoneNumberArn), aws.ToString(num.PhoneNumber)
	imp, err := e.connect.ImportPhoneNumber(bg, &connectsdk.ImportPhoneNumberInput{InstanceId: aws.String(instanceID),
		SourcePhoneNumberArn: aws.String(numberArn), PhoneNumberDescription: aws.String("support line")})
	noErr(t, err)
	first, err := e.connect.DescribePhoneNumber(bg, &connectsdk.DescribePhoneNumberInput{PhoneNumberId: imp.PhoneNumberId})
	noErr(t, err)
	if st := first.ClaimedPhoneNumberSummary.PhoneNumberStatus.Status; st != ctypes.PhoneNumberWorkflowStatusInProgress && st != ctypes.PhoneNumberWorkflowStatusClaimed {
		t.Fatalf("status right after import: %s", st)
	}
	claimed := e.waitClaim(aws.ToString(imp.PhoneNumberId), ctypes.PhoneNumberWorkflowStatusClaimed)
	if aws.ToString(claimed.PhoneNumber) != number || aws.ToString(claimed.SourcePhoneNumberArn) != numberArn ||
		aws.ToString(claimed.InstanceId) != instanceID || claimed.PhoneNumberCountryCode != ctypes.PhoneNumberCountryCodeUs {
		t.Fatalf("claimed number: %+v", claimed)
	}
	nums, err := e.connect.ListPhoneNumbersV2(bg, &connectsdk.ListPhoneNumbersV2Input{InstanceId: aws.String(instanceID)})
	noErr(t, err)
	if len(nums.ListPhoneNumbersSummaryList) != 1 || aws.ToString(nums.ListPhoneNumbersSummaryList[0].PhoneNumber) != number {
		t.Fatalf("ListPhoneNumbersV2: %+v", nums.ListPhoneNumbersSummaryList)
	}
	// A number is imported once; only the account's own, ACTIVE, numbers of
	// this region.
	_, err = e.connect.ImportPhoneNumber(bg, &connectsdk.ImportPhoneNumberInput{InstanceId: aws.String(instanceID), SourcePhoneNumberArn: aws.String(numberArn)})
	wantErr(t, err, "InvalidParameterException", "already imported")
	other, err := e.h.B().RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"),
		MessageType: smstypes.MessageTypeTransactional, NumberCapabilities: []smstypes.NumberCapability{smstypes.NumberCapabilitySms},
		NumberType: smstypes.RequestableNumberTypeSimulator})
	noErr(t, err)
	_, err = e.connect.ImportPhoneNumber(bg, &connectsdk.ImportPhoneNumberInput{InstanceId: aws.String(instanceID), SourcePhoneNumberArn: other.PhoneNumberArn})
	wantErr(t, err, "InvalidParameterException", "belongs to account "+e2e.AccountB)
	_, err = e.connect.ImportPhoneNumber(bg, &connectsdk.ImportPhoneNumberInput{InstanceId: aws.String(instanceID),
		SourcePhoneNumberArn: aws.String(strings.Replace(numberArn, e2e.Region, "eu-west-2", 1))})
	wantErr(t, err, "InvalidParameterException", "eu-west-2")
	_, err = e.connect.ImportPhoneNumber(bg, &connectsdk.ImportPhoneNumberInput{InstanceId: aws.String(instanceID),
		SourcePhoneNumberArn: aws.String("arn:aws:sms-voice:us-east-1:" + e2e.AccountA + ":phone-number/phone-00000000000000000000000000000000")})
	wantErr(t, err, "ResourceNotFoundException")

	// Two-way to Amazon Connect with the seed's role.
	role := e.role("ConnectTwoWay", seedTrustPolicy(e2e.AccountA), seedConnectPolicy)
	e.enable(aws.ToString(num.PhoneNumberId), "connect.us-east-1.amazonaws.com", role)

	// The customer's first text starts a chat.
	in1 := e.text(customer, number, "Hi, where is my order?")
	m1 := e.waitInbound(number, in1, twoway.StatusDelivered)
	contactID := m1.ContactID
	if contactID == "" || m1.ChannelArn != "connect.us-east-1.amazonaws.com" {
		t.Fatalf("delivered inbound message: %+v", m1)
	}
	dc, err := e.connect.DescribeContact(bg, &connectsdk.DescribeContactInput{InstanceId: aws.String(instanceID), ContactId: aws.String(contactID)})
	noErr(t, err)
	c := dc.Contact
	if c.Channel != ctypes.ChannelChat || aws.ToString(c.InitialContactId) != contactID || c.DisconnectTimestamp != nil ||
		aws.ToString(c.CustomerEndpoint.Address) != customer || aws.ToString(c.SystemEndpoint.Address) != number ||
		aws.ToString(c.SegmentAttributes["connect:Subtype"].ValueString) != "connect:SMS" {
		t.Fatalf("DescribeContact: %+v", c)
	}

	// The agent joins: CreateParticipant → CreateParticipantConnection →
	// SendMessage. The reply reaches the customer as an SMS from the number.
	cp, err := e.connect.CreateParticipant(bg, &connectsdk.CreateParticipantInput{InstanceId: aws.String(instanceID), ContactId: aws.String(contactID),
		ParticipantDetails: &ctypes.ParticipantDetailsToAdd{ParticipantRole: ctypes.ParticipantRoleAgent, DisplayName: aws.String("Ana")}})
	noErr(t, err)
	if cp.ParticipantCredentials == nil || aws.ToString(cp.ParticipantCredentials.ParticipantToken) == "" || aws.ToString(cp.ParticipantId) == "" {
		t.Fatalf("CreateParticipant: %+v", cp)
	}
	agent := participant{h: e.h, signed: true}
	conn := agent.connect(t, aws.ToString(cp.ParticipantCredentials.ParticipantToken))
	reply := agent.send(t, conn, "Hello! Let me check order 42 for you.")
	var replySMS string
	for _, m := range e.outbox(customer) {
		if m.MessageBody == "Hello! Let me check order 42 for you." && m.OriginationNumber == number {
			replySMS = m.MessageID
		}
	}
	if replySMS == "" {
		t.Fatalf("the agent's reply is not in the simulator outbox: %+v", e.outbox(customer))
	}

	// The customer answers: the same chat, and the text names the agent's
	// SMS as its previousPublishedMessageId.
	in2 := e.text(customer, number, "Thanks, it was order 42")
	m2 := e.waitInbound(number, in2, twoway.StatusDelivered)
	if m2.ContactID != contactID {
		t.Fatalf("the second text went to contact %s, not %s", m2.ContactID, contactID)
	}
	if m2.PreviousPublishedMessageID != replySMS {
		t.Fatalf("previousPublishedMessageId %q, want the agent's SMS %q", m2.PreviousPublishedMessageID, replySMS)
	}
	// The transcript, unsigned this time (the bearer token is what counts).
	tr := participant{h: e.h}.transcript(t, conn, map[string]any{"ScanDirection": "FORWARD", "SortOrder": "ASCENDING"})
	want := []string{"CUSTOMER: Hi, where is my order?", "AGENT: Hello! Let me check order 42 for you.", "CUSTOMER: Thanks, it was order 42"}
	if got := messages(tr); !slices.Equal(got, want) || tr.InitialContactId != contactID {
		t.Fatalf("transcript %v (contact %s), want %v", got, tr.InitialContactId, want)
	}
	if first := tr.Transcript[0]; first.Type != "PARTICIPANT_JOINED" || first.ParticipantRole != "CUSTOMER" {
		t.Fatalf("the transcript does not begin with the customer joining: %+v", first)
	}
	for _, it := range tr.Transcript {
		if it.Id == reply.Id && (it.DisplayName != "Ana" || it.ParticipantId != aws.ToString(cp.ParticipantId)) {
			t.Fatalf("the agent's item: %+v", it)
		}
	}
	// Paging: two at a time, backwards from the most recent (the default).
	page := agent.transcript(t, conn, map[string]any{"MaxResults": 2})
	if len(page.Transcript) != 2 || page.NextToken == "" || page.Transcript[1].Content != "Thanks, it was order 42" {
		t.Fatalf("last page: %+v", page)
	}
	older := agent.transcript(t, conn, map[string]any{"MaxResults": 2, "NextToken": page.NextToken})
	if len(older.Transcript) == 0 || older.Transcript[len(older.Transcript)-1].AbsoluteTime > page.Transcript[0].AbsoluteTime {
		t.Fatalf("older page: %+v", older)
	}

	// The agent ends the chat; the connection can still read the
	// transcript but not send.
	noErr(t, agent.call("disconnect", conn, map[string]any{}, nil))
	dc, err = e.connect.DescribeContact(bg, &connectsdk.DescribeContactInput{InstanceId: aws.String(instanceID), ContactId: aws.String(contactID)})
	noErr(t, err)
	if dc.Contact.DisconnectTimestamp == nil || aws.ToString(dc.Contact.DisconnectReason) != "AGENT_DISCONNECT" {
		t.Fatalf("after DisconnectParticipant: %+v", dc.Contact)
	}
	wantAPIError(t, agent.call("message", conn, map[string]any{"ContentType": "text/plain", "Content": "still there?"}, nil),
		http.StatusForbidden, "AccessDeniedException", "ended")
	if got := messages(agent.transcript(t, conn, map[string]any{})); len(got) != 3 {
		t.Fatalf("transcript after the end: %v", got)
	}

	// The next text starts a new chat; StopContact ends it.
	in3 := e.text(customer, number, "One more thing")
	m3 := e.waitInbound(number, in3, twoway.StatusDelivered)
	if m3.ContactID == "" || m3.ContactID == contactID {
		t.Fatalf("a text after the chat ended went to contact %q (old %s)", m3.ContactID, contactID)
	}
	// Texts sent one after another are appended in the order they arrived,
	// whatever order the inbound workers deliver them in.
	var ids []string
	for _, body := range []string{"part 1", "part 2", "part 3", "part 4", "part 5"} {
		ids = append(ids, e.text(customer, number, body))
	}
	for _, id := range ids {
		if m := e.waitInbound(number, id, twoway.StatusDelivered); m.ContactID != m3.ContactID {
			t.Fatalf("%s went to contact %s, not %s", id, m.ContactID, m3.ContactID)
		}
	}
	cp3, err := e.connect.CreateParticipant(bg, &connectsdk.CreateParticipantInput{InstanceId: aws.String(instanceID), ContactId: aws.String(m3.ContactID),
		ParticipantDetails: &ctypes.ParticipantDetailsToAdd{DisplayName: aws.String("Cy")}})
	noErr(t, err)
	conn3 := agent.connect(t, aws.ToString(cp3.ParticipantCredentials.ParticipantToken))
	got := messages(agent.transcript(t, conn3, map[string]any{"ScanDirection": "FORWARD", "MaxResults": 100}))
	want = []string{"CUSTOMER: One more thing", "CUSTOMER: part 1", "CUSTOMER: part 2", "CUSTOMER: part 3", "CUSTOMER: part 4", "CUSTOMER: part 5"}
	if !slices.Equal(got, want) {
		t.Fatalf("second chat transcript %v, want %v", got, want)
	}
	_, err = e.connect.StopContact(bg, &connectsdk.StopContactInput{InstanceId: aws.String(instanceID), ContactId: aws.String(m3.ContactID)})
	noErr(t, err)
	_, err = e.connect.StopContact(bg, &connectsdk.StopContactInput{InstanceId: aws.String(instanceID), ContactId: aws.String(m3.ContactID)})
	wantErr(t, err, "ContactNotFoundException")
	_, err = e.connect.CreateParticipant(bg, &connectsdk.CreateParticipantInput{InstanceId: aws.String(instanceID), ContactId: aws.String(m3.ContactID),
		ParticipantDetails: &ctypes.ParticipantDetailsToAdd{DisplayName: aws.String("late")}})
	wantErr(t, err, "InvalidRequestException", "ended")

	// STOP: the customer is opted out and the chat ends; an agent cannot
	// text them any more.
	in4 := e.text(customer, number, "Actually, can someone call me?")
	m4 := e.waitInbound(number, in4, twoway.StatusDelivered)
	cp4, err := e.connect.CreateParticipant(bg, &connectsdk.CreateParticipantInput{InstanceId: aws.String(instanceID), ContactId: aws.String(m4.ContactID),
		ParticipantDetails: &ctypes.ParticipantDetailsToAdd{DisplayName: aws.String("Bo")}})
	noErr(t, err)
	conn4 := agent.connect(t, aws.ToString(cp4.ParticipantCredentials.ParticipantToken))
	in5 := e.text(customer, number, "STOP")
	m5 := e.waitInbound(number, in5, twoway.StatusDelivered)
	if m5.ContactID != m4.ContactID || m5.KeywordAction != "OPT_OUT" {
		t.Fatalf("STOP: %+v (chat %s)", m5, m4.ContactID)
	}
	dc, err = e.connect.DescribeContact(bg, &connectsdk.DescribeContactInput{InstanceId: aws.String(instanceID), ContactId: aws.String(m4.ContactID)})
	noErr(t, err)
	if dc.Contact.DisconnectTimestamp == nil || aws.ToString(dc.Contact.DisconnectReason) != "CUSTOMER_OPTED_OUT" {
		t.Fatalf("after STOP: %+v", dc.Contact)
	}
	wantAPIError(t, agent.call("message", conn4, map[string]any{"ContentType": "text/plain", "Content": "Hello?"}, nil),
		http.StatusForbidden, "AccessDeniedException", "ended")
	opted, err := e.sms.DescribeOptedOutNumbers(bg, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String("Default")})
	noErr(t, err)
	if len(opted.OptedOutNumbers) != 1 || aws.ToString(opted.OptedOutNumbers[0].OptedOutNumber) != customer {
		t.Fatalf("opted out: %+v", opted.OptedOutNumbers)
	}

	// Releasing the number from Amazon Connect: texts are no longer
	// delivered, and the reason says so.
	_, err = e.connect.ReleasePhoneNumber(bg, &connectsdk.ReleasePhoneNumberInput{PhoneNumberId: imp.PhoneNumberId})
	noErr(t, err)
	in6 := e.text("+14255550199", number, "Hello?")
	m6 := e.waitInbound(number, in6, twoway.StatusRetrying)
	if !strings.Contains(m6.Reason, "is not imported into an Amazon Connect instance") {
		t.Fatalf("reason: %q", m6.Reason)
	}

	// Deleting the instance.
	_, err = e.connect.DeleteInstance(bg, &connectsdk.DeleteInstanceInput{InstanceId: aws.String(instanceID)})
	noErr(t, err)
	_, err = e.connect.DescribeInstance(bg, &connectsdk.DescribeInstanceInput{InstanceId: aws.String(instanceID)})
	wantErr(t, err, "ResourceNotFoundException")
}
