"""The loopback site server, as tests use it: see ``newsmirror.localsite.running_site``."""

from newsmirror.localsite import PACKAGE_ROOT as REPO_ROOT
from newsmirror.localsite import LocalSite, running_site

__all__ = ["REPO_ROOT", "LocalSite", "running_site"]
