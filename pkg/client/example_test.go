package client_test

import (
	"context"
	"log"
	"time"

	"github.com/midstream/midstream/pkg/client"
	"github.com/midstream/midstream/pkg/wire"
)

// A gateway streams one LLM response and stops it when midstream asks.
func Example() {
	ctx := context.Background()
	conn, err := client.Dial(ctx, "localhost:4433", client.WithToken("my-token"), client.WithClientName("gateway-eu-1"))
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = conn.Close() }()

	stop := make(chan wire.Action, 1)
	resp, err := conn.StartResponse(ctx, "chatcmpl-7d2a", &wire.Meta{Tenant: "acme", Model: "gpt-x", Priority: wire.PriorityHigh},
		client.WithActionHandler(func(a wire.Action) {
			if a.Type == wire.ActionStop {
				select {
				case stop <- a:
				default:
				}
			}
		}))
	if err != nil {
		log.Fatal(err)
	}
	for _, tok := range []string{"Hello", ", ", "world"} {
		select {
		case a := <-stop:
			log.Printf("stopped by %s: %s", a.Analyser, a.Reason)
			_ = resp.CloseWithFinal(ctx, wire.Chunk{FinishReason: "content_filter"})
			return
		default:
		}
		if _, err := resp.Send(ctx, wire.Chunk{Text: tok}); err != nil {
			log.Fatal(err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := resp.CloseWithFinal(cctx, wire.Chunk{FinishReason: "stop"}); err != nil {
		log.Fatal(err)
	}
}
