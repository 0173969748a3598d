// Package sched releases units of analysis work (the chunks of many concurrent LLM responses)
// in priority and deadline order: fixed priority, rate-monotonic, earliest deadline first or
// least laxity first, switchable at run time. Token buckets per priority class and per tenant
// pace the release, with spare capacity shared among tenants by weight; under overload the
// scheduler delays, then sheds from the lowest class upward and hands every shed item back to
// the caller. Admission control tests new responses for schedulability (Liu & Layland for
// rate-monotonic, U ≤ 1 for EDF and LLF).
//
// The package does no I/O: services/scheduler feeds it chunks with Submit and publishes what
// Dispatch returns. Per-response order is preserved under every policy: each response is a
// FIFO queue ordered by sequence number and only its head competes.
//
// Locking: one mutex guards a Scheduler; Submit, Dispatch, Open and the rest may be called from
// any number of goroutines. TokenBucket on its own is lock-free (one atomic word).
package sched
