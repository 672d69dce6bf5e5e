package sns

import (
	"context"
	"errors"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
)

// TopicInfo is what other services may learn about a topic without an
// authorization check: End User Messaging SMS validates a two-way channel
// with it (the topic must exist and must not be FIFO).
type TopicInfo struct {
	Arn   string
	Owner string
	Fifo  bool
}

// LookupTopic returns a topic's TopicInfo, or found=false.
func (s *Service) LookupTopic(ctx context.Context, arn string) (TopicInfo, bool, error) {
	if _, _, ok := s.parseTopicArn(arn); !ok {
		return TopicInfo{}, false, nil
	}
	t, err := s.loadTopic(ctx, s.store, arn)
	if e, ok := duplex.AsError(err); errors.Is(err, store.ErrNotFound) || (ok && e.Code == "NotFound") {
		return TopicInfo{}, false, nil
	}
	if err != nil {
		return TopicInfo{}, false, err
	}
	return TopicInfo{Arn: t.Arn, Owner: t.Owner, Fifo: t.Fifo}, true, nil
}
