"""The trail was set up for change auditing: it records writes only, so nobody can tell who read
the customers' files."""

import pulumi_aws as aws

customers = aws.s3.BucketV2("customers")
trail_bucket = aws.s3.BucketV2("trail")
aws.cloudtrail.Trail(
    "changes",
    s3_bucket_name=trail_bucket.bucket,
    advanced_event_selectors=[
        {
            "name": "object writes",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {"field": "readOnly", "equals": ["false"]},
                {
                    "field": "resources.ARN",
                    "starts_withs": [customers.arn.apply(lambda a: a + "/")],
                },
            ],
        }
    ],
)
