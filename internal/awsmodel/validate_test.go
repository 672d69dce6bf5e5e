package awsmodel

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// decode parses JSON the way the servers do (UseNumber).
func decode(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

type vcase struct {
	name    string
	op      string
	input   string
	reason  string       // "" means valid
	fields  []FieldError // checked when not nil
	message string       // checked when not empty
}

func runCases(t *testing.T, service string, cases []vcase) {
	t.Helper()
	m := MustLoad(service)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := m.ValidateInput(c.op, decode(t, c.input))
			if c.reason == "" {
				if got != nil {
					t.Fatalf("want valid, got %+v", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("want %s, got valid", c.reason)
			}
			if got.Reason != c.reason {
				t.Errorf("reason = %s, want %s (%s)", got.Reason, c.reason, got.Message)
			}
			if c.fields != nil && !reflect.DeepEqual(got.Fields, c.fields) {
				t.Errorf("fields = %+v\nwant     %+v", got.Fields, c.fields)
			}
			if c.message != "" && got.Message != c.message {
				t.Errorf("message = %q\nwant      %q", got.Message, c.message)
			}
			if got.Error() != got.Message {
				t.Errorf("Error() = %q, want the message", got.Error())
			}
		})
	}
}

const validRequestPhoneNumber = `{"IsoCountryCode":"US","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"TOLL_FREE"}`

func TestValidatePinpoint(t *testing.T) {
	runCases(t, "pinpoint-sms-voice-v2", []vcase{
		{name: "RequestPhoneNumber valid", op: "RequestPhoneNumber", input: validRequestPhoneNumber},
		{
			name: "RequestPhoneNumber valid with optional members and unknown member", op: "RequestPhoneNumber",
			input: `{"IsoCountryCode":"GB","MessageType":"PROMOTIONAL","NumberCapabilities":["SMS","VOICE"],"NumberType":"LONG_CODE",
				"DeletionProtectionEnabled":true,"Tags":[{"Key":"team","Value":"sms"}],"ClientToken":"abc-123","SomethingNew":{"x":1}}`,
		},
		{
			name: "RequestPhoneNumber missing IsoCountryCode", op: "RequestPhoneNumber",
			input:   `{"MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"TOLL_FREE"}`,
			reason:  ReasonMissingParameter,
			fields:  []FieldError{{Name: "IsoCountryCode", Message: "Member must not be null"}},
			message: "1 validation error detected: Value null at 'isoCountryCode' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "RequestPhoneNumber JSON null counts as missing", op: "RequestPhoneNumber",
			input:  `{"IsoCountryCode":null,"MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"TOLL_FREE"}`,
			reason: ReasonMissingParameter,
			fields: []FieldError{{Name: "IsoCountryCode", Message: "Member must not be null"}},
		},
		{
			name: "RequestPhoneNumber empty body", op: "RequestPhoneNumber", input: `{}`,
			reason: ReasonMissingParameter,
			fields: []FieldError{
				{Name: "IsoCountryCode", Message: "Member must not be null"},
				{Name: "MessageType", Message: "Member must not be null"},
				{Name: "NumberCapabilities", Message: "Member must not be null"},
				{Name: "NumberType", Message: "Member must not be null"},
			},
			message: "4 validation errors detected: Value null at 'isoCountryCode' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'messageType' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'numberCapabilities' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'numberType' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "RequestPhoneNumber bad MessageType enum", op: "RequestPhoneNumber",
			input:   `{"IsoCountryCode":"US","MessageType":"MARKETING","NumberCapabilities":["SMS"],"NumberType":"TOLL_FREE"}`,
			reason:  ReasonFieldValidationFailed,
			fields:  []FieldError{{Name: "MessageType", Message: "Member must satisfy enum value set: [TRANSACTIONAL, PROMOTIONAL]"}},
			message: "1 validation error detected: Value 'MARKETING' at 'messageType' failed to satisfy constraint: Member must satisfy enum value set: [TRANSACTIONAL, PROMOTIONAL]",
		},
		{
			name: "RequestPhoneNumber IsoCountryCode usa fails length and pattern", op: "RequestPhoneNumber",
			input:  `{"IsoCountryCode":"usa","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"TOLL_FREE"}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{
				{Name: "IsoCountryCode", Message: "Member must have length less than or equal to 2"},
				{Name: "IsoCountryCode", Message: "Member must satisfy regular expression pattern: [A-Z]{2}"},
			},
			message: "2 validation errors detected: Value 'usa' at 'isoCountryCode' failed to satisfy constraint: Member must have length less than or equal to 2; " +
				"Value 'usa' at 'isoCountryCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Z]{2}",
		},
		{
			name: "RequestPhoneNumber IsoCountryCode us fails pattern only", op: "RequestPhoneNumber",
			input:   `{"IsoCountryCode":"us","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"TOLL_FREE"}`,
			reason:  ReasonFieldValidationFailed,
			message: "1 validation error detected: Value 'us' at 'isoCountryCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Z]{2}",
		},
		{
			name: "pattern is anchored: extra characters fail", op: "RequestPhoneNumber",
			input:  `{"IsoCountryCode":"U\nS","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"TOLL_FREE"}`,
			reason: ReasonFieldValidationFailed,
		},
		{
			name: "NumberCapabilities too long", op: "RequestPhoneNumber",
			input:  `{"IsoCountryCode":"US","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS","VOICE","MMS","RCS","SMS"],"NumberType":"TOLL_FREE"}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "NumberCapabilities", Message: "Member must have length less than or equal to 4"}},
			message: "1 validation error detected: Value '[SMS, VOICE, MMS, RCS, SMS]' at 'numberCapabilities' failed to satisfy constraint: " +
				"Member must have length less than or equal to 4",
		},
		{
			name: "NumberCapabilities empty", op: "RequestPhoneNumber",
			input:   `{"IsoCountryCode":"US","MessageType":"TRANSACTIONAL","NumberCapabilities":[],"NumberType":"TOLL_FREE"}`,
			reason:  ReasonFieldValidationFailed,
			fields:  []FieldError{{Name: "NumberCapabilities", Message: "Member must have length greater than or equal to 1"}},
			message: "1 validation error detected: Value '[]' at 'numberCapabilities' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{
			name: "NumberCapabilities bad element", op: "RequestPhoneNumber",
			input:  `{"IsoCountryCode":"US","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS","FAX"],"NumberType":"TOLL_FREE"}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "NumberCapabilities[1]", Message: "Member must satisfy enum value set: [SMS, VOICE, MMS, RCS]"}},
			message: "1 validation error detected: Value 'FAX' at 'numberCapabilities.2.member' failed to satisfy constraint: " +
				"Member must satisfy enum value set: [SMS, VOICE, MMS, RCS]",
		},
		{
			name: "NumberCapabilities not a list", op: "RequestPhoneNumber",
			input:  `{"IsoCountryCode":"US","MessageType":"TRANSACTIONAL","NumberCapabilities":"SMS","NumberType":"TOLL_FREE"}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "NumberCapabilities", Message: "Member must be of type list"}},
		},
		{
			name: "boolean given as string", op: "RequestPhoneNumber",
			input:  `{"IsoCountryCode":"US","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"TOLL_FREE","DeletionProtectionEnabled":"true"}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "DeletionProtectionEnabled", Message: "Member must be of type boolean"}},
		},
		{
			name: "missing and invalid together", op: "RequestPhoneNumber",
			input:  `{"IsoCountryCode":"US","MessageType":"X","NumberCapabilities":["SMS"]}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{
				{Name: "MessageType", Message: "Member must satisfy enum value set: [TRANSACTIONAL, PROMOTIONAL]"},
				{Name: "NumberType", Message: "Member must not be null"},
			},
		},
		{
			name: "nested Tags required member", op: "RequestPhoneNumber",
			input:  `{"IsoCountryCode":"US","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"TOLL_FREE","Tags":[{"Key":"ok","Value":"v"},{"Value":""}]}`,
			reason: ReasonMissingParameter,
			fields: []FieldError{{Name: "Tags[1].Key", Message: "Member must not be null"}},
			message: "1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy constraint: " +
				"Member must not be null",
		},
		{name: "DescribePhoneNumbers empty", op: "DescribePhoneNumbers", input: `{}`},
		{name: "DescribePhoneNumbers MaxResults 1", op: "DescribePhoneNumbers", input: `{"MaxResults":1}`},
		{name: "DescribePhoneNumbers MaxResults 100", op: "DescribePhoneNumbers", input: `{"MaxResults":100}`},
		{name: "DescribePhoneNumbers MaxResults 100.0", op: "DescribePhoneNumbers", input: `{"MaxResults":100.0}`},
		{
			name: "DescribePhoneNumbers MaxResults 0", op: "DescribePhoneNumbers", input: `{"MaxResults":0}`,
			reason:  ReasonFieldValidationFailed,
			fields:  []FieldError{{Name: "MaxResults", Message: "Member must have value greater than or equal to 1"}},
			message: "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
		},
		{
			name: "DescribePhoneNumbers MaxResults 101", op: "DescribePhoneNumbers", input: `{"MaxResults":101}`,
			reason:  ReasonFieldValidationFailed,
			fields:  []FieldError{{Name: "MaxResults", Message: "Member must have value less than or equal to 100"}},
			message: "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
		},
		{
			name: "DescribePhoneNumbers MaxResults fractional", op: "DescribePhoneNumbers", input: `{"MaxResults":1.5}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "MaxResults", Message: "Member must be of type integer"}},
		},
		{
			name: "DescribePhoneNumbers MaxResults beyond int32", op: "DescribePhoneNumbers", input: `{"MaxResults":4294967296}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "MaxResults", Message: "Member must be of type integer"}},
		},
		{
			name: "DescribePhoneNumbers valid filters", op: "DescribePhoneNumbers",
			input: `{"Filters":[{"Name":"status","Values":["ACTIVE","PENDING"]},{"Name":"iso-country-code","Values":["US"]}]}`,
		},
		{
			name: "DescribePhoneNumbers nested filter values", op: "DescribePhoneNumbers",
			input:  `{"Filters":[{"Name":"status","Values":["ACTIVE"]},{"Name":"iso-country-code","Values":["U S",""]}]}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{
				{Name: "Filters[1].Values[0]", Message: "Member must satisfy regular expression pattern: [/\\.:A-Za-z0-9+_-]+"},
				{Name: "Filters[1].Values[1]", Message: "Member must have length greater than or equal to 1"},
				{Name: "Filters[1].Values[1]", Message: "Member must satisfy regular expression pattern: [/\\.:A-Za-z0-9+_-]+"},
			},
			message: "3 validation errors detected: " +
				"Value 'U S' at 'filters.2.member.values.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.:A-Za-z0-9+_-]+; " +
				"Value '' at 'filters.2.member.values.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '' at 'filters.2.member.values.2.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.:A-Za-z0-9+_-]+",
		},
		{
			name: "DescribePhoneNumbers filter values list empty and name missing", op: "DescribePhoneNumbers",
			input:  `{"Filters":[{"Values":[]}]}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{
				{Name: "Filters[0].Name", Message: "Member must not be null"},
				{Name: "Filters[0].Values", Message: "Member must have length greater than or equal to 1"},
			},
			message: "2 validation errors detected: Value null at 'filters.1.member.name' failed to satisfy constraint: Member must not be null; " +
				"Value '[]' at 'filters.1.member.values' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{
			name: "DescribePhoneNumbers filter is not an object", op: "DescribePhoneNumbers",
			input:  `{"Filters":["status"]}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "Filters[0]", Message: "Member must be of type structure"}},
		},
		{name: "UpdatePhoneNumber valid", op: "UpdatePhoneNumber", input: `{"PhoneNumberId":"phone-1234","TwoWayEnabled":true,"TwoWayChannelArn":"arn:aws:sns:us-east-1:111122223333:inbound"}`},
		{
			name: "UpdatePhoneNumber TwoWayChannelArn too short", op: "UpdatePhoneNumber",
			input:   `{"PhoneNumberId":"phone-1234","TwoWayChannelArn":"arn:short"}`,
			reason:  ReasonFieldValidationFailed,
			fields:  []FieldError{{Name: "TwoWayChannelArn", Message: "Member must have length greater than or equal to 20"}},
			message: "1 validation error detected: Value 'arn:short' at 'twoWayChannelArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
		},
		{
			name: "UpdatePhoneNumber TwoWayChannelArn too long", op: "UpdatePhoneNumber",
			input:  `{"PhoneNumberId":"phone-1234","TwoWayChannelArn":"arn:` + strings.Repeat("x", 2045) + `"}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "TwoWayChannelArn", Message: "Member must have length less than or equal to 2048"}},
		},
		{
			name: "UpdatePhoneNumber TwoWayChannelArn at max length", op: "UpdatePhoneNumber",
			input: `{"PhoneNumberId":"phone-1234","TwoWayChannelArn":"arn:` + strings.Repeat("x", 2044) + `"}`,
		},
		{
			name: "SendTextMessage whitespace-only body (emulated look-ahead)", op: "SendTextMessage",
			input:  `{"DestinationPhoneNumber":"+12065550100","MessageBody":"  \n "}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "MessageBody", Message: "Member must satisfy regular expression pattern: (?!\\s*$)[\\s\\S]+"}},
		},
		{name: "SendTextMessage body with spaces", op: "SendTextMessage", input: `{"DestinationPhoneNumber":"+12065550100","MessageBody":" hi \n there ","Context":{"k":"v"}}`},
		{
			name: "SendTextMessage context value with trailing space (emulated look-behind)", op: "SendTextMessage",
			input:  `{"DestinationPhoneNumber":"+12065550100","MessageBody":"hi","Context":{"k":"v "}}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "Context", Message: "Map value must satisfy constraint: [Member must satisfy regular expression pattern: (?!\\s)^[\\s\\S]+(?<!\\s)]"}},
		},
		{
			name: "string length counts characters, not bytes", op: "RequestPhoneNumber",
			input:  `{"IsoCountryCode":"ÉÉ","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"TOLL_FREE"}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "IsoCountryCode", Message: "Member must satisfy regular expression pattern: [A-Z]{2}"}},
		},
	})
}

func TestValidateKMS(t *testing.T) {
	runCases(t, "kms", []vcase{
		{name: "CreateKey empty", op: "CreateKey", input: `{}`},
		{name: "CreateKey valid KeySpec", op: "CreateKey", input: `{"KeySpec":"RSA_2048","KeyUsage":"SIGN_VERIFY","Description":"d"}`},
		{
			name: "CreateKey bad KeySpec", op: "CreateKey", input: `{"KeySpec":"RSA_1024"}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "KeySpec", Message: "Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, " +
				"ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519]"}},
		},
		{name: "Encrypt valid blob", op: "Encrypt", input: `{"KeyId":"alias/x","Plaintext":"aGVsbG8="}`},
		{
			name: "Encrypt plaintext is sensitive: value not echoed", op: "Encrypt", input: `{"KeyId":"alias/x","Plaintext":""}`,
			reason:  ReasonFieldValidationFailed,
			message: "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{
			name: "Encrypt plaintext not base64", op: "Encrypt", input: `{"KeyId":"alias/x","Plaintext":"not base64!"}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "Plaintext", Message: "Member must be a base64-encoded blob"}},
		},
		{
			name: "Encrypt missing KeyId", op: "Encrypt", input: `{"Plaintext":"aGVsbG8="}`,
			reason: ReasonMissingParameter,
			fields: []FieldError{{Name: "KeyId", Message: "Member must not be null"}},
		},
	})
}

func TestValidateSNSAndIAM(t *testing.T) {
	runCases(t, "sns", []vcase{
		{name: "Publish valid", op: "Publish", input: `{"Message":"hi","PhoneNumber":"+12065550100","MessageAttributes":{"AWS.SNS.SMS.SMSType":{"DataType":"String","StringValue":"Transactional"}}}`},
		{
			name: "Publish missing message", op: "Publish", input: `{"TopicArn":"arn:aws:sns:us-east-1:111122223333:t"}`,
			reason:  ReasonMissingParameter,
			message: "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "Publish attribute without DataType", op: "Publish", input: `{"Message":"hi","MessageAttributes":{"a":{"StringValue":"x"}}}`,
			reason:  ReasonMissingParameter,
			fields:  []FieldError{{Name: "MessageAttributes[a].DataType", Message: "Member must not be null"}},
			message: "1 validation error detected: Value null at 'messageAttributes.a.dataType' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "TagResource tag key too long", op: "TagResource",
			input:  `{"ResourceArn":"arn:aws:sns:us-east-1:111122223333:t","Tags":[{"Key":"` + strings.Repeat("k", 129) + `","Value":"v"}]}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "Tags[0].Key", Message: "Member must have length less than or equal to 128"}},
		},
	})
	runCases(t, "iam", []vcase{
		{name: "CreateRole valid", op: "CreateRole", input: `{"RoleName":"r","AssumeRolePolicyDocument":"{}","Path":"/a/b/"}`},
		{
			name: "CreateRole bad path (translated \\u escapes)", op: "CreateRole", input: `{"RoleName":"r","AssumeRolePolicyDocument":"{}","Path":"a/b"}`,
			reason: ReasonFieldValidationFailed,
			fields: []FieldError{{Name: "Path", Message: `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`}},
		},
		{
			name: "CreateRole role name pattern", op: "CreateRole", input: `{"RoleName":"r/x","AssumeRolePolicyDocument":"{}"}`,
			reason:  ReasonFieldValidationFailed,
			message: `1 validation error detected: Value 'r/x' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`,
		},
		{name: "ListRoles takes no required input", op: "ListRoles", input: `{}`},
		{name: "operation without input shape", op: "GetAccountSummary", input: `{}`},
	})
}

func TestValidateTopLevel(t *testing.T) {
	m := MustLoad("pinpoint-sms-voice-v2")
	if err := m.ValidateInput("NoSuchOperation", map[string]any{}); err == nil || err.Reason != ReasonUnknownOperation {
		t.Fatalf("unknown operation: got %+v", err)
	}
	if err := m.ValidateInput("DescribePhoneNumbers", nil); err != nil {
		t.Fatalf("nil input for op without required members: %v", err)
	}
	if err := m.ValidateInput("RequestPhoneNumber", nil); err == nil || err.Reason != ReasonMissingParameter {
		t.Fatalf("nil input: got %+v", err)
	}
	for _, bad := range []any{[]any{}, "x", json.Number("1"), true} {
		if err := m.ValidateInput("DescribePhoneNumbers", bad); err == nil || err.Reason != ReasonFieldValidationFailed {
			t.Fatalf("input %#v: got %+v", bad, err)
		}
	}
	// Go numbers (a decoder without UseNumber) are tolerated.
	if err := m.ValidateInput("DescribePhoneNumbers", map[string]any{"MaxResults": float64(5)}); err != nil {
		t.Fatalf("float64 MaxResults: %v", err)
	}
	// The number of reported problems is bounded.
	vals := make([]any, 500)
	for i := range vals {
		vals[i] = "bad value"
	}
	err := m.ValidateInput("DescribePhoneNumbers", map[string]any{"PhoneNumberIds": vals})
	if err == nil || len(err.Fields) > maxFieldErrors {
		t.Fatalf("many errors: got %d fields", len(err.Fields))
	}
	// JSON form of a FieldError uses the AWS member names.
	b, _ := json.Marshal(FieldError{Name: "a", Message: "b"})
	if !bytes.Equal(b, []byte(`{"Name":"a","Message":"b"}`)) {
		t.Fatalf("FieldError JSON = %s", b)
	}
}

func TestPatternTranslation(t *testing.T) {
	cases := []struct {
		pattern  string
		emulated bool
		match    []string
		noMatch  []string
	}{
		{pattern: `[A-Z]{2}`, match: []string{"US"}, noMatch: []string{"USA", "xUS", "us", ""}},
		{pattern: `^arn:.+$`, match: []string{"arn:x"}, noMatch: []string{"xarn:x"}},
		{pattern: `[\u0020-\u00FF]+`, match: []string{"abc ÿ"}, noMatch: []string{"\t", "Ā"}},
		{pattern: `(?!\s*$)[\s\S]+`, emulated: true, match: []string{"a", " a ", "a\n"}, noMatch: []string{" ", "\n\t", ""}},
		{pattern: `(?!\s)^[\s\S]+(?<!\s)`, emulated: true, match: []string{"a", "a b"}, noMatch: []string{" a", "a ", " "}},
		{pattern: `^(?!aws:)[a-z:]+$`, emulated: true, match: []string{"a:b", "awsx"}, noMatch: []string{"aws:x"}},
		{pattern: `(?=.*\d)(?=.*[a-z])\w+`, emulated: true, match: []string{"a1"}, noMatch: []string{"aa", "11"}},
	}
	for _, c := range cases {
		pc, emulated, err := compilePattern(c.pattern)
		if err != nil {
			t.Fatalf("%s: %v", c.pattern, err)
		}
		if emulated != c.emulated {
			t.Errorf("%s: emulated = %v", c.pattern, emulated)
		}
		for _, s := range c.match {
			if !pc.match(s) {
				t.Errorf("%s should match %q", c.pattern, s)
			}
		}
		for _, s := range c.noMatch {
			if pc.match(s) {
				t.Errorf("%s should not match %q", c.pattern, s)
			}
		}
	}
	for _, p := range []string{`^[a-z]([a-z]|-(?!-)){1,61}[a-z]$`, `/^(?=.*[a-z])\S+$/`} {
		if _, _, err := compilePattern(p); err == nil {
			t.Errorf("%s: expected to be reported as not compilable", p)
		}
	}
}

// TestUncheckedPatterns pins the list of model patterns Go's regexp cannot
// enforce, so that a model update that adds one is noticed.
func TestUncheckedPatterns(t *testing.T) {
	var got []string
	for _, svc := range Services() {
		for _, p := range MustLoad(svc).UncheckedPatterns() {
			got = append(got, p.Service+"/"+p.Shape)
		}
	}
	want := []string{"connect/Password", "iam/accountAliasType"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("unchecked patterns = %v, want %v", got, want)
	}
}
