package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/duplexsms/duplex/internal/smpp/pdu"
	"github.com/duplexsms/duplex/internal/smpp/session"
)

// runESME is `bench esme`: a no-op ESME that binds as a transceiver and
// answers every deliver_sm with ESME_ROK at once, so that the SMSC's own
// ceiling can be measured.
func runESME(args []string) int {
	fs := flag.NewFlagSet("bench esme", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:2775", "the SMSC's SMPP address")
	systemID := fs.String("system-id", "bench", "system_id")
	password := fs.String("password", "bench", "password")
	window := fs.Int("window", 64, "deliver_sm handled at once")
	fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nc, err := net.DialTimeout("tcp", *addr, 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench esme:", err)
		return 1
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	c := session.New(nc, session.Options{Window: *window, Concurrency: *window, EnquireLink: 30 * time.Second, Log: quiet,
		Handle: func(c *session.Conn, p *pdu.PDU) {
			switch p.Command {
			case pdu.DeliverSM, pdu.DataSM, pdu.EnquireLink:
				c.Reply(p, pdu.StatusOK)
			case pdu.Unbind:
				c.Reply(p, pdu.StatusOK)
				c.Close(session.ErrUnbound)
			default:
				c.Reply(p, pdu.StatusInvCmdID)
			}
		}})
	c.Start()
	resp, err := c.Request(ctx, &pdu.PDU{Command: pdu.BindTransceiver, SystemID: *systemID, Password: *password, InterfaceVersion: 0x34}, nil)
	if err != nil || resp.Status != pdu.StatusOK {
		fmt.Fprintf(os.Stderr, "bench esme: bind: %v %v\n", err, resp)
		return 1
	}
	fmt.Println("bench esme bound to", *addr)
	select {
	case <-ctx.Done():
	case <-c.Done():
	}
	c.Close(session.ErrClosed)
	return 0
}
