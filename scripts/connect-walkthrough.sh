#!/usr/bin/env bash
# The README's Amazon Connect walkthrough as one script, run against a
# duplex server (default http://127.0.0.1:3875, dev account) with the real
# aws CLI. A Go test (internal/connect TestConnectWalkthrough) runs it, so
# the README stays true.
#   DUPLEX=path/to/duplex  ENDPOINT=http://…
set -euo pipefail
DUPLEX=${DUPLEX:-"go run ./cmd/duplex"}
ENDPOINT=${ENDPOINT:-http://127.0.0.1:3875}
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 DUPLEX_ENDPOINT=$ENDPOINT
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }
step() { printf '\n== %s\n' "$*"; }
CUSTOMER=+14255550182

# contacts prints the contactId of each delivered inbound message to NUMBER.
contacts() { $DUPLEX inbound list --number "$NUMBER" --status DELIVERED | grep -o '"contactId":"[^"]*"' | cut -d'"' -f4 || true; }
# wait_delivered N waits until N messages to NUMBER are delivered.
wait_delivered() {
  for _ in $(seq 300); do [ "$(contacts | wc -l)" -ge "$1" ] && return 0; sleep 0.1; done
  $DUPLEX inbound list --number "$NUMBER"; return 1
}

step "a phone number"
read -r NUMBER_ID NUMBER NUMBER_ARN < <(aws pinpoint-sms-voice-v2 request-phone-number --iso-country-code US \
  --message-type TRANSACTIONAL --number-capabilities SMS --number-type SIMULATOR \
  --query '[PhoneNumberId,PhoneNumber,PhoneNumberArn]' --output text)
echo "$NUMBER $NUMBER_ARN"

step "an Amazon Connect instance, and the number imported into it (IN_PROGRESS, then CLAIMED)"
INSTANCE_ID=$(aws connect create-instance --identity-management-type CONNECT_MANAGED --instance-alias support \
  --inbound-calls-enabled --outbound-calls-enabled --query Id --output text)
PHONE_ID=$(aws connect import-phone-number --instance-id "$INSTANCE_ID" --source-phone-number-arn "$NUMBER_ARN" \
  --query PhoneNumberId --output text)
for _ in $(seq 300); do
  STATUS=$(aws connect describe-phone-number --phone-number-id "$PHONE_ID" \
    --query ClaimedPhoneNumberSummary.PhoneNumberStatus.Status --output text)
  [ "$STATUS" = IN_PROGRESS ] || break
  sleep 0.1
done
echo "import $STATUS"

step "the seed's role for Amazon Connect, and two-way to Amazon Connect"
aws iam create-role --role-name ConnectTwoWay --query Role.Arn --output text --assume-role-policy-document '{
  "Version": "2012-10-17",
  "Statement": [{"Sid": "SMSVoice", "Effect": "Allow", "Principal": {"Service": "sms-voice.amazonaws.com"},
                 "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": "000000000000"}}}]}'
aws iam put-role-policy --role-name ConnectTwoWay --policy-name connect --policy-document '{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["connect:SendChatIntegrationEvent"], "Resource": ["*"]}]}'
aws pinpoint-sms-voice-v2 update-phone-number --phone-number-id "$NUMBER_ID" --two-way-enabled \
  --two-way-channel-arn connect.us-east-1.amazonaws.com \
  --two-way-channel-role arn:aws:iam::000000000000:role/ConnectTwoWay --query '[TwoWayEnabled,TwoWayChannelArn]' --output text

step "the customer texts: a chat starts"
$DUPLEX sim send --from "$CUSTOMER" --to "$NUMBER" --body "Where is my order?"
wait_delivered 1
CONTACT_ID=$(contacts | head -1)
aws connect describe-contact --instance-id "$INSTANCE_ID" --contact-id "$CONTACT_ID" \
  --query '[Contact.Channel,Contact.CustomerEndpoint.Address]' --output text

step "an agent answers: participant token, connection token, SendMessage"
TOKEN=$(aws connect create-participant --instance-id "$INSTANCE_ID" --contact-id "$CONTACT_ID" \
  --participant-details DisplayName=Ana --query ParticipantCredentials.ParticipantToken --output text)
CONN=$(aws connectparticipant create-participant-connection --participant-token "$TOKEN" --type CONNECTION_CREDENTIALS \
  --query ConnectionCredentials.ConnectionToken --output text)
aws connectparticipant send-message --connection-token "$CONN" --content-type text/plain --content "It ships today." \
  --query Id --output text

step "the customer got the answer by SMS and replies, in the same chat"
$DUPLEX sim outbox --to "$CUSTOMER"
$DUPLEX sim send --from "$CUSTOMER" --to "$NUMBER" --body "Thanks!"
wait_delivered 2
contacts | sort -u | wc -l | sed 's/^ */chats: /'
aws connectparticipant get-transcript --connection-token "$CONN" --scan-direction FORWARD \
  --query 'Transcript[?Type==`MESSAGE`].[ParticipantRole,Content]' --output text

step "the agent leaves: the chat ends"
aws connectparticipant disconnect-participant --connection-token "$CONN"
aws connect describe-contact --instance-id "$INSTANCE_ID" --contact-id "$CONTACT_ID" --query Contact.DisconnectReason --output text
