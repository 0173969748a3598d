// Package scheduler is midstream's scheduler service: it consumes its partitions of the CHUNKS
// stream, orders and paces the chunks of all open responses with pkg/sched (priority classes,
// deadlines, token buckets, admission control, shedding from the lowest class up), publishes
// released chunks to WORK for the analysers and records every shed chunk as a verdict on
// ms.verdict.scheduler.<stream>, so nothing disappears without a record.
package scheduler
