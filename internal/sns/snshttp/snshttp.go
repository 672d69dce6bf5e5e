// Package snshttp is SNS's HTTP side: the HTTP and HTTPS delivery protocols
// (POSTing envelopes to subscribers) and the endpoints SNS's links point at
// (SubscribeURL, UnsubscribeURL, SigningCertURL) under /_duplex/sns/.
package snshttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/awsmodel"
	"github.com/duplexsms/duplex/internal/sns"
	"github.com/google/uuid"
)

// Protocol delivers to http:// or https:// endpoints.
type Protocol struct {
	Scheme string // "http" or "https"
	Client *http.Client
}

// NewClient is the HTTP client deliveries use: keep-alive connections to
// each subscriber, no redirects (SNS does not follow them), TLS verified.
func NewClient() *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Protocols returns the http and https protocols sharing client.
func Protocols(client *http.Client) map[string]sns.Protocol {
	return map[string]sns.Protocol{
		"http":  &Protocol{Scheme: "http", Client: client},
		"https": &Protocol{Scheme: "https", Client: client},
	}
}

// CheckEndpoint accepts an absolute URL of the protocol's scheme.
func (p *Protocol) CheckEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Scheme, p.Scheme) {
		return errors.New("Endpoint must match the specified protocol")
	}
	return nil
}

// NeedsConfirmation is true: HTTP/S endpoints confirm every subscription.
func (p *Protocol) NeedsConfirmation() bool { return true }

// Deliver POSTs the request. As SNS documents: 2xx (and 3xx, which is not
// followed) is a delivery; 4xx is a permanent failure, except 429 which is
// retried (a throttling subscriber asks for a later try); 5xx, 1xx, a
// timeout or a connection error are retried.
func (p *Protocol) Deliver(ctx context.Context, r *sns.Request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Endpoint, bytes.NewReader(r.Body))
	if err != nil {
		return &sns.DeliveryError{Permanent: true, Err: err}
	}
	for _, h := range r.Header {
		req.Header[h[0]] = []string{h[1]}
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return &sns.DeliveryError{Err: fmt.Errorf("no response within the request timeout: %w", ctx.Err())}
		}
		return &sns.DeliveryError{Err: err}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 400:
		return nil
	case s == http.StatusTooManyRequests:
		return &sns.DeliveryError{Status: s}
	case s >= 400 && s < 500:
		return &sns.DeliveryError{Status: s, Permanent: true}
	default:
		return &sns.DeliveryError{Status: s}
	}
}

// Paths of the endpoints.
const (
	ConfirmPath     = "/_duplex/sns/confirm"
	UnsubscribePath = "/_duplex/sns/unsubscribe"
	CertPrefix      = "/_duplex/sns/"
)

// Handler serves GET ConfirmPath (SubscribeURL), GET UnsubscribePath
// (UnsubscribeURL) and GET /_duplex/sns/SimpleNotificationService-*.pem
// (SigningCertURL). Mount it at "GET /_duplex/sns/".
func Handler(svc *sns.Service) http.Handler {
	model := awsmodel.MustLoad("sns")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqID := uuid.NewString()
		ctx := duplex.WithRequestID(r.Context(), reqID)
		q := r.URL.Query()
		switch {
		case r.URL.Path == ConfirmPath:
			arn, err := svc.ConfirmFromURL(ctx, q.Get("TopicArn"), q.Get("Token"))
			if err != nil {
				writeError(w, model, reqID, err)
				return
			}
			writeXML(w, model, "ConfirmSubscription", reqID, map[string]any{"SubscriptionArn": arn})
		case r.URL.Path == UnsubscribePath:
			if err := svc.UnsubscribeFromURL(ctx, q.Get("SubscriptionArn")); err != nil {
				writeError(w, model, reqID, err)
				return
			}
			writeXML(w, model, "Unsubscribe", reqID, nil)
		case strings.HasPrefix(r.URL.Path, CertPrefix+"SimpleNotificationService-") && strings.HasSuffix(r.URL.Path, ".pem"):
			pem, ok, err := svc.SigningCert(ctx, strings.TrimPrefix(r.URL.Path, CertPrefix))
			if err != nil {
				http.Error(w, "signing certificate unavailable", http.StatusInternalServerError)
				return
			}
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/x-x509-ca-cert")
			w.Write(pem)
		default:
			http.NotFound(w, r)
		}
	})
}

func writeXML(w http.ResponseWriter, m *awsmodel.Model, op, reqID string, out any) {
	body, err := m.MarshalQueryResponse(op, out, reqID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.Write(body)
}

func writeError(w http.ResponseWriter, m *awsmodel.Model, reqID string, err error) {
	e, ok := duplex.AsError(err)
	if !ok {
		e = duplex.Internal("InternalError", err)
	}
	typ := "Sender"
	if e.Fault() {
		typ = "Receiver"
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.HTTPStatus())
	w.Write(awsmodel.MarshalQueryError(m.Metadata().XMLNamespace, typ, e.Code, e.Message, reqID))
}
