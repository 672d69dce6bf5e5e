package console

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/duplexsms/duplex/internal/carrier"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/twoway"
)

// DefaultCustomer is the customer number the phone simulator starts with
// (the seed's example originationNumber).
const DefaultCustomer = "+14255550182"

var e164 = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)

// bubble is one message of a simulator conversation.
type bubble struct {
	FromCustomer bool
	Body         string
	Status       string
	Reason       string
	Keyword      string
	At           time.Time
	ID           string
}

type simData struct {
	Customer string
	Number   string // the account's number, E.164
	Numbers  []smsvoice.PhoneNumberInfo
	Thread   []bubble
	Body     string
}

func (c *Console) simulatorPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := &simData{Customer: strings.TrimSpace(q.Get("customer")), Number: q.Get("number")}
	if d.Customer == "" {
		d.Customer = DefaultCustomer
	}
	c.showSimulator(w, r, s, d, http.StatusOK, nil)
}

func (c *Console) showSimulator(w http.ResponseWriter, r *http.Request, s *session, d *simData, status int, p *problems) {
	max := int32(100)
	out, err := call(r.Context(), c.smsModel, "DescribePhoneNumbers", c.cfg.SMS.DescribePhoneNumbers,
		&smsvoice.DescribePhoneNumbersInput{MaxResults: &max, Filters: []smsvoice.Filter{{Name: "status", Values: []string{"ACTIVE"}}}})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	d.Numbers = out.PhoneNumbers
	if d.Number == "" && len(d.Numbers) > 0 {
		d.Number = d.Numbers[0].PhoneNumber
	}
	if p == nil {
		p = &problems{}
	}
	if !e164.MatchString(d.Customer) {
		p.field("customer", "Enter the customer's number in E.164 form, like +14255550182.")
	} else if d.Number != "" {
		if d.Thread, err = c.thread(r, s, d.Customer, d.Number); err != nil {
			c.fail(w, r, s, err)
			return
		}
	}
	c.render(w, r, status, "simulator", &page{Title: "Phone simulator", Nav: "simulator", Session: s, Problems: p, Data: d})
}

// thread is the conversation between a customer and one of the account's
// numbers: the customer's texts (inbound messages) and what the account
// sent them from that number (the simulator's outbox), oldest first.
func (c *Console) thread(r *http.Request, s *session, customer, number string) ([]bubble, error) {
	var out []bubble
	if c.cfg.Inbound != nil {
		in, err := c.cfg.Inbound.List(r.Context(), "", number, 100)
		if err != nil {
			return nil, err
		}
		for _, m := range in {
			if m.Account != s.Account || m.OriginationNumber != customer {
				continue
			}
			b := bubble{FromCustomer: true, Body: m.MessageBody, Status: m.Status, Keyword: m.MessageKeyword,
				At: m.ReceivedTimestamp, ID: m.InboundMessageID}
			if m.Status == twoway.StatusRetrying || m.Status == twoway.StatusFailed {
				b.Reason = m.Reason
			}
			out = append(out, b)
		}
	}
	sent, err := c.cfg.SMS.Outbox(r.Context(), customer, 100)
	if err != nil {
		return nil, err
	}
	for _, m := range sent {
		if m.Account != s.Account || m.OriginationNumber != number {
			continue
		}
		out = append(out, bubble{Body: m.MessageBody, Status: m.Status, Reason: m.StatusReason, At: m.CreatedTimestamp, ID: m.MessageID})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

func (c *Console) simulatorThread(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	customer, number := q.Get("customer"), q.Get("number")
	d := &simData{Customer: customer, Number: number}
	if e164.MatchString(customer) && e164.MatchString(number) {
		var err error
		if d.Thread, err = c.thread(r, s, customer, number); err != nil {
			c.fail(w, r, s, err)
			return
		}
	}
	c.fragment(w, "thread", &page{Session: s, Data: d})
}

// simulatorSend is the customer texting one of the account's numbers: the
// message enters the inbound pipeline as if a carrier had delivered it.
func (c *Console) simulatorSend(w http.ResponseWriter, r *http.Request, s *session) {
	d := &simData{Customer: strings.TrimSpace(r.PostFormValue("customer")), Number: r.PostFormValue("number"),
		Body: r.PostFormValue("body")}
	var p problems
	if !e164.MatchString(d.Customer) {
		p.field("customer", "Enter the customer's number in E.164 form, like +14255550182.")
	}
	if strings.TrimSpace(d.Body) == "" {
		p.field("body", "Type a message.")
	}
	owner, num, err := c.cfg.SMS.LookupNumber(r.Context(), d.Number)
	if err != nil || owner != s.Account || num.Info.Status != "ACTIVE" {
		p.field("number", "Choose one of your active phone numbers.")
	}
	if !p.any() && c.cfg.Inbound == nil {
		p.top("The inbound pipeline is not running on this server.")
	}
	if p.any() {
		if fetched(r) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			msgs := p.Top
			for _, m := range p.Fields {
				msgs = append(msgs, m)
			}
			sort.Strings(msgs)
			w.Write([]byte(strings.Join(msgs, " ")))
			return
		}
		c.showSimulator(w, r, s, d, http.StatusBadRequest, &p)
		return
	}
	_, err = c.cfg.Inbound.Receive(r.Context(), carrier.Inbound{From: d.Customer, To: d.Number, Body: d.Body, Carrier: "simulator"})
	if errors.Is(err, twoway.ErrUnknownNumber) {
		p.field("number", "Choose one of your active phone numbers.")
		c.showSimulator(w, r, s, d, http.StatusBadRequest, &p)
		return
	}
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	if fetched(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "/console/simulator?customer="+url.QueryEscape(d.Customer)+"&number="+url.QueryEscape(d.Number), http.StatusSeeOther)
}

// fetched reports whether the console's script sent the request (it then
// wants a short answer instead of a page).
func fetched(r *http.Request) bool { return r.Header.Get("X-Requested-With") == "fetch" }
