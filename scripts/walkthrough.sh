#!/usr/bin/env bash
# The README's two-way walkthrough as one script, run against a duplex
# server (default http://127.0.0.1:3875) with the real aws CLI. A Go test
# (internal/e2e TestWalkthrough) runs it, so the README stays true.
#   DUPLEX=path/to/duplex  ENDPOINT=http://…  SUB_ADDR=127.0.0.1:8089
set -euo pipefail
DUPLEX=${DUPLEX:-"go run ./cmd/duplex"}
ENDPOINT=${ENDPOINT:-http://127.0.0.1:3875}
SUB_ADDR=${SUB_ADDR:-127.0.0.1:8089}
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 DUPLEX_ENDPOINT=$ENDPOINT
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }
step() { printf '\n== %s\n' "$*"; }

step "a subscriber for the topic (prints each payload it receives)"
$DUPLEX sim subscriber --addr "$SUB_ADDR" > "${PAYLOADS:-/tmp/duplex-payloads.txt}" &
SUB=$!
trap 'kill $SUB 2>/dev/null || true' EXIT
sleep 1

step "a phone number"
NUMBER_ID=$(aws pinpoint-sms-voice-v2 request-phone-number --iso-country-code US --message-type TRANSACTIONAL \
  --number-capabilities SMS --number-type SIMULATOR --query PhoneNumberId --output text)
NUMBER=$(aws pinpoint-sms-voice-v2 describe-phone-numbers --phone-number-ids "$NUMBER_ID" \
  --query 'PhoneNumbers[0].PhoneNumber' --output text)
echo "$NUMBER_ID $NUMBER"

step "an SNS topic, subscribed"
TOPIC=$(aws sns create-topic --name inbound-sms --query TopicArn --output text)
aws sns subscribe --topic-arn "$TOPIC" --protocol http --notification-endpoint "http://$SUB_ADDR/"

step "topic policy path: the topic lets the service principal publish"
aws sns set-topic-attributes --topic-arn "$TOPIC" --attribute-name Policy --attribute-value "{
  \"Version\": \"2012-10-17\",
  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"Service\": \"sms-voice.amazonaws.com\"},
                  \"Action\": \"sns:Publish\", \"Resource\": \"$TOPIC\"}]}"
aws pinpoint-sms-voice-v2 update-phone-number --phone-number-id "$NUMBER_ID" \
  --two-way-enabled --two-way-channel-arn "$TOPIC" --query '[TwoWayEnabled,TwoWayChannelArn]'

step "the customer texts your number; the payload reaches the subscriber"
$DUPLEX sim send --from +14255550182 --to "$NUMBER" --body "JOIN"
sleep 1

step "you reply; the customer's next text names your reply in previousPublishedMessageId"
REPLY=$(aws pinpoint-sms-voice-v2 send-text-message --origination-identity "$NUMBER" \
  --destination-phone-number +14255550182 --message-body "Welcome! Reply STOP to opt out." --query MessageId --output text)
echo "reply $REPLY"
$DUPLEX sim send --from +14255550182 --to "$NUMBER" --body "thanks"
sleep 1

step "role path: a role the service assumes, allowed to publish to this topic only"
aws iam create-role --role-name SMSVoiceTwoWay --query Role.Arn --output text --assume-role-policy-document '{
  "Version": "2012-10-17",
  "Statement": [{"Sid": "SMSVoice", "Effect": "Allow", "Principal": {"Service": "sms-voice.amazonaws.com"},
                 "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": "000000000000"}}}]}'
aws iam put-role-policy --role-name SMSVoiceTwoWay --policy-name publish --policy-document "{
  \"Version\": \"2012-10-17\",
  \"Statement\": [{\"Sid\": \"SMSVoiceAllowSNSPublish\", \"Effect\": \"Allow\", \"Action\": \"sns:Publish\",
                  \"Resource\": \"$TOPIC\", \"Condition\": {\"StringEquals\": {\"aws:ResourceAccount\": \"000000000000\"}}}]}"
# The topic policy no longer names the service: only the account's own principals may publish.
aws sns set-topic-attributes --topic-arn "$TOPIC" --attribute-name Policy --attribute-value "{
  \"Version\": \"2012-10-17\",
  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::000000000000:root\"},
                  \"Action\": \"sns:Publish\", \"Resource\": \"$TOPIC\"}]}"
aws pinpoint-sms-voice-v2 update-phone-number --phone-number-id "$NUMBER_ID" \
  --two-way-channel-role arn:aws:iam::000000000000:role/SMSVoiceTwoWay --query TwoWayChannelRole
$DUPLEX sim send --from +14255550199 --to "$NUMBER" --body "via the role"
sleep 1

step "STOP opts the customer out (with the STOP keyword's reply) and is still delivered"
$DUPLEX sim send --from +14255550182 --to "$NUMBER" --body "STOP"
sleep 1
aws pinpoint-sms-voice-v2 describe-opted-out-numbers --opt-out-list-name Default \
  --query 'OptedOutNumbers[].OptedOutNumber'
if aws pinpoint-sms-voice-v2 send-text-message --origination-identity "$NUMBER" \
    --destination-phone-number +14255550182 --message-body "again" 2>/tmp/duplex-optout.err; then
  echo "sent to an opted-out number!" >&2; exit 1
fi
cat /tmp/duplex-optout.err

step "what the customer's phone received, and every inbound message's state"
$DUPLEX sim outbox --to +14255550182
$DUPLEX inbound list
