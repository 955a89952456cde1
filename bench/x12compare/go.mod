module github.com/popsockets/integration/bench/x12compare

go 1.26.8

require github.com/popsockets/integration v0.0.0

replace github.com/popsockets/integration => ../..
