module github.com/midstream/midstream/services/attractor

go 1.26.8

require github.com/midstream/midstream/pkg v0.0.0

replace github.com/midstream/midstream/pkg => ../../pkg
