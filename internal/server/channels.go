package server

import (
	"context"
	"fmt"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/sns"
)

// channelChecker completes End User Messaging SMS's two-way channel checks
// with what SNS knows: the topic must exist and must not be FIFO.
type channelChecker struct{ sns *sns.Service }

func (c channelChecker) CheckTwoWayChannel(ctx context.Context, account, channelArn, roleArn string) error {
	if kind, _ := smsvoice.ParseChannel(channelArn); kind != smsvoice.ChannelSNS {
		return nil
	}
	info, found, err := c.sns.LookupTopic(ctx, channelArn)
	if err != nil {
		return duplex.Internal("InternalServerException", err)
	}
	if !found {
		return duplex.Validation("TWO_WAY_TOPIC_NOT_PRESENT", fmt.Sprintf("The SNS topic %s does not exist.", channelArn),
			duplex.FieldError{Name: "TwoWayChannelArn", Message: "topic does not exist"})
	}
	if info.Fifo {
		return duplex.Validation("INVALID_PARAMETER", fmt.Sprintf("%s is a FIFO topic; two-way messaging does not support Amazon SNS FIFO topics.", channelArn),
			duplex.FieldError{Name: "TwoWayChannelArn", Message: "FIFO topics are not supported"})
	}
	return nil
}
