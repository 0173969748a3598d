package sched_test

import (
	"fmt"
	"time"

	"github.com/midstream/midstream/pkg/sched"
)

// A dispatcher loop in miniature: chunks of two responses are submitted, and Dispatch hands
// them back in EDF order, each response's chunks in sequence.
func Example() {
	cfg := sched.DefaultConfig()
	cfg.Policy = sched.EDF
	s, err := sched.New[string](cfg)
	if err != nil {
		panic(err)
	}
	now := time.Now()
	class, _ := sched.ParseClass("high")
	a, _ := s.Open(sched.Response{Stream: "resp-a", Tenant: "acme", Class: class, Budget: 80 * time.Millisecond})
	fmt.Println("resp-a:", a.Decision, a.Class)
	_ = s.Submit(sched.Item[string]{Stream: "resp-a", Seq: 0, Payload: "a0"})
	_ = s.Submit(sched.Item[string]{Stream: "resp-a", Seq: 1, Payload: "a1"})
	_ = s.Submit(sched.Item[string]{Stream: "resp-b", Seq: 0, Tenant: "globex", Class: sched.Normal,
		Deadline: now.Add(10 * time.Millisecond), Payload: "b0", Final: true})

	for _, r := range s.Dispatch(nil, 10) {
		fmt.Println(r.Outcome, r.Stream, r.Seq, r.Payload)
	}
	// Output:
	// resp-a: admit high
	// released resp-b 0 b0
	// released resp-a 0 a0
	// released resp-a 1 a1
}
