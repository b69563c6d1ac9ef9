"""A component whose providers map carries a US provider; its children inherit it."""

import pulumi
import pulumi_aws as aws


class Archive(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("example:storage:Archive", name, None, opts)
        aws.s3.Bucket(f"{name}-bucket", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


us = aws.Provider("us", region="us-east-2")
Archive("archive", pulumi.ResourceOptions(providers={"aws": us}))
