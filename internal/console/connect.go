package console

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/connect"
)

// The Amazon Connect pages: the account's instances (create one), and each
// instance's agent workspace, where an agent sees the open chats that
// customers' texts started, reads a transcript, replies (the reply goes to
// the customer as an SMS from the number they texted) and ends a chat.

type connectData struct {
	Instances []connect.InstanceSummary
	Alias     string // the create form

	Instance *connect.Instance
	Numbers  []connect.PhoneNumber
	Chats    []connect.Contact
	Chat     *connect.Chat // the selected chat
	Body     string        // the reply box
}

func (c *Console) connectAvailable(w http.ResponseWriter, r *http.Request, s *session) bool {
	if c.cfg.Connect == nil {
		c.errorPage(w, r, s, http.StatusNotFound, "Amazon Connect is not available on this server.")
		return false
	}
	return true
}

// instances lists the account's instances (ListInstances, every page).
func (c *Console) instances(ctx context.Context) ([]connect.InstanceSummary, error) {
	if c.cfg.Connect == nil {
		return nil, nil
	}
	var out []connect.InstanceSummary
	in := &connect.ListInstancesInput{}
	for range 100 {
		res, err := call(ctx, c.connectModel, "ListInstances", c.cfg.Connect.ListInstances, in)
		if err != nil {
			return out, err
		}
		out = append(out, res.InstanceSummaryList...)
		if res.NextToken == nil {
			break
		}
		in.NextToken = res.NextToken
	}
	return out, nil
}

func (c *Console) connectPage(w http.ResponseWriter, r *http.Request, s *session) {
	if c.connectAvailable(w, r, s) {
		c.showInstances(w, r, s, &connectData{}, http.StatusOK, nil)
	}
}

func (c *Console) showInstances(w http.ResponseWriter, r *http.Request, s *session, d *connectData, status int, p *problems) {
	var err error
	if d.Instances, err = c.instances(r.Context()); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, status, "connect", &page{Title: "Amazon Connect", Nav: "connect", Session: s, Problems: p, Data: d})
}

// createInstance is CreateInstance with Amazon Connect's own user
// management, inbound and outbound enabled.
func (c *Console) createInstance(w http.ResponseWriter, r *http.Request, s *session) {
	if !c.connectAvailable(w, r, s) {
		return
	}
	d := &connectData{Alias: strings.TrimSpace(r.PostFormValue("InstanceAlias"))}
	yes := true
	in := &connect.CreateInstanceInput{IdentityManagementType: "CONNECT_MANAGED", InboundCallsEnabled: yes, OutboundCallsEnabled: yes}
	if d.Alias != "" {
		in.InstanceAlias = &d.Alias
	}
	out, err := call(r.Context(), c.connectModel, "CreateInstance", c.cfg.Connect.CreateInstance, in)
	if err != nil {
		var p problems
		if e, ok := duplex.AsError(err); ok && len(fieldsOf(e)) == 0 {
			p.field("InstanceAlias", describe(e))
		} else {
			p.addError(err, map[string]string{"InstanceAlias": "InstanceAlias"})
		}
		c.showInstances(w, r, s, d, statusOf(err), &p)
		return
	}
	seeOther(w, r, "/console/connect/instances/"+url.PathEscape(out.Id), "instance-created")
}

// workspace is an instance's agent workspace; ?contact=ID selects a chat.
func (c *Console) workspace(w http.ResponseWriter, r *http.Request, s *session) {
	if !c.connectAvailable(w, r, s) {
		return
	}
	d, err := c.workspaceData(r, r.URL.Query().Get("contact"))
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	title := "Agent workspace"
	if d.Instance.InstanceAlias != "" {
		title += " — " + d.Instance.InstanceAlias
	}
	c.render(w, r, http.StatusOK, "connect", &page{Title: title, Nav: "connect", Session: s, Data: d})
}

func (c *Console) workspaceData(r *http.Request, contactID string) (*connectData, error) {
	ctx := r.Context()
	id := r.PathValue("id")
	inst, err := call(ctx, c.connectModel, "DescribeInstance", c.cfg.Connect.DescribeInstance, &connect.InstanceInput{InstanceId: id})
	if err != nil {
		return nil, err
	}
	d := &connectData{Instance: inst.Instance}
	nums, err := call(ctx, c.connectModel, "ListPhoneNumbersV2", c.cfg.Connect.ListPhoneNumbersV2, &connect.ListPhoneNumbersV2Input{InstanceId: &id})
	if err != nil {
		return nil, err
	}
	d.Numbers = nums.ListPhoneNumbersSummaryList
	if d.Chats, err = c.cfg.Connect.OpenChats(ctx, id); err != nil {
		return nil, err
	}
	if contactID != "" {
		if d.Chat, err = c.cfg.Connect.ChatOf(ctx, id, contactID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// chatsFragment is the open chat list, polled by the script.
func (c *Console) chatsFragment(w http.ResponseWriter, r *http.Request, s *session) {
	if !c.connectAvailable(w, r, s) {
		return
	}
	d, err := c.workspaceData(r, r.URL.Query().Get("contact"))
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.fragment(w, "chats", &page{Session: s, Data: d})
}

// transcriptFragment is a chat's transcript, polled by the script.
func (c *Console) transcriptFragment(w http.ResponseWriter, r *http.Request, s *session) {
	if !c.connectAvailable(w, r, s) {
		return
	}
	chat, err := c.cfg.Connect.ChatOf(r.Context(), r.PathValue("id"), r.PathValue("contact"))
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.fragment(w, "transcript", &page{Session: s, Data: &connectData{Chat: chat}})
}

func chatPath(instance, contact string) string {
	return "/console/connect/instances/" + url.PathEscape(instance) + "?contact=" + url.QueryEscape(contact)
}

// reply is the agent's reply: it goes to the customer as an SMS.
func (c *Console) reply(w http.ResponseWriter, r *http.Request, s *session) {
	if !c.connectAvailable(w, r, s) {
		return
	}
	id, contact, body := r.PathValue("id"), r.PathValue("contact"), r.PostFormValue("body")
	var p problems
	if strings.TrimSpace(body) == "" {
		p.field("body", "Type a reply.")
	} else if _, err := c.cfg.Connect.AgentReply(r.Context(), id, contact, body); err != nil {
		if e, ok := duplex.AsError(err); ok && e.HTTPStatus() == http.StatusNotFound {
			c.fail(w, r, s, err)
			return
		}
		p.field("body", describeErr(err))
		p.top(describeErr(err))
	}
	if p.any() {
		if fetched(r) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(p.Fields["body"]))
			return
		}
		d, err := c.workspaceData(r, contact)
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		d.Body = body
		c.render(w, r, http.StatusBadRequest, "connect", &page{Title: "Agent workspace", Nav: "connect", Session: s, Problems: &p, Data: d})
		return
	}
	if fetched(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, chatPath(id, contact), http.StatusSeeOther)
}

func describeErr(err error) string {
	if e, ok := duplex.AsError(err); ok {
		return describe(e)
	}
	return "Something went wrong: " + err.Error()
}

// endChat ends a chat (StopContact).
func (c *Console) endChat(w http.ResponseWriter, r *http.Request, s *session) {
	if !c.connectAvailable(w, r, s) {
		return
	}
	id, contact := r.PathValue("id"), r.PathValue("contact")
	_, err := call(r.Context(), c.connectModel, "StopContact", c.cfg.Connect.StopContact, &connect.StopContactInput{InstanceId: id, ContactId: contact})
	if e, ok := duplex.AsError(err); ok && e.Code == "ContactNotFoundException" {
		err = nil // it had ended already
	}
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	seeOther(w, r, chatPath(id, contact), "chat-ended")
}

// ---- the "Import phone number to Amazon Connect" window ----

// importWindow is what the window of the two-way edit page shows.
type importWindow struct {
	Instances []connect.InstanceSummary
	Imported  *connect.PhoneNumber // the number's import, if any
	Instance  *connect.Instance    // the instance it is imported into
	Problem   string
}

func (c *Console) importWindowData(ctx context.Context, numberArn string) *importWindow {
	win := &importWindow{}
	if c.cfg.Connect == nil {
		win.Problem = "Amazon Connect is not available on this server."
		return win
	}
	var err error
	if win.Instances, err = c.instances(ctx); err != nil {
		win.Problem = "The account's Amazon Connect instances could not be listed: " + describeErr(err)
	}
	sort.SliceStable(win.Instances, func(i, j int) bool { return win.Instances[i].InstanceAlias < win.Instances[j].InstanceAlias })
	if win.Imported, win.Instance, err = c.cfg.Connect.ImportedAs(ctx, numberArn); err != nil {
		win.Problem = describeErr(err)
	}
	return win
}

// importNumber is the window's Import phone number: ImportPhoneNumber of
// this number into the chosen instance.
func (c *Console) importNumber(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := c.number(r)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	if !c.connectAvailable(w, r, s) {
		return
	}
	instance := r.PostFormValue("InstanceId")
	var win *importWindow
	if instance == "" {
		win = c.importWindowData(r.Context(), n.PhoneNumberArn)
		win.Problem = "Choose the Amazon Connect instance that will receive incoming messages."
	} else {
		_, err = call(r.Context(), c.connectModel, "ImportPhoneNumber", c.cfg.Connect.ImportPhoneNumber,
			&connect.ImportPhoneNumberInput{InstanceId: instance, SourcePhoneNumberArn: n.PhoneNumberArn})
		if err == nil {
			seeOther(w, r, "/console/phone-numbers/"+url.PathEscape(n.PhoneNumberId)+"/two-way", "imported")
			return
		}
		win = c.importWindowData(r.Context(), n.PhoneNumberArn)
		win.Problem = describeErr(err)
	}
	c.showEditWindow(w, r, s, n, formFromNumber(n), http.StatusBadRequest, nil, win)
}
