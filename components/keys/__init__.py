"""Site keys: the customer-managed keys that encrypt each site's data, one class per cloud."""

from components.keys.aws import AwsSiteKey as AwsSiteKey
from components.keys.aws import AwsSiteKeyArgs as AwsSiteKeyArgs
from components.keys.azure import AzureSiteKey as AzureSiteKey
from components.keys.azure import AzureSiteKeyArgs as AzureSiteKeyArgs
