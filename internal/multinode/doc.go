// Package multinode tests several duplex nodes sharing one PostgreSQL
// database: inbound messages accepted on every node and delivered once
// (at least once) to a real HTTP subscriber, a node killed under load,
// races on one resource from two nodes, signing material and KMS wrapping
// shared across nodes, SMPP link ownership, and the multi-node benchmark
// (go test -run x -bench MultiNode ./internal/multinode/). The tests skip
// without PostgreSQL (testutil.PostgresDSN) and fail without it in CI.
package multinode
