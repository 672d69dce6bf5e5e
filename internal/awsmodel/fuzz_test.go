package awsmodel

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"
)

var fuzzTargets = []struct{ service, op string }{
	{"pinpoint-sms-voice-v2", "RequestPhoneNumber"},
	{"pinpoint-sms-voice-v2", "SendTextMessage"},
	{"pinpoint-sms-voice-v2", "DescribePhoneNumbers"},
	{"pinpoint-sms-voice-v2", "PutRegistrationFieldValue"},
	{"kms", "CreateKey"},
	{"kms", "Encrypt"},
	{"sns", "Publish"},
	{"iam", "CreateRole"},
	{"connect", "SearchUsers"}, // recursive search criteria
}

// FuzzValidate decodes arbitrary bytes as JSON and validates them against
// several operations, and runs the encoders on them: nothing may panic, and
// every ValidationError must be well formed.
func FuzzValidate(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `[]`, `"x"`, `1`,
		validRequestPhoneNumber,
		`{"IsoCountryCode":"usa","MessageType":"X","NumberCapabilities":[],"NumberType":1}`,
		`{"DestinationPhoneNumber":"+12065550100","MessageBody":"  ","Context":{"a":"b ","":null},"TimeToLive":1e300}`,
		`{"Filters":[{"Name":"status","Values":["ACTIVE",null,{}]}],"MaxResults":-1}`,
		`{"KeySpec":"RSA_1024","Tags":[{"TagKey":"k"}],"Plaintext":"===="}`,
		`{"Message":"m","MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"AA=="},"b":[]}}`,
		`{"SearchCriteria":{"OrConditions":[{"AndConditions":[{"StringCondition":{"FieldName":"x"}}]}]}}`,
	} {
		f.Add([]byte(seed))
	}
	models := map[string]*Model{}
	for _, t := range fuzzTargets {
		models[t.service] = MustLoad(t.service)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return
		}
		for _, tg := range fuzzTargets {
			m := models[tg.service]
			if verr := m.ValidateInput(tg.op, v); verr != nil {
				if verr.Reason != ReasonMissingParameter && verr.Reason != ReasonFieldValidationFailed {
					t.Fatalf("%s: reason %q", tg.op, verr.Reason)
				}
				if verr.Message == "" || len(verr.Fields) == 0 || len(verr.Fields) > maxFieldErrors {
					t.Fatalf("%s: malformed error %+v", tg.op, verr)
				}
			}
			_, _ = m.MarshalJSONOutput(tg.op, v)
		}
		_, _ = MustLoad("sns").MarshalQueryResponse("GetTopicAttributes", v, "r")
		_, _ = MustLoad("iam").MarshalQueryResponse("ListRoles", v, "r")
	})
}

// FuzzDecodeQuery feeds arbitrary form bodies through DecodeQuery and
// ValidateInput.
func FuzzDecodeQuery(f *testing.F) {
	for _, seed := range []string{
		"Action=Publish&Message=hi&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String",
		"Name=t&Attributes.entry.1.key=k&Attributes.entry.1.value=v&Tags.member.1.Key=a&Tags.member.1.Value=b",
		"Tags=&Tags.member.0.Key=x&Tags.member.99999999999999999999.Key=y&Attributes.entry..key=",
	} {
		f.Add(seed)
	}
	sn, im := MustLoad("sns"), MustLoad("iam")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		for _, c := range []struct {
			m  *Model
			op string
		}{{sn, "Publish"}, {sn, "CreateTopic"}, {sn, "PublishBatch"}, {im, "CreateRole"}, {im, "PutRolePolicy"}} {
			v, err := c.m.DecodeQuery(c.op, form)
			if err != nil {
				t.Fatal(err)
			}
			_ = c.m.ValidateInput(c.op, v)
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("decoded value does not marshal: %v", err)
			}
		}
	})
}

func BenchmarkValidateInput(b *testing.B) {
	m := MustLoad("pinpoint-sms-voice-v2")
	cases := []struct{ name, op, input string }{
		{"SendTextMessage", "SendTextMessage", `{"DestinationPhoneNumber":"+12065550100","OriginationIdentity":"+12065550199","MessageBody":"Your code is 123456","MessageType":"TRANSACTIONAL","ConfigurationSetName":"default","Context":{"order":"42"},"TimeToLive":300}`},
		{"RequestPhoneNumber", "RequestPhoneNumber", validRequestPhoneNumber},
		{"DescribePhoneNumbersFilters", "DescribePhoneNumbers", `{"Filters":[{"Name":"status","Values":["ACTIVE","PENDING"]},{"Name":"iso-country-code","Values":["US"]}],"MaxResults":50}`},
		{"InvalidRequestPhoneNumber", "RequestPhoneNumber", `{"IsoCountryCode":"usa","MessageType":"X","NumberCapabilities":[]}`},
	}
	for _, c := range cases {
		v := decode(b, c.input)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = m.ValidateInput(c.op, v)
			}
		})
	}
}
