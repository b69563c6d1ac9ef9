"""An image of a reporting VM (with its cache) published to a gallery that replicates it to East
US: the region is named in a list of names, not in a field called region."""

from pulumi_azure_native import compute, resources

group = resources.ResourceGroup("images", resource_group_name="rg-images")
gallery = compute.Gallery("gallery", gallery_name="images", resource_group_name=group.name)
image = compute.GalleryImage(
    "reporting",
    gallery_image_name="reporting",
    gallery_name=gallery.name,
    resource_group_name=group.name,
    os_type="Linux",
    os_state="Generalized",
    identifier=compute.GalleryImageIdentifierArgs(publisher="acme", offer="reports", sku="1"),
)
compute.GalleryImageVersion(
    "reporting-1",
    gallery_image_version_name="1.0.0",
    gallery_image_name=image.name,
    gallery_name=gallery.name,
    resource_group_name=group.name,
    storage_profile=compute.GalleryImageVersionStorageProfileArgs(
        source=compute.GalleryArtifactVersionFullSourceArgs(
            id="/subscriptions/0/resourceGroups/rg-images/providers/Microsoft.Compute/images/golden"
        )
    ),
    publishing_profile=compute.GalleryImageVersionPublishingProfileArgs(
        target_regions=[
            compute.TargetRegionArgs(name="North Europe"),
            compute.TargetRegionArgs(name="East US"),
        ]
    ),
)
