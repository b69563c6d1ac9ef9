"""A bucket of a package no placement rule knows, beside a placed AWS bucket.

``acme`` has no SDK: the resource class is declared here, as a provider's generated SDK declares
its classes, so the engine binds it to the default ``acme`` provider like any custom resource.
"""

import pulumi
import pulumi_aws as aws


class Bucket(pulumi.CustomResource):
    def __init__(self, name: str, *, location: str) -> None:
        super().__init__("acme:storage/bucket:Bucket", name, {"location": location})


aws.s3.Bucket("placed")
Bucket("acme-archive", location="us-east")
