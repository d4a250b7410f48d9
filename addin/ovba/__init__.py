"""Write VBA projects (``vbaProject.bin``) from module source, without Office.

Implements the parts of [MS-OVBA] (project streams, compression, data encryption) and
[MS-CFB] (compound file) that a source-only project needs; stdlib only.
"""

from .project import VbaModule, build_vba_project

__all__ = ["VbaModule", "build_vba_project"]
