"""The platform table: the Seven Bridges platforms a manifest, a token variable or a pin may
name, with their API endpoints.

The manifest checks a `platform` against it, the API configuration and the trust check map a
name to its endpoint, and the planner fills in the default: one table, in the bottom layer.
"""

from __future__ import annotations

# A manifest without `platform` is for this one.
DEFAULT_PLATFORM = "aws-us"
PLATFORMS: dict[str, str] = {
    "aws-us": "https://api.sbgenomics.com/v2",
    "aws-eu": "https://eu-api.sbgenomics.com/v2",
    "cgc": "https://cgc-api.sbgenomics.com/v2",
    "cavatica": "https://cavatica-api.sbgenomics.com/v2",
    "f4c": "https://api.sb.biodatacatalyst.nhlbi.nih.gov/v2",
    "ali-cn": "https://api.sevenbridges.cn/v2",
}
# A platform given as its API endpoint instead of a name.
PLATFORM_URL_PATTERN = r"^https://[^/\s]+(/[^\s]*)?/v2$"
