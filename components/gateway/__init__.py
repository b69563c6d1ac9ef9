"""Access gateways: who may use a site's data, and the audit trail of that use."""

from components.gateway.aws import AwsAccessGateway as AwsAccessGateway
from components.gateway.aws import AwsAccessGatewayArgs as AwsAccessGatewayArgs
from components.gateway.azure import AzureAccessGateway as AzureAccessGateway
from components.gateway.azure import AzureAccessGatewayArgs as AzureAccessGatewayArgs
