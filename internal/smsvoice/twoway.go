package smsvoice

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/duplexsms/duplex"
)

// twoWayChange is the two-way part of UpdatePhoneNumber / UpdatePool.
type twoWayChange struct {
	Enabled     *bool
	ChannelArn  *string
	ChannelRole *string
}

func (c twoWayChange) apply(enabled *bool, arn, role *string) {
	if c.Enabled != nil {
		*enabled = *c.Enabled
	}
	if c.ChannelArn != nil {
		*arn = *c.ChannelArn
	}
	if c.ChannelRole != nil {
		*role = *c.ChannelRole
	}
}

var (
	snsTopicARN    = regexp.MustCompile(`^arn:aws[a-z-]*:sns:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$`)
	connectChannel = regexp.MustCompile(`^connect\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$`)
	iamRoleARN     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$`)
)

// ChannelKind tells what a two-way channel ARN names.
type ChannelKind int

const (
	ChannelInvalid ChannelKind = iota
	ChannelSNS
	ChannelConnect
)

// ParseChannel classifies a TwoWayChannelArn: an SNS topic ARN, or
// connect.REGION.amazonaws.com. It returns the region it names.
func ParseChannel(arn string) (ChannelKind, string) {
	if m := snsTopicARN.FindStringSubmatch(arn); m != nil {
		return ChannelSNS, m[1]
	}
	if m := connectChannel.FindStringSubmatch(arn); m != nil {
		return ChannelConnect, m[1]
	}
	return ChannelInvalid, ""
}

// checkTwoWay is the one place where two-way settings are validated, for
// numbers and pools alike. It checks the resulting settings (current values
// with the change applied), so enabling two-way on a number that already has
// a channel needs no channel in the same call.
func (s *Service) checkTwoWay(ctx context.Context, account, iso string, enabled bool, arn, role string, c twoWayChange) error {
	c.apply(&enabled, &arn, &role)
	if c.ChannelArn != nil && arn != "" {
		kind, region := ParseChannel(arn)
		switch kind {
		case ChannelInvalid:
			return duplex.Validation("INVALID_ARN",
				fmt.Sprintf("TwoWayChannelArn %q is neither an SNS topic ARN nor connect.REGION.amazonaws.com.", arn),
				duplex.FieldError{Name: "TwoWayChannelArn", Message: "not an SNS topic ARN or Amazon Connect channel"})
		case ChannelConnect:
			if !connectChatRegions[region] {
				return duplex.Validation("TWO_WAY_NOT_SUPPORTED_IN_REGION",
					fmt.Sprintf("Amazon Connect chat is not available in %s.", region),
					duplex.FieldError{Name: "TwoWayChannelArn", Message: "Connect chat not available in " + region})
			}
		}
	}
	if c.ChannelRole != nil && role != "" && !iamRoleARN.MatchString(role) {
		return duplex.Validation("INVALID_ARN", fmt.Sprintf("TwoWayChannelRole %q is not an IAM role ARN.", role),
			duplex.FieldError{Name: "TwoWayChannelRole", Message: "not an IAM role ARN"})
	}
	if !enabled {
		return nil
	}
	if iso != "" {
		if ct, ok := countries[iso]; !ok || !ct.twoWay {
			return duplex.Validation("TWO_WAY_NOT_SUPPORTED_IN_COUNTRY",
				fmt.Sprintf("Two-way messaging is not supported in %s.", iso),
				duplex.FieldError{Name: "TwoWayEnabled", Message: "two-way not supported in " + iso})
		}
	}
	if strings.TrimSpace(arn) == "" {
		return duplex.Validation("TWO_WAY_CHANNEL_NOT_PRESENT", "Two-way messaging needs a TwoWayChannelArn.",
			duplex.FieldError{Name: "TwoWayChannelArn", Message: "required when TwoWayEnabled is true"})
	}
	if kind, _ := ParseChannel(arn); kind == ChannelConnect && role == "" {
		return duplex.Validation("MISSING_PARAMETER", "An Amazon Connect channel needs a TwoWayChannelRole.",
			duplex.FieldError{Name: "TwoWayChannelRole", Message: "required for Amazon Connect channels"})
	}
	if s.Channels != nil && (c.Enabled != nil || c.ChannelArn != nil || c.ChannelRole != nil) {
		return s.Channels.CheckTwoWayChannel(ctx, account, arn, role)
	}
	return nil
}
