// Package policy parses and evaluates AWS IAM policy documents (identity
// policies, resource policies such as SNS topic and KMS key policies, and
// role trust policies) the way AWS does. It is pure: no I/O and no global
// mutable state; a parsed *Policy is immutable and safe for concurrent use.
//
// # Parsing
//
// Parse/ParseKind validate the grammar (Version, Id, Statement, Sid,
// Effect, Principal/NotPrincipal, Action/NotAction, Resource/NotResource,
// Condition) and precompile everything evaluation needs: action patterns are
// lower-cased globs, resource and Arn* patterns are split into ARN segments,
// condition keys are lower-cased, numbers, dates, CIDRs and base64 values are
// parsed once. Invalid documents yield *MalformedError with an AWS-style
// MalformedPolicyDocument message plus the statement index/Sid. Policy
// variables (${aws:username}, ${aws:SourceAccount}, ${key, 'default'}, and the
// ${*} ${?} ${$} escapes) are only honoured with Version "2012-10-17", as in
// AWS; with older or absent versions they are literal text.
//
// # Evaluating one statement
//
// A statement applies when, in this order, the action matches Action (or
// does not match NotAction; case-insensitive globs), the caller matches
// Principal (or not NotPrincipal), the resource matches Resource (or not
// NotResource; case-sensitive, segment-aware ARN globs) and every condition
// holds. Condition operator blocks and keys within a block are ANDed, the
// values of one key are ORed (negated operators need the request value to
// match none of them). A missing key fails positive operators unless
// IfExists, and satisfies negated ones; ForAllValues is true for a missing
// key, ForAnyValue false. An unresolvable policy variable makes the element
// that uses it not match.
//
// # Evaluation order (Authorize)
//
//  1. Any explicit Deny in any evaluated policy denies.
//  2. Service principals have no identity policies; only the resource policy
//     can allow them.
//  3. KMS: the key policy must allow the principal, or allow its account
//     root, which delegates to the account's identity policies.
//  4. Same account: an identity-policy allow (intersected with the session
//     policies, if any) or a resource-policy allow naming the principal.
//  5. Cross account: identity-policy allow and resource-policy allow.
//  6. Otherwise implicit deny.
//
// Every Decision carries an Explanation naming the deciding policy and
// statement, or for an implicit deny the closest non-matching statements and
// why they did not match (action, principal, resource, or the failing
// condition with expected and actual values).
//
// # Why our own evaluator
//
// No Go library evaluates IAM policies: the AWS SDK only transports policy
// documents as strings, and the open-source IAM emulators are written in
// other languages or only parse. Evaluation is also on every request path, so
// it is written to be allocation-free when a statement matches: no regular
// expressions, precompiled globs, pre-lower-cased keys.
package policy
