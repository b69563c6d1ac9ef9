"""A backup plan in Dublin whose copy action sends recovery points to Singapore."""

import pulumi
import pulumi_aws as aws

eu = aws.Provider("eu", region="eu-west-1")
vault = aws.backup.Vault("primary", opts=pulumi.ResourceOptions(provider=eu))
aws.backup.Plan(
    "nightly",
    rules=[
        aws.backup.PlanRuleArgs(
            rule_name="nightly",
            target_vault_name=vault.name,
            schedule="cron(0 3 * * ? *)",
            copy_actions=[
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn="arn:aws:backup:ap-southeast-1:123456789012:backup-vault:dr"
                )
            ],
        )
    ],
    opts=pulumi.ResourceOptions(provider=eu),
)
