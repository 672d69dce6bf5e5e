package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/twoway"
)

// Choices offered by the request form. The API decides what is valid (a
// country without numbers, a type not sold there, MMS outside US/CA); the
// lists only save typing.
var (
	countryChoices    = []string{"US", "CA", "GB", "AU", "CR", "DE", "FR"}
	typeChoices       = []string{"SIMULATOR", "LONG_CODE", "TOLL_FREE", "TEN_DLC"}
	messageChoices    = []string{"TRANSACTIONAL", "PROMOTIONAL"}
	capabilityChoices = []string{"SMS", "MMS", "VOICE"}
	keywordActions    = []string{"AUTOMATIC_RESPONSE", "OPT_OUT", "OPT_IN"}
)

type requestForm struct {
	IsoCountryCode     string
	NumberType         string
	MessageType        string
	NumberCapabilities []string
}

type numbersData struct {
	Numbers      []smsvoice.PhoneNumberInfo
	Next         string
	Form         requestForm
	Countries    []string
	Types        []string
	MessageTypes []string
	Capabilities []string
}

// requestFields maps RequestPhoneNumber members to the form's fields (the
// same names).
var requestFields = map[string]string{"IsoCountryCode": "IsoCountryCode", "NumberType": "NumberType",
	"MessageType": "MessageType", "NumberCapabilities": "NumberCapabilities"}

func (c *Console) numbersPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.showNumbers(w, r, s, http.StatusOK, requestForm{IsoCountryCode: "US", NumberType: "SIMULATOR",
		MessageType: "TRANSACTIONAL", NumberCapabilities: []string{"SMS"}}, nil)
}

func (c *Console) showNumbers(w http.ResponseWriter, r *http.Request, s *session, status int, f requestForm, p *problems) {
	max := int32(100)
	in := &smsvoice.DescribePhoneNumbersInput{MaxResults: &max}
	if t := r.URL.Query().Get("next"); t != "" {
		in.NextToken = &t
	}
	out, err := call(r.Context(), c.smsModel, "DescribePhoneNumbers", c.cfg.SMS.DescribePhoneNumbers, in)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	d := &numbersData{Numbers: out.PhoneNumbers, Form: f, Countries: countryChoices, Types: typeChoices,
		MessageTypes: messageChoices, Capabilities: capabilityChoices}
	if out.NextToken != nil {
		d.Next = *out.NextToken
	}
	c.render(w, r, status, "numbers", &page{Title: "Phone numbers", Nav: "numbers", Session: s, Problems: p, Data: d})
}

func (c *Console) requestNumber(w http.ResponseWriter, r *http.Request, s *session) {
	r.ParseForm()
	f := requestForm{IsoCountryCode: r.PostFormValue("IsoCountryCode"), NumberType: r.PostFormValue("NumberType"),
		MessageType: r.PostFormValue("MessageType"), NumberCapabilities: r.PostForm["NumberCapabilities"]}
	_, err := call(r.Context(), c.smsModel, "RequestPhoneNumber", c.cfg.SMS.RequestPhoneNumber, &smsvoice.RequestPhoneNumberInput{
		IsoCountryCode: f.IsoCountryCode, NumberType: f.NumberType, MessageType: f.MessageType, NumberCapabilities: f.NumberCapabilities})
	if err != nil {
		var p problems
		p.addError(err, requestFields)
		c.showNumbers(w, r, s, statusOf(err), f, &p)
		return
	}
	seeOther(w, r, "/console/phone-numbers", "requested")
}

// number loads one of the account's numbers.
func (c *Console) number(r *http.Request) (*smsvoice.PhoneNumberInfo, error) {
	out, err := call(r.Context(), c.smsModel, "DescribePhoneNumbers", c.cfg.SMS.DescribePhoneNumbers,
		&smsvoice.DescribePhoneNumbersInput{PhoneNumberIds: []string{r.PathValue("id")}})
	if err != nil {
		return nil, err
	}
	if len(out.PhoneNumbers) == 0 {
		return nil, errNoNumber(r.PathValue("id"))
	}
	return &out.PhoneNumbers[0], nil
}

type numberData struct {
	Number   *smsvoice.PhoneNumberInfo
	Tab      string
	Inbound  []twoway.InboundMessage
	Keywords []smsvoice.Keyword
	Actions  []string
	Keyword  smsvoice.Keyword // the add form
	OptedOut []smsvoice.OptedOutNumber
	Next     string
	// Connect is the number's Amazon Connect import (two-way tab, when the
	// destination is Amazon Connect).
	Connect *importWindow
}

func (c *Console) numberPage(tab string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		c.showNumber(w, r, s, tab, http.StatusOK, nil, nil)
	}
}

func (c *Console) showNumber(w http.ResponseWriter, r *http.Request, s *session, tab string, status int, p *problems, kw *smsvoice.Keyword) {
	n, err := c.number(r)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	d := &numberData{Number: n, Tab: tab, Actions: keywordActions, Keyword: smsvoice.Keyword{KeywordAction: "AUTOMATIC_RESPONSE"}}
	if kw != nil {
		d.Keyword = *kw
	}
	switch tab {
	case "two-way":
		if kind, _ := smsvoice.ParseChannel(n.TwoWayChannelArn); kind == smsvoice.ChannelConnect {
			d.Connect = c.importWindowData(r.Context(), n.PhoneNumberArn)
		}
	case "inbound":
		if d.Inbound, err = c.inbound(r, s, n); err != nil {
			c.fail(w, r, s, err)
			return
		}
	case "keywords":
		max := int32(100)
		in := &smsvoice.DescribeKeywordsInput{OriginationIdentity: n.PhoneNumberId, MaxResults: &max}
		for {
			out, err := call(r.Context(), c.smsModel, "DescribeKeywords", c.cfg.SMS.DescribeKeywords, in)
			if err != nil {
				c.fail(w, r, s, err)
				return
			}
			d.Keywords = append(d.Keywords, out.Keywords...)
			if out.NextToken == nil {
				break
			}
			in.NextToken = out.NextToken
		}
	case "opt-outs":
		max := int32(100)
		in := &smsvoice.DescribeOptedOutNumbersInput{OptOutListName: n.OptOutListName, MaxResults: &max}
		if t := r.URL.Query().Get("next"); t != "" {
			in.NextToken = &t
		}
		out, err := call(r.Context(), c.smsModel, "DescribeOptedOutNumbers", c.cfg.SMS.DescribeOptedOutNumbers, in)
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		d.OptedOut = out.OptedOutNumbers
		if out.NextToken != nil {
			d.Next = *out.NextToken
		}
	}
	c.render(w, r, status, "number", &page{Title: n.PhoneNumber, Nav: "numbers", Session: s, Problems: p, Data: d})
}

func (c *Console) releaseNumber(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := call(r.Context(), c.smsModel, "ReleasePhoneNumber", c.cfg.SMS.ReleasePhoneNumber, &struct{ PhoneNumberId string }{r.PathValue("id")})
	if err != nil {
		var p problems
		p.addError(err, nil)
		c.showNumber(w, r, s, "details", statusOf(err), &p, nil)
		return
	}
	seeOther(w, r, "/console/phone-numbers", "released")
}

// inbound lists the number's recent inbound messages (the account's own).
func (c *Console) inbound(r *http.Request, s *session, n *smsvoice.PhoneNumberInfo) ([]twoway.InboundMessage, error) {
	if c.cfg.Inbound == nil {
		return nil, nil
	}
	msgs, err := c.cfg.Inbound.List(r.Context(), "", n.PhoneNumber, 50)
	if err != nil {
		return nil, err
	}
	out := msgs[:0]
	for _, m := range msgs {
		if m.Account == s.Account {
			out = append(out, m)
		}
	}
	return out, nil
}

func (c *Console) inboundTable(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := c.number(r)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	msgs, err := c.inbound(r, s, n)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.fragment(w, "inbound-table", &page{Session: s, Data: &numberData{Number: n, Inbound: msgs}})
}

func (c *Console) redrive(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := c.number(r)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	id := r.PostFormValue("inboundMessageId")
	back := "/console/phone-numbers/" + url.PathEscape(n.PhoneNumberId) + "/inbound"
	m, err := c.cfg.Inbound.Get(r.Context(), id)
	if err != nil || m.Account != s.Account || m.DestinationNumber != n.PhoneNumber {
		c.errorPage(w, r, s, http.StatusNotFound, "There is no inbound message "+id+" for "+n.PhoneNumber+".")
		return
	}
	done, err := c.cfg.Inbound.Redrive(r.Context(), []string{id}, false, "")
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	if len(done) == 0 {
		seeOther(w, r, back, "already")
		return
	}
	seeOther(w, r, back, "redriven")
}

var keywordFields = map[string]string{"Keyword": "Keyword", "KeywordMessage": "KeywordMessage", "KeywordAction": "KeywordAction"}

func (c *Console) putKeyword(w http.ResponseWriter, r *http.Request, s *session) {
	kw := smsvoice.Keyword{Keyword: strings.TrimSpace(r.PostFormValue("Keyword")), KeywordMessage: r.PostFormValue("KeywordMessage"),
		KeywordAction: r.PostFormValue("KeywordAction")}
	in := &smsvoice.PutKeywordInput{OriginationIdentity: r.PathValue("id"), Keyword: kw.Keyword, KeywordMessage: kw.KeywordMessage}
	if kw.KeywordAction != "" {
		in.KeywordAction = &kw.KeywordAction
	}
	if _, err := call(r.Context(), c.smsModel, "PutKeyword", c.cfg.SMS.PutKeyword, in); err != nil {
		var p problems
		p.addError(err, keywordFields)
		c.showNumber(w, r, s, "keywords", statusOf(err), &p, &kw)
		return
	}
	seeOther(w, r, "/console/phone-numbers/"+url.PathEscape(r.PathValue("id"))+"/keywords", "keyword")
}

func (c *Console) deleteKeyword(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := call(r.Context(), c.smsModel, "DeleteKeyword", c.cfg.SMS.DeleteKeyword,
		&smsvoice.DeleteKeywordInput{OriginationIdentity: r.PathValue("id"), Keyword: r.PostFormValue("Keyword")})
	if err != nil {
		var p problems
		p.addError(err, nil)
		c.showNumber(w, r, s, "keywords", statusOf(err), &p, nil)
		return
	}
	seeOther(w, r, "/console/phone-numbers/"+url.PathEscape(r.PathValue("id"))+"/keywords", "keyword-gone")
}

func (c *Console) deleteOptOut(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := c.number(r)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	_, err = call(r.Context(), c.smsModel, "DeleteOptedOutNumber", c.cfg.SMS.DeleteOptedOutNumber,
		&smsvoice.PutOptedOutNumberInput{OptOutListName: n.OptOutListName, OptedOutNumber: r.PostFormValue("OptedOutNumber")})
	if err != nil {
		var p problems
		p.addError(err, nil)
		c.showNumber(w, r, s, "opt-outs", statusOf(err), &p, nil)
		return
	}
	seeOther(w, r, "/console/phone-numbers/"+url.PathEscape(n.PhoneNumberId)+"/opt-outs", "opted-in")
}
