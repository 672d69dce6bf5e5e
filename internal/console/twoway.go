package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/iam"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/sns"
	"github.com/duplexsms/duplex/internal/twoway"
)

// twoWayForm is the "Edit settings" form of the Two-way SMS tab, in the
// seed's words: Enable two-way message; Destination type (Amazon SNS or
// Amazon Connect); for SNS a new or an existing topic (the Incoming messages
// destination); the Two-way channel role (an existing IAM role, or the
// topic's policies).
type twoWayForm struct {
	Enabled      bool
	Destination  string // sns | connect
	Topic        string // new | existing
	NewTopicName string
	TopicArn     string // TwoWayChannelArn (existing topic)
	RoleChoice   string // role | topic-policy
	RoleArn      string // TwoWayChannelRole
}

type editData struct {
	Number      *smsvoice.PhoneNumberInfo
	Form        twoWayForm
	Topics      []string
	Roles       []iam.Role
	TopicPolicy string // the statement a topic needs for "Use Amazon SNS topic policies"
	// Window is the "Import phone number to Amazon Connect" window, shown
	// after Amazon Connect settings are saved (nil: closed).
	Window *importWindow
	// ConnectChannel is the TwoWayChannelArn of Amazon Connect in this region.
	ConnectChannel string
	// ConnectPolicy is the seed's permission policy for the Connect role.
	ConnectPolicy string
}

// connectPermissionPolicy is the seed's permission policy of the role
// Amazon Connect delivery uses.
const connectPermissionPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["connect:SendChatIntegrationEvent"],
      "Resource": ["*"]
    }
  ]
}`

// connectChannel is the two-way channel of Amazon Connect in a region.
func connectChannel(region string) string { return "connect." + region + ".amazonaws.com" }

// Sid of the statement duplex adds to the policy of a topic it creates.
const twoWaySid = "SMSVoiceTwoWayPublish"

func defaultTopicName(n *smsvoice.PhoneNumberInfo) string {
	return "sms-inbound-" + strings.TrimPrefix(n.PhoneNumber, "+")
}

func formFromNumber(n *smsvoice.PhoneNumberInfo) twoWayForm {
	f := twoWayForm{Enabled: n.TwoWayEnabled, Destination: "sns", Topic: "new", NewTopicName: defaultTopicName(n),
		TopicArn: n.TwoWayChannelArn, RoleChoice: "topic-policy", RoleArn: n.TwoWayChannelRole}
	switch kind, _ := smsvoice.ParseChannel(n.TwoWayChannelArn); kind {
	case smsvoice.ChannelConnect:
		f.Destination = "connect"
	case smsvoice.ChannelSNS:
		f.Topic = "existing"
	}
	if n.TwoWayChannelRole != "" {
		f.RoleChoice = "role"
	}
	return f
}

func (c *Console) editTwoWayPage(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := c.number(r)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	var win *importWindow
	if kind, _ := smsvoice.ParseChannel(n.TwoWayChannelArn); kind == smsvoice.ChannelConnect && r.URL.Query().Get("import") == "1" {
		win = c.importWindowData(r.Context(), n.PhoneNumberArn)
	}
	c.showEditWindow(w, r, s, n, formFromNumber(n), http.StatusOK, nil, win)
}

func (c *Console) showEdit(w http.ResponseWriter, r *http.Request, s *session, n *smsvoice.PhoneNumberInfo, f twoWayForm, status int, p *problems) {
	c.showEditWindow(w, r, s, n, f, status, p, nil)
}

func (c *Console) showEditWindow(w http.ResponseWriter, r *http.Request, s *session, n *smsvoice.PhoneNumberInfo, f twoWayForm, status int, p *problems, win *importWindow) {
	d := &editData{Number: n, Form: f, Window: win, ConnectChannel: connectChannel(c.region()), ConnectPolicy: connectPermissionPolicy}
	var err error
	if d.Topics, err = c.topics(r.Context()); err != nil {
		if p == nil {
			p = &problems{}
		}
		p.top("The account's SNS topics could not be listed: " + err.Error())
	}
	if d.Roles, err = c.roles(r.Context()); err != nil {
		if p == nil {
			p = &problems{}
		}
		p.top("The account's IAM roles could not be listed: " + err.Error())
	}
	if f.TopicArn != "" {
		d.TopicPolicy = topicStatement(f.TopicArn, s.Account, c.region())
	} else {
		d.TopicPolicy = topicStatement(fmt.Sprintf("arn:aws:sns:%s:%s:TOPIC-NAME", c.region(), s.Account), s.Account, c.region())
	}
	c.render(w, r, status, "twoway_edit", &page{Title: "Edit two-way settings — " + n.PhoneNumber, Nav: "numbers",
		Session: s, Problems: p, Data: d})
}

func (c *Console) region() string {
	if c.cfg.SMS != nil && c.cfg.SMS.Region != "" {
		return c.cfg.SMS.Region
	}
	return c.cfg.Region
}

// topics lists the account's topics (ListTopics, every page).
func (c *Console) topics(ctx context.Context) ([]string, error) {
	if c.cfg.SNS == nil {
		return nil, nil
	}
	var out []string
	in := &sns.ListTopicsInput{}
	for range 50 {
		res, err := call(ctx, c.snsModel, "ListTopics", c.cfg.SNS.ListTopics, in)
		if err != nil {
			return out, err
		}
		for _, t := range res.Topics {
			out = append(out, t.TopicArn)
		}
		if res.NextToken == nil {
			break
		}
		in.NextToken = res.NextToken
	}
	return out, nil
}

// roles lists the account's roles (ListRoles, every page).
func (c *Console) roles(ctx context.Context) ([]iam.Role, error) {
	if c.cfg.IAM == nil {
		return nil, nil
	}
	var out []iam.Role
	in := &iam.ListRolesInput{}
	for range 50 {
		res, err := call(ctx, c.iamModel, "ListRoles", c.cfg.IAM.ListRoles, in)
		if err != nil {
			return out, err
		}
		out = append(out, res.Roles...)
		if !res.IsTruncated || res.Marker == nil {
			break
		}
		in.Marker = res.Marker
	}
	return out, nil
}

// twoWayFields maps UpdatePhoneNumber members to the form's fields.
func twoWayFields(f twoWayForm) map[string]string {
	arn := "TwoWayChannelArn"
	switch {
	case f.Destination == "connect":
		arn = "Destination"
	case f.Topic == "new":
		arn = "NewTopicName"
	}
	return map[string]string{"TwoWayChannelArn": arn, "TwoWayChannelRole": "TwoWayChannelRole", "TwoWayEnabled": "TwoWayEnabled"}
}

func (c *Console) saveTwoWay(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := c.number(r)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	f := twoWayForm{Enabled: r.PostFormValue("TwoWayEnabled") == "true", Destination: r.PostFormValue("Destination"),
		Topic: r.PostFormValue("Topic"), NewTopicName: strings.TrimSpace(r.PostFormValue("NewTopicName")),
		TopicArn: r.PostFormValue("TwoWayChannelArn"), RoleChoice: r.PostFormValue("RoleChoice"), RoleArn: r.PostFormValue("TwoWayChannelRole")}
	back := "/console/phone-numbers/" + url.PathEscape(n.PhoneNumberId) + "/two-way"
	in := &smsvoice.UpdatePhoneNumberInput{PhoneNumberId: n.PhoneNumberId, TwoWayEnabled: &f.Enabled}
	var p problems
	if f.Enabled {
		switch f.Destination {
		case "connect":
			// Amazon Connect delivers through a role only; after Save
			// changes the seed's "Import phone number to Amazon Connect"
			// window opens.
			f.RoleChoice = "role"
			if f.RoleArn == "" {
				p.field("TwoWayChannelRole", "Choose an IAM role: Amazon Connect receives messages through a role that allows connect:SendChatIntegrationEvent.")
			}
		case "sns":
			switch f.RoleChoice {
			case "role":
				if f.RoleArn == "" {
					p.field("TwoWayChannelRole", "Choose an IAM role, or choose Use Amazon SNS topic policies.")
				}
			case "topic-policy":
				f.RoleArn = "" // no role: the topic's policy must let sms-voice.amazonaws.com publish
			default:
				p.field("RoleChoice", "Choose how duplex gets permission to publish to the topic.")
			}
			if f.Topic != "new" && f.Topic != "existing" {
				p.field("Topic", "Choose New Amazon SNS topic or Existing Amazon SNS topic.")
			}
			if f.Topic == "new" && f.NewTopicName == "" {
				p.field("NewTopicName", "Enter a name for the new topic.")
			}
		default:
			p.field("Destination", "Choose a destination type.")
		}
		if p.any() {
			c.showEdit(w, r, s, n, f, http.StatusBadRequest, &p)
			return
		}
		if f.Destination == "connect" {
			f.TopicArn = connectChannel(c.region())
		} else if f.Topic == "new" {
			arn, err := c.createTwoWayTopic(r.Context(), s.Account, f.NewTopicName)
			if err != nil {
				if e, ok := duplex.AsError(err); ok && len(fieldsOf(e)) == 0 {
					p.field("NewTopicName", describe(e))
				} else {
					p.addError(err, map[string]string{"Name": "NewTopicName"})
				}
				c.showEdit(w, r, s, n, f, statusOf(err), &p)
				return
			}
			f.TopicArn = arn
		}
		in.TwoWayChannelArn, in.TwoWayChannelRole = &f.TopicArn, &f.RoleArn
	}
	// An empty channel or role means "none" (the service clears it); the
	// model's length rules apply to the values a user sets.
	probe := *in
	if probe.TwoWayChannelArn != nil && *probe.TwoWayChannelArn == "" {
		probe.TwoWayChannelArn = nil
	}
	if probe.TwoWayChannelRole != nil && *probe.TwoWayChannelRole == "" {
		probe.TwoWayChannelRole = nil
	}
	_, err = call(r.Context(), c.smsModel, "UpdatePhoneNumber",
		func(ctx context.Context, _ *smsvoice.UpdatePhoneNumberInput) (*smsvoice.PhoneNumberInfo, error) {
			return c.cfg.SMS.UpdatePhoneNumber(ctx, in)
		}, &probe)
	if err != nil {
		p.addError(err, twoWayFields(f))
		if f.Topic == "new" && f.TopicArn != "" {
			// The topic exists now: offer it as the existing one next time.
			f.Topic = "existing"
		}
		c.showEdit(w, r, s, n, f, statusOf(err), &p)
		return
	}
	if f.Enabled && f.Destination == "connect" {
		// Saved; now the window to import the number into an instance.
		seeOther(w, r, "/console/phone-numbers/"+url.PathEscape(n.PhoneNumberId)+"/two-way/edit?import=1", "saved")
		return
	}
	seeOther(w, r, back, "saved")
}

// topicStatement is the topic policy statement that lets End User
// Messaging SMS publish to a topic for this account's numbers only.
func topicStatement(topicArn, account, region string) string {
	b, _ := json.MarshalIndent(statement(topicArn, account, region), "", "  ")
	return string(b)
}

func statement(topicArn, account, region string) map[string]any {
	return map[string]any{
		"Sid":       twoWaySid,
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": twoway.ServicePrincipal},
		"Action":    "sns:Publish",
		"Resource":  topicArn,
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": account},
			"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:aws:sms-voice:%s:%s:*", region, account)},
		},
	}
}

// createTwoWayTopic creates a topic (or finds the account's topic of that
// name) and adds the statement allowing sms-voice.amazonaws.com to publish
// to its access policy, through the SNS API's CreateTopic,
// GetTopicAttributes and SetTopicAttributes.
func (c *Console) createTwoWayTopic(ctx context.Context, account, name string) (string, error) {
	if c.cfg.SNS == nil {
		return "", duplex.Errorf("InvalidParameter", "Amazon SNS is not available on this server.")
	}
	out, err := call(ctx, c.snsModel, "CreateTopic", c.cfg.SNS.CreateTopic, &sns.CreateTopicInput{Name: name})
	if err != nil {
		return "", err
	}
	attrs, err := call(ctx, c.snsModel, "GetTopicAttributes", c.cfg.SNS.GetTopicAttributes, &sns.GetTopicAttributesInput{TopicArn: out.TopicArn})
	if err != nil {
		return "", err
	}
	cur := attrs.Attributes["Policy"]
	if cur == "" {
		cur = sns.DefaultPolicy(out.TopicArn, account)
	}
	pol, changed, err := addStatement(cur, statement(out.TopicArn, account, c.region()))
	if err != nil {
		return "", duplex.Internal("InternalError", err)
	}
	if changed {
		_, err = call(ctx, c.snsModel, "SetTopicAttributes", c.cfg.SNS.SetTopicAttributes,
			&sns.SetTopicAttributesInput{TopicArn: out.TopicArn, AttributeName: "Policy", AttributeValue: &pol})
		if err != nil {
			return "", err
		}
	}
	return out.TopicArn, nil
}

// addStatement appends stmt to a policy document unless a statement with
// its Sid is already there.
func addStatement(doc string, stmt map[string]any) (string, bool, error) {
	var pol map[string]any
	if err := json.Unmarshal([]byte(doc), &pol); err != nil {
		return "", false, fmt.Errorf("topic policy: %w", err)
	}
	var stmts []any
	switch v := pol["Statement"].(type) {
	case []any:
		stmts = v
	case map[string]any:
		stmts = []any{v}
	}
	for _, s := range stmts {
		if m, ok := s.(map[string]any); ok && m["Sid"] == stmt["Sid"] {
			return doc, false, nil
		}
	}
	pol["Statement"] = append(stmts, stmt)
	if _, ok := pol["Version"]; !ok {
		pol["Version"] = "2012-10-17"
	}
	b, err := json.Marshal(pol)
	if err != nil {
		return "", false, err
	}
	return string(b), true, nil
}
