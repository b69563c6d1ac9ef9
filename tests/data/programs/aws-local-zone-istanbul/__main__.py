"""A subnet in the Istanbul Local Zone: it carries the Frankfurt region code but lies in Turkey."""

import pulumi
import pulumi_aws as aws

fra = aws.Provider("fra", region="eu-central-1")
vpc = aws.ec2.Vpc("edge", cidr_block="10.60.0.0/16", opts=pulumi.ResourceOptions(provider=fra))
aws.ec2.Subnet(
    "edge-istanbul",
    vpc_id=vpc.id,
    cidr_block="10.60.1.0/24",
    availability_zone="eu-central-1-ist-1a",
    opts=pulumi.ResourceOptions(provider=fra),
)
