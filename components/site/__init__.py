"""Sites: one composite per cloud that assembles a site's network, keys, storage and gateway."""

from components.site.aws import AwsSite as AwsSite
from components.site.aws import AwsSiteArgs as AwsSiteArgs
from components.site.azure import AzureSite as AzureSite
from components.site.azure import AzureSiteArgs as AzureSiteArgs
