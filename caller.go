package duplex

import "context"

// Caller is the authenticated identity behind a request, as every service
// sees it. Services authorize with it; nothing below the wire layer looks at
// HTTP.
type Caller struct {
	Account     string // 12-digit account the credentials belong to
	ARN         string // arn:aws:iam::ACCOUNT:root, or an assumed-role session ARN
	AccessKeyID string
	// RoleARN is the role behind an assumed-role session.
	RoleARN string
	// Service is set when an AWS service principal acts
	// (sms-voice.amazonaws.com assuming a role or publishing to a topic).
	Service string
	// SessionPolicy is the optional session policy of an assumed-role session.
	SessionPolicy string
	// Context holds extra request condition keys (aws:SourceArn, aws:CalledViaLast, …).
	Context  map[string]string
	SourceIP string
}

type callerKey struct{}
type requestIDKey struct{}

// WithCaller attaches the caller to ctx.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller attached to ctx, or nil.
func CallerFrom(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey{}).(*Caller)
	return c
}

// WithRequestID attaches the request ID to ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request ID attached to ctx.
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey{}).(string)
	return s
}
