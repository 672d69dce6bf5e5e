package smsvoice

// country describes what duplex's number catalogue offers in a country: the
// dialing code used for built-in simulator ranges, the number types that can
// be requested there, and whether inbound (two-way) SMS is supported. The
// values follow AWS's published country capability tables for the countries
// listed; countries not listed cannot have numbers requested.
type country struct {
	dial   string
	nsn    int               // digits of a national number
	types  map[string]string // number type → national prefix of the simulator range
	twoWay bool
}

var countries = map[string]country{
	"US": {nsn: 10, dial: "1", twoWay: true, types: map[string]string{"LONG_CODE": "206555", "TOLL_FREE": "833555", "TEN_DLC": "425555", "SIMULATOR": "206556"}},
	"CA": {nsn: 10, dial: "1", twoWay: true, types: map[string]string{"LONG_CODE": "604555", "TOLL_FREE": "844555"}},
	"AU": {nsn: 9, dial: "61", twoWay: true, types: map[string]string{"LONG_CODE": "4005"}},
	"GB": {nsn: 10, dial: "44", twoWay: true, types: map[string]string{"LONG_CODE": "77009"}},
	"CR": {nsn: 8, dial: "506", twoWay: true, types: map[string]string{"LONG_CODE": "8555"}},
	"DE": {nsn: 11, dial: "49", twoWay: false, types: map[string]string{"LONG_CODE": "15555"}},
	"FR": {nsn: 9, dial: "33", twoWay: false, types: map[string]string{"LONG_CODE": "75555"}},
}

// connectChatRegions are the regions where Amazon Connect offers the SMS
// chat subtype, so where a connect.REGION.amazonaws.com channel may point.
var connectChatRegions = map[string]bool{
	"us-east-1": true, "us-west-2": true, "af-south-1": true, "ap-northeast-1": true,
	"ap-northeast-2": true, "ap-southeast-1": true, "ap-southeast-2": true, "ca-central-1": true,
	"eu-central-1": true, "eu-west-2": true,
}

// ConnectChatRegion reports whether Amazon Connect offers the SMS chat
// subtype in region (where a connect.REGION.amazonaws.com channel may point).
func ConnectChatRegion(region string) bool { return connectChatRegions[region] }
