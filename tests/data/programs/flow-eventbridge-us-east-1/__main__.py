"""An EventBridge rule in Dublin whose target is an event bus in us-east-1."""

import json

import pulumi
import pulumi_aws as aws

dublin = aws.Provider("dublin", region="eu-west-1")
opts = pulumi.ResourceOptions(provider=dublin)
rule = aws.cloudwatch.EventRule(
    "orders", event_pattern=json.dumps({"source": ["shop.orders"]}), opts=opts
)
aws.cloudwatch.EventTarget(
    "forward-orders",
    rule=rule.name,
    arn="arn:aws:events:us-east-1:123456789012:event-bus/central",
    opts=opts,
)
