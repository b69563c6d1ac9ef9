"""A multi-language component (Crosswalk's VPC) handed a US provider: its children would be built
by its provider plugin with that provider, so the component is placed by it."""

import pulumi
import pulumi_aws as aws


class Vpc(pulumi.ComponentResource):
    """Registers as `awsx.ec2.Vpc` does: a remote component its plugin constructs."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("awsx:ec2:Vpc", name, {"cidrBlock": "10.0.0.0/16"}, opts, remote=True)


virginia = aws.Provider("virginia", region="us-east-1")
Vpc("network", pulumi.ResourceOptions(providers={"aws": virginia}))
