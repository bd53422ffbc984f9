"""Python client for the LiangXin Market image API."""
