"""Site storage: each site's private, encrypted object store, one class per cloud."""

from components.storage.aws import AwsSiteStorage as AwsSiteStorage
from components.storage.aws import AwsSiteStorageArgs as AwsSiteStorageArgs
from components.storage.azure import AzureSiteStorage as AzureSiteStorage
from components.storage.azure import AzureSiteStorageArgs as AzureSiteStorageArgs
