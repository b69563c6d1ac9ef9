"""Cross-site backup: copies of a site's data kept at another approved site, one class per cloud."""

from components.backup.aws import AwsCrossSiteBackup as AwsCrossSiteBackup
from components.backup.aws import AwsCrossSiteBackupArgs as AwsCrossSiteBackupArgs
from components.backup.azure import AzureObjectReplication as AzureObjectReplication
from components.backup.azure import AzureObjectReplicationArgs as AzureObjectReplicationArgs
