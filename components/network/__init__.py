"""Network boundaries: the private networks that are the only way in to a site's data."""

from components.network.aws import AwsNetworkBoundary as AwsNetworkBoundary
from components.network.aws import AwsNetworkBoundaryArgs as AwsNetworkBoundaryArgs
from components.network.azure import AzureNetworkBoundary as AzureNetworkBoundary
from components.network.azure import AzureNetworkBoundaryArgs as AzureNetworkBoundaryArgs
