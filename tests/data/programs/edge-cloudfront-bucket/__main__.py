"""A CloudFront distribution in front of a bucket in Dublin: the bucket is placed correctly, but
the distribution caches its objects at edge locations worldwide."""

import pulumi
import pulumi_aws as aws

dublin = aws.Provider("dublin", region="eu-west-1")
in_dublin = pulumi.ResourceOptions(provider=dublin)

bucket = aws.s3.Bucket("downloads-origin", opts=in_dublin)
access = aws.cloudfront.OriginAccessControl(
    "downloads-access",
    origin_access_control_origin_type="s3",
    signing_behavior="always",
    signing_protocol="sigv4",
    opts=in_dublin,
)
aws.cloudfront.Distribution(
    "downloads",
    enabled=True,
    origins=[
        aws.cloudfront.DistributionOriginArgs(
            domain_name=bucket.bucket_regional_domain_name,
            origin_id="downloads-origin",
            origin_access_control_id=access.id,
        )
    ],
    default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
        target_origin_id="downloads-origin",
        viewer_protocol_policy="redirect-to-https",
        allowed_methods=["GET", "HEAD"],
        cached_methods=["GET", "HEAD"],
    ),
    restrictions=aws.cloudfront.DistributionRestrictionsArgs(
        geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
            restriction_type="none"
        )
    ),
    viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
        cloudfront_default_certificate=True
    ),
    opts=in_dublin,
)
