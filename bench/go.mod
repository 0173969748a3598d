module github.com/midstream/midstream/bench

go 1.26.8

require (
	github.com/midstream/midstream/pkg v0.0.0
	github.com/midstream/midstream/services/ingest v0.0.0
)

replace github.com/midstream/midstream/pkg => ../pkg

replace github.com/midstream/midstream/services/ingest => ../services/ingest
