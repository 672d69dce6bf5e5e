package server

import (
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/wire"
)

// smsVoiceOps maps the pinpoint-sms-voice-v2 operations duplex serves to the
// domain service.
func smsVoiceOps(s *smsvoice.Service) map[string]wire.Handler {
	return map[string]wire.Handler{
		"RequestPhoneNumber":              wire.Op(s.RequestPhoneNumber),
		"DescribePhoneNumbers":            wire.Op(s.DescribePhoneNumbers),
		"UpdatePhoneNumber":               wire.Op(s.UpdatePhoneNumber),
		"ReleasePhoneNumber":              wire.Op(s.ReleasePhoneNumber),
		"CreatePool":                      wire.Op(s.CreatePool),
		"DescribePools":                   wire.Op(s.DescribePools),
		"UpdatePool":                      wire.Op(s.UpdatePool),
		"DeletePool":                      wire.Op(s.DeletePool),
		"AssociateOriginationIdentity":    wire.Op(s.AssociateOriginationIdentity),
		"DisassociateOriginationIdentity": wire.Op(s.DisassociateOriginationIdentity),
		"ListPoolOriginationIdentities":   wire.Op(s.ListPoolOriginationIdentities),
		"PutKeyword":                      wire.Op(s.PutKeyword),
		"DescribeKeywords":                wire.Op(s.DescribeKeywords),
		"DeleteKeyword":                   wire.Op(s.DeleteKeyword),
		"CreateOptOutList":                wire.Op(s.CreateOptOutList),
		"DescribeOptOutLists":             wire.Op(s.DescribeOptOutLists),
		"DeleteOptOutList":                wire.Op(s.DeleteOptOutList),
		"PutOptedOutNumber":               wire.Op(s.PutOptedOutNumber),
		"DescribeOptedOutNumbers":         wire.Op(s.DescribeOptedOutNumbers),
		"DeleteOptedOutNumber":            wire.Op(s.DeleteOptedOutNumber),
		"TagResource":                     wire.Op(s.TagResource),
		"UntagResource":                   wire.Op(s.UntagResource),
		"ListTagsForResource":             wire.Op(s.ListTagsForResource),
		"DescribeAccountAttributes":       wire.Op(s.DescribeAccountAttributes),
		"DescribeAccountLimits":           wire.Op(s.DescribeAccountLimits),
		"SendTextMessage":                 wire.Op(s.SendTextMessage),
		"SendMediaMessage":                wire.Op(s.SendMediaMessage),
	}
}
