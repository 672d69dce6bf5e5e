package policy

import (
	"strconv"
	"strings"
)

// AWS-style MalformedPolicyDocument messages.
const (
	MsgSyntax             = "Syntax errors in policy."
	MsgLegacyParsing      = "The policy failed legacy parsing"
	MsgMissingStatement   = "Missing required field Statement"
	MsgEmptyStatement     = "Policy must contain at least one statement."
	MsgMissingEffect      = "Missing required field Effect"
	MsgMissingPrincipal   = "Missing required field Principal"
	MsgPrincipalForbidden = "Policy document should not specify a principal."
	MsgMissingActions     = "Policy statement must contain actions."
	MsgMissingResources   = "Policy statement must contain resources."
	MsgActionVendor       = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	MsgActionColon        = "Actions/Condition can contain only one colon."
	MsgDuplicateSid       = "Statement IDs (SID) in a single policy must be unique."
	MsgSidAlphanumeric    = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
)

// MalformedError is returned by Parse/ParseKind for documents AWS would
// reject with MalformedPolicyDocument (or an equivalent invalid-parameter
// error for resource policies).
type MalformedError struct {
	// Message is the AWS-style message, e.g. "Missing required field Effect",
	// "Invalid effect: Alow", "Unknown condition operator: StringEqualsX".
	Message string
	// Detail optionally adds context (field name, JSON error, ...).
	Detail string
	// Statement is the index of the offending statement, or -1.
	Statement int
	// Sid of the offending statement, if it has one.
	Sid string
	// Offset is the byte offset of a JSON syntax error, or -1.
	Offset int64
}

// Error returns Message followed by the location, e.g.
// `Invalid effect: Alow (Statement[1], Sid "Publish")`.
func (e *MalformedError) Error() string {
	var loc []string
	if e.Statement >= 0 {
		s := "Statement[" + strconv.Itoa(e.Statement) + "]"
		if e.Sid != "" {
			s += ", Sid " + strconv.Quote(e.Sid)
		}
		loc = append(loc, s)
	}
	if e.Offset >= 0 {
		loc = append(loc, "offset "+strconv.FormatInt(e.Offset, 10))
	}
	if e.Detail != "" {
		loc = append(loc, e.Detail)
	}
	if len(loc) == 0 {
		return e.Message
	}
	return e.Message + " (" + strings.Join(loc, ": ") + ")"
}

func malformed(msg, detail string) *MalformedError {
	return &MalformedError{Message: msg, Detail: detail, Statement: -1, Offset: -1}
}
